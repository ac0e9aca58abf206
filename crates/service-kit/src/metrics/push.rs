//! Pushes the registry over OTLP every `OTEL_METRIC_EXPORT_INTERVAL` (and once more at
//! shutdown), for collectors that do not scrape. A push that fails is logged once per outage
//! and counted; the next one sends the cumulative values again, so nothing is lost but
//! resolution.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::metrics::v1::{ResourceMetrics, ScopeMetrics};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use telemetry::OtelSettings;
use telemetry::settings::{Export, Protocol};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Exposition;

static FAILED_PUSHES: AtomicU64 = AtomicU64::new(0);

/// Metric pushes that failed in this process (`otel_export_failures_total{signal="metrics"}`).
pub(crate) fn failed_pushes() -> u64 {
    FAILED_PUSHES.load(Ordering::Relaxed)
}

/// Starts pushing `exposition` as `otel` says, until `shutdown`; `None` when metrics are only
/// scraped.
pub(crate) fn start(
    exposition: Exposition,
    otel: &OtelSettings,
    shutdown: CancellationToken,
) -> Option<JoinHandle<()>> {
    let push = otel.metrics.clone()?;
    let mut resource = vec![super::otlp::string("service.name", &otel.service_name)];
    resource.push(super::otlp::string(
        "service.version",
        env!("CARGO_PKG_VERSION"),
    ));
    resource.extend(otel.resource.iter().map(|(k, v)| super::otlp::string(k, v)));
    let resource = Resource {
        attributes: resource,
        ..Resource::default()
    };
    let sender = match Sender::new(&push.export) {
        Ok(sender) => sender,
        Err(e) => {
            tracing::error!(endpoint = %push.export.endpoint, error = %e, "metrics are not pushed");
            return None;
        }
    };
    Some(tokio::spawn(async move {
        let started = unix_nanos();
        let mut failing = false;
        let mut ticks = tokio::time::interval(push.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            let last = tokio::select! {
                () = shutdown.cancelled() => true,
                _ = ticks.tick() => false,
            };
            let text = exposition.render().await;
            let request = ExportMetricsServiceRequest {
                resource_metrics: vec![ResourceMetrics {
                    resource: Some(resource.clone()),
                    scope_metrics: vec![ScopeMetrics {
                        scope: Some(InstrumentationScope {
                            name: "orderflow".to_owned(),
                            version: env!("CARGO_PKG_VERSION").to_owned(),
                            ..InstrumentationScope::default()
                        }),
                        metrics: super::otlp::metrics(&text, started, unix_nanos()),
                        ..ScopeMetrics::default()
                    }],
                    ..ResourceMetrics::default()
                }],
            };
            match sender.send(request).await {
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!(endpoint = %push.export.endpoint, "metrics push works again");
                }
                Ok(()) => {}
                Err(e) => {
                    FAILED_PUSHES.fetch_add(1, Ordering::Relaxed);
                    if !failing {
                        failing = true;
                        tracing::warn!(
                            endpoint = %push.export.endpoint,
                            protocol = push.export.protocol.name(),
                            error = %e,
                            "metrics push failed (counted in otel_export_failures_total)"
                        );
                    }
                }
            }
            if last {
                return;
            }
        }
    }))
}

fn unix_nanos() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
}

/// OTLP/HTTP or OTLP/gRPC.
enum Sender {
    Http {
        client: reqwest::Client,
        export: Export,
    },
    Grpc {
        client: MetricsServiceClient<tonic::transport::Channel>,
        metadata: tonic::metadata::MetadataMap,
    },
}

impl Sender {
    fn new(export: &Export) -> Result<Self, String> {
        match export.protocol {
            Protocol::HttpProtobuf => Ok(Self::Http {
                client: reqwest::Client::builder()
                    .timeout(export.timeout)
                    .build()
                    .map_err(|e| e.to_string())?,
                export: export.clone(),
            }),
            Protocol::Grpc => {
                let channel = tonic::transport::Endpoint::from_shared(export.endpoint.clone())
                    .map_err(|e| e.to_string())?
                    .timeout(export.timeout)
                    .connect_timeout(export.timeout.min(Duration::from_secs(5)))
                    .connect_lazy();
                let mut metadata = tonic::metadata::MetadataMap::new();
                for (name, value) in &export.headers {
                    let key = tonic::metadata::MetadataKey::from_bytes(name.as_bytes())
                        .map_err(|_| format!("header name {name:?} is not valid"))?;
                    let value = value
                        .parse()
                        .map_err(|_| format!("the value of header {name} is not valid"))?;
                    metadata.insert(key, value);
                }
                Ok(Self::Grpc {
                    client: MetricsServiceClient::new(channel),
                    metadata,
                })
            }
        }
    }

    async fn send(&self, request: ExportMetricsServiceRequest) -> Result<(), String> {
        match self {
            Self::Http { client, export } => {
                let mut post = client
                    .post(&export.endpoint)
                    .header("content-type", "application/x-protobuf")
                    .body(request.encode_to_vec());
                for (name, value) in &export.headers {
                    post = post.header(name, value);
                }
                let response = post.send().await.map_err(|e| e.to_string())?;
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("the collector answered {}", response.status()))
                }
            }
            Self::Grpc { client, metadata } => {
                let mut request = tonic::Request::new(request);
                *request.metadata_mut() = metadata.clone();
                client
                    .clone()
                    .export(request)
                    .await
                    .map(drop)
                    .map_err(|status| status.to_string())
            }
        }
    }
}

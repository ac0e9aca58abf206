//! The span exporter for the configured protocol, and what a failed export does: it is logged
//! once per outage, with the endpoint and the protocol, and counted; the service goes on.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use crate::settings::{Export, Protocol};

static FAILED_EXPORTS: AtomicU64 = AtomicU64::new(0);

/// Span exports that failed in this process since it started (`otel_export_failures_total`).
pub fn failed_exports() -> u64 {
    FAILED_EXPORTS.load(Ordering::Relaxed)
}

/// The OTLP span exporter `export` describes.
pub(crate) fn span_exporter(export: &Export) -> Result<Observed, String> {
    let inner = match export.protocol {
        Protocol::HttpProtobuf => {
            let headers: HashMap<String, String> = export.headers.iter().cloned().collect();
            opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_endpoint(&export.endpoint)
                .with_headers(headers)
                .with_timeout(export.timeout)
                .build()
        }
        Protocol::Grpc => {
            let mut headers = http::HeaderMap::new();
            for (name, value) in &export.headers {
                let name = http::HeaderName::try_from(name.as_str())
                    .map_err(|_| format!("header name {name:?} is not valid"))?;
                let value = http::HeaderValue::try_from(value.as_str())
                    .map_err(|_| format!("the value of header {name} is not valid"))?;
                headers.insert(name, value);
            }
            opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(&export.endpoint)
                .with_metadata(
                    opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(headers),
                )
                .with_timeout(export.timeout)
                .build()
        }
    }
    .map_err(|e| e.to_string())?;
    Ok(Observed {
        inner: Arc::new(inner),
        // The batch processor exports from a thread of its own; gRPC's channel needs the
        // runtime it was made on, so its exports run there.
        runtime: (export.protocol == Protocol::Grpc)
            .then(tokio::runtime::Handle::try_current)
            .transpose()
            .map_err(|_| "the gRPC exporter needs a Tokio runtime".to_owned())?,
        endpoint: export.endpoint.clone(),
        protocol: export.protocol,
        failing: Arc::new(AtomicBool::new(false)),
    })
}

/// An exporter whose failures are logged (once per outage) and counted.
#[derive(Debug)]
pub(crate) struct Observed {
    inner: Arc<opentelemetry_otlp::SpanExporter>,
    runtime: Option<tokio::runtime::Handle>,
    endpoint: String,
    protocol: Protocol,
    failing: Arc<AtomicBool>,
}

impl Observed {
    fn record(&self, result: &OTelSdkResult) {
        match result {
            Ok(()) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!(
                        endpoint = %self.endpoint,
                        protocol = self.protocol.name(),
                        "span export works again"
                    );
                }
            }
            Err(e) => {
                FAILED_EXPORTS.fetch_add(1, Ordering::Relaxed);
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        endpoint = %self.endpoint,
                        protocol = self.protocol.name(),
                        error = %e,
                        "span export failed; spans are dropped until the collector answers \
                         (counted in otel_export_failures_total)"
                    );
                }
            }
        }
    }
}

impl SpanExporter for Observed {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let result = match &self.runtime {
            Some(runtime) => {
                let inner = Arc::clone(&self.inner);
                runtime
                    .spawn(async move { inner.export(batch).await })
                    .await
                    .unwrap_or_else(|e| Err(OTelSdkError::InternalFailure(e.to_string())))
            }
            None => self.inner.export(batch).await,
        };
        self.record(&result);
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.set_resource(resource);
        }
    }
}

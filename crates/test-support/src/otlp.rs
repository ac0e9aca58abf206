//! An OTLP trace receiver in the test: what an OpenTelemetry Collector's `otlp` receiver does
//! on its gRPC port (4317) or its HTTP port (4318), keeping every export it is sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message;
use tokio_util::sync::CancellationToken;

/// One export as it arrived.
#[derive(Debug, Clone)]
pub struct Export {
    /// The request path (HTTP) or the gRPC method path.
    pub path: String,
    /// Its headers (HTTP) or metadata (gRPC), names lower-case.
    pub headers: HashMap<String, String>,
    pub request: ExportTraceServiceRequest,
}

impl Export {
    /// The `service.name` of the resource of its first spans.
    pub fn service(&self) -> String {
        spans_of(&self.request)
            .first()
            .map(|s| s.service.clone())
            .unwrap_or_default()
    }
}

/// One metrics push as it arrived.
#[derive(Debug, Clone)]
pub struct MetricsPush {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub request: ExportMetricsServiceRequest,
}

impl MetricsPush {
    /// The resource's `service.name`.
    pub fn service(&self) -> String {
        self.request
            .resource_metrics
            .first()
            .and_then(|r| r.resource.as_ref())
            .map(|r| attributes(&r.attributes))
            .and_then(|a| a.get("service.name").cloned())
            .unwrap_or_default()
    }

    /// The names of the metrics it carries.
    pub fn names(&self) -> Vec<String> {
        self.request
            .resource_metrics
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .map(|m| m.name.clone())
            .collect()
    }
}

/// One received span with the resource it came from.
#[derive(Debug, Clone)]
pub struct Span {
    /// The resource's `service.name`.
    pub service: String,
    pub resource: HashMap<String, String>,
    pub name: String,
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
    pub attributes: HashMap<String, String>,
}

/// A receiver serving on a port of loopback until dropped.
#[derive(Debug)]
pub struct Receiver {
    /// `http://127.0.0.1:<port>`: what `OTEL_EXPORTER_OTLP_ENDPOINT` is set to.
    pub endpoint: String,
    exports: Arc<Mutex<Vec<Export>>>,
    pushes: Arc<Mutex<Vec<MetricsPush>>>,
    stop: CancellationToken,
}

impl Receiver {
    /// OTLP/gRPC: the collector's `TraceService` and `MetricsService`.
    pub async fn grpc() -> Self {
        let (listener, receiver) = Self::bind().await;
        let traces = TraceServiceServer::new(Grpc(receiver.exports.clone()));
        let metrics = MetricsServiceServer::new(GrpcMetrics(receiver.pushes.clone()));
        let stop = receiver.stop.clone();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(traces)
                .add_service(metrics)
                .serve_with_incoming_shutdown(
                    tokio_stream::wrappers::TcpListenerStream::new(listener),
                    stop.cancelled_owned(),
                ),
        );
        receiver
    }

    /// OTLP/HTTP with protobuf bodies: `POST` to any path (the path is kept, to check the
    /// exporter's path rules); a path with `metrics` in it is a metrics push, any other spans.
    pub async fn http() -> Self {
        let (listener, receiver) = Self::bind().await;
        let exports = receiver.exports.clone();
        let pushes = receiver.pushes.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let (exports, pushes) = (exports.clone(), pushes.clone());
            async move {
                if uri.path().contains("metrics") {
                    let Ok(request) = ExportMetricsServiceRequest::decode(body) else {
                        return (StatusCode::BAD_REQUEST, Vec::new());
                    };
                    pushes.lock().expect("lock").push(MetricsPush {
                        path: uri.path().to_owned(),
                        headers: header_map(&headers),
                        request,
                    });
                    return (
                        StatusCode::OK,
                        ExportMetricsServiceResponse::default().encode_to_vec(),
                    );
                }
                let Ok(request) = ExportTraceServiceRequest::decode(body) else {
                    return (StatusCode::BAD_REQUEST, Vec::new());
                };
                exports.lock().expect("lock").push(Export {
                    path: uri.path().to_owned(),
                    headers: headers
                        .iter()
                        .filter_map(|(k, v)| {
                            Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned()))
                        })
                        .collect(),
                    request,
                });
                (
                    StatusCode::OK,
                    ExportTraceServiceResponse::default().encode_to_vec(),
                )
            }
        });
        crate::serve_until(listener, app, &receiver.stop);
        receiver
    }

    async fn bind() -> (tokio::net::TcpListener, Self) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the OTLP receiver");
        let port = listener.local_addr().expect("address").port();
        let receiver = Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            exports: Arc::default(),
            pushes: Arc::default(),
            stop: CancellationToken::new(),
        };
        (listener, receiver)
    }

    /// Every export so far.
    pub fn exports(&self) -> Vec<Export> {
        self.exports.lock().expect("lock").clone()
    }

    /// Every metrics push so far.
    pub fn pushes(&self) -> Vec<MetricsPush> {
        self.pushes.lock().expect("lock").clone()
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<Span> {
        self.exports()
            .iter()
            .flat_map(|e| spans_of(&e.request))
            .collect()
    }

    /// The spans once `done` says they are all there; at most `within`, then what there is.
    pub async fn spans_when(&self, within: Duration, done: impl Fn(&[Span]) -> bool) -> Vec<Span> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let spans = self.spans();
            if done(&spans) || tokio::time::Instant::now() >= deadline {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

struct Grpc(Arc<Mutex<Vec<Export>>>);

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let headers = request
            .metadata()
            .clone()
            .into_headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        self.0.lock().expect("lock").push(Export {
            path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export".to_owned(),
            headers,
            request: request.into_inner(),
        });
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

struct GrpcMetrics(Arc<Mutex<Vec<MetricsPush>>>);

#[tonic::async_trait]
impl MetricsService for GrpcMetrics {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let headers = header_map(&request.metadata().clone().into_headers());
        self.0.lock().expect("lock").push(MetricsPush {
            path: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export".to_owned(),
            headers,
            request: request.into_inner(),
        });
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

fn header_map(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect()
}

fn spans_of(request: &ExportTraceServiceRequest) -> Vec<Span> {
    let mut spans = Vec::new();
    for resource_spans in &request.resource_spans {
        let resource = resource_spans
            .resource
            .as_ref()
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        let service = resource.get("service.name").cloned().unwrap_or_default();
        for scope in &resource_spans.scope_spans {
            for span in &scope.spans {
                spans.push(Span {
                    service: service.clone(),
                    resource: resource.clone(),
                    name: span.name.clone(),
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    attributes: attributes(&span.attributes),
                });
            }
        }
    }
    spans
}

fn attributes(attributes: &[KeyValue]) -> HashMap<String, String> {
    attributes
        .iter()
        .map(|kv| {
            (
                kv.key.clone(),
                kv.value.as_ref().map(text).unwrap_or_default(),
            )
        })
        .collect()
}

fn text(value: &AnyValue) -> String {
    match &value.value {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

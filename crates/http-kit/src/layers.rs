//! The middleware every service wears, and the server loop with graceful shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{HeaderName, Request, Response};
use axum::response::IntoResponse;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::health::Draining;
use crate::limits;
use crate::metrics::HttpMetrics;
use crate::problem::{self, Problem};
use crate::rate_limit::WriteLimiter;

/// Request and response header carrying the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub use crate::limits::BODY_LIMIT_BYTES;

#[derive(Debug, Clone, Copy)]
struct UuidV7RequestId;

impl MakeRequestId for UuidV7RequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = uuid::Uuid::now_v7().to_string();
        Some(RequestId::new(id.parse().ok()?))
    }
}

/// Adds problem+json fallbacks, the per-client write limit (`None`: off), the size limits of
/// `crate::limits`, RED metrics per route, request ids (accepted or generated, always echoed),
/// one span per request named by its matched route (continuing an incoming `traceparent`),
/// and panics answered as 500s.
pub fn apply(router: Router, metrics: HttpMetrics, writes: Option<WriteLimiter>) -> Router {
    let router = router
        .fallback(problem::route_not_found)
        .method_not_allowed_fallback(problem::method_not_allowed);
    // Innermost first: the size checks run before a write takes a token, and both outcomes are
    // still counted in the metrics and traced.
    let router = match writes {
        Some(limiter) => router.layer(axum::middleware::from_fn(move |request, next| {
            limiter.clone().limit(request, next)
        })),
        None => router,
    };
    router
        .layer(axum::middleware::from_fn(limits::check_head))
        .layer(axum::middleware::from_fn(move |request, next| {
            metrics.clone().track(request, next)
        }))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, UuidV7RequestId))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_request(())
                        .on_response(log_response),
                )
                .layer(CatchPanicLayer::custom(|_| {
                    Problem::internal().into_response()
                })),
        )
}

fn request_span<B>(request: &Request<B>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "http_request",
        otel.name = %format_args!("{} {}", request.method(), route),
        otel.kind = "server",
        http.request.method = %request.method(),
        http.route = route,
        url.path = request.uri().path(),
        request_id,
        http.response.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
        baggage = tracing::field::Empty,
    );
    let header = |name: &str| {
        let mut values = request.headers().get_all(name).iter();
        let first = values.next()?.to_str().ok()?.to_owned();
        // W3C Baggage may come in several headers: they are one list.
        Some(
            values
                .filter_map(|v| v.to_str().ok())
                .fold(first, |all, v| all + "," + v),
        )
    };
    let carried = telemetry::propagation::TraceContext {
        traceparent: header("traceparent"),
        tracestate: header("tracestate"),
        baggage: header("baggage"),
    };
    telemetry::propagation::continue_trace(&span, &carried);
    span
}

fn log_response<B>(response: &Response<B>, latency: Duration, span: &Span) {
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    let latency_ms = latency.as_secs_f64() * 1e3;
    if response.status().is_server_error() {
        tracing::warn!(status, latency_ms, "request failed");
    } else {
        tracing::info!(status, latency_ms, "request finished");
    }
}

/// Serves `router` until `shutdown` fires; then readiness turns false and in-flight requests
/// finish before this returns. Each request carries its peer address (`ConnectInfo`), which
/// the write limit keys anonymous clients by.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    draining: Draining,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.cancelled().await;
        draining.start();
    })
    .await
}

//! The HTTP API: each resource owns its handlers; they are merged here.

pub(crate) mod health;
pub(crate) mod orders;

use axum::Router;
use axum::routing::{get, post};
use http_kit::metrics::HttpMetrics;
use http_kit::rate_limit::WriteLimiter;

use crate::openapi;
use crate::state::AppState;

/// Every route of order-service, with the shared middleware.
/// `backbone` holds the operator and `/metrics` routes; `metrics` records every request;
/// `writes` limits each client's writes (`None`: no limit).
pub fn router(
    state: AppState,
    backbone: Router,
    metrics: HttpMetrics,
    writes: Option<WriteLimiter>,
) -> Router {
    let routes = Router::new()
        .route("/v1/orders", get(orders::list))
        .route("/v1/orders/{id}", get(orders::get))
        .route("/v1/orders/{id}/cancel", post(orders::cancel))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/openapi.json", get(openapi::serve))
        .with_state(state)
        .merge(backbone);
    http_kit::layers::apply(routes, metrics, writes)
}

//! The HTTP API: each resource owns its handlers; they are merged here.

pub(crate) mod cart;
pub(crate) mod checkouts;
pub(crate) mod health;
pub(crate) mod payments;
pub(crate) mod products;
pub(crate) mod sessions;

use axum::Router;
use axum::routing::{get, post, put};
use http_kit::metrics::HttpMetrics;
use http_kit::rate_limit::WriteLimiter;

use crate::openapi;
use crate::state::AppState;

/// Every route of checkout-service, with the shared middleware.
/// `backbone` holds the operator and `/metrics` routes; `metrics` records every request;
/// `writes` limits each client's writes (`None`: no limit).
pub fn router(
    state: AppState,
    backbone: Router,
    metrics: HttpMetrics,
    writes: Option<WriteLimiter>,
) -> Router {
    let routes = Router::new()
        .route("/v1/sessions", post(sessions::create))
        .route("/v1/products", get(products::list))
        .route("/v1/cart", get(cart::get).delete(cart::clear))
        .route(
            "/v1/cart/items/{sku}",
            put(cart::put_item).delete(cart::remove_item),
        )
        .route("/v1/checkouts", post(checkouts::create))
        .route("/v1/checkouts/{id}", get(checkouts::get))
        .route("/v1/payments/{order_id}", get(payments::get))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/openapi.json", get(openapi::serve))
        .with_state(state)
        .merge(backbone);
    http_kit::layers::apply(routes, metrics, writes)
}

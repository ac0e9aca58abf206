//! The HTTP API: each resource owns its handlers; they are merged here.

pub(crate) mod cart;
pub(crate) mod checkouts;
pub(crate) mod payments;
pub(crate) mod products;
pub(crate) mod sessions;

use axum::Router;
use axum::routing::{get, post, put};

use crate::state::AppState;

/// The routes of checkout-service (`service_kit::app` adds health, operator, `/metrics` and
/// `/openapi.json`, and the shared middleware).
pub fn router(state: AppState) -> Router {
    Router::new()
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
        .with_state(state)
}

//! The HTTP API: each feature owns its handlers (`<feature>/routes.rs`); they are merged here.

use axum::Router;
use axum::routing::{get, post, put};

use crate::state::AppState;
use crate::{cart, catalog, checkouts, payments, sessions};

/// The routes of checkout-service (`service_kit::app` adds health, operator, `/metrics` and
/// `/openapi.json`, and the shared middleware).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/sessions", post(sessions::routes::create))
        .route("/v1/products", get(catalog::routes::list))
        .route(
            "/v1/cart",
            get(cart::routes::get).delete(cart::routes::clear),
        )
        .route(
            "/v1/cart/items/{sku}",
            put(cart::routes::put_item).delete(cart::routes::remove_item),
        )
        .route("/v1/checkouts", post(checkouts::routes::create))
        .route("/v1/checkouts/{id}", get(checkouts::routes::get))
        .route("/v1/payments/{order_id}", get(payments::routes::get))
        .with_state(state)
}

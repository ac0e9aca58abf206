//! The HTTP API: each feature owns its handlers (`<feature>/routes.rs`); they are merged here.

use axum::Router;
use axum::routing::{get, post};

use crate::orders;
use crate::state::AppState;

/// The routes of order-service (`service_kit::app` adds health, operator, `/metrics` and
/// `/openapi.json`, and the shared middleware).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/orders", get(orders::routes::list))
        .route("/v1/orders/{id}", get(orders::routes::get))
        .route("/v1/orders/{id}/cancel", post(orders::routes::cancel))
        .with_state(state)
}

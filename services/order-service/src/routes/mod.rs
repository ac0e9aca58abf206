//! The HTTP API: each resource owns its handlers; they are merged here.

pub(crate) mod orders;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The routes of order-service (`service_kit::app` adds health, operator, `/metrics` and
/// `/openapi.json`, and the shared middleware).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/orders", get(orders::list))
        .route("/v1/orders/{id}", get(orders::get))
        .route("/v1/orders/{id}/cancel", post(orders::cancel))
        .with_state(state)
}

use axum::extract::State;
use http_kit::health::{self, HealthReport};

use crate::state::AppState;

/// The process is alive.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "Alive", body = HealthReport)))]
pub async fn live() -> HealthReport {
    health::live()
}

/// Ready for traffic: Postgres answers, the process is not draining, and the `fail_readiness`
/// fault flag is off.
#[utoipa::path(get, path = "/health/ready", tag = "health", responses(
    (status = 200, description = "Ready", body = HealthReport),
    (status = 503, description = "Postgres is down, the process is draining, or the `fail_readiness` fault flag is set", body = HealthReport),
))]
pub async fn ready(State(state): State<AppState>) -> HealthReport {
    let postgres =
        health::check(async { sqlx::query("SELECT 1").execute(&state.db).await.map(drop) }).await;
    health::ready(&state.draining, &state.faults, &[("postgres", postgres)])
}

use axum::extract::State;
use http_kit::health::{self, HealthReport};

use crate::state::AppState;

/// The process is alive.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "Alive", body = HealthReport)))]
pub async fn live() -> HealthReport {
    health::live()
}

/// Ready for traffic: Postgres and Redis answer, and the process is not draining.
#[utoipa::path(get, path = "/health/ready", tag = "health", responses(
    (status = 200, description = "Ready", body = HealthReport),
    (status = 503, description = "A dependency is down, or the process is draining", body = HealthReport),
))]
pub async fn ready(State(state): State<AppState>) -> HealthReport {
    let (postgres, redis) = tokio::join!(
        health::check(async { sqlx::query("SELECT 1").execute(&state.db).await.map(drop) }),
        health::check(state.sessions.ping()),
    );
    health::ready(&state.draining, &[("postgres", postgres), ("redis", redis)])
}

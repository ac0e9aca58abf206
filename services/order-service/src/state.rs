use axum::extract::FromRef;
use faults::Faults;
use http_kit::auth::JwtKeys;
use http_kit::health::Draining;
use sqlx::PgPool;

/// Everything a handler needs, built once at start.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: PgPool,
    pub keys: JwtKeys,
    pub draining: Draining,
    /// The fault flags (`fail_readiness` fires in `/health/ready`).
    pub faults: Faults,
}

impl FromRef<AppState> for JwtKeys {
    fn from_ref(state: &AppState) -> Self {
        state.keys.clone()
    }
}

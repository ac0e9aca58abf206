use axum::extract::FromRef;
use faults::Faults;
use http_kit::auth::JwtKeys;
use http_kit::health::Draining;
use sqlx::PgPool;

use crate::store::sessions::SessionStore;

/// Everything a handler needs, built once at start.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: PgPool,
    pub sessions: SessionStore,
    pub keys: JwtKeys,
    pub draining: Draining,
    pub cookie_secure: bool,
    /// The fault flags (`fail_readiness` fires in `/health/ready`).
    pub faults: Faults,
}

impl FromRef<AppState> for JwtKeys {
    fn from_ref(state: &AppState) -> Self {
        state.keys.clone()
    }
}

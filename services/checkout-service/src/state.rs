use axum::extract::FromRef;
use http_kit::auth::JwtKeys;
use sqlx::PgPool;

use crate::sessions::SessionStore;

/// Everything a handler needs, built once at start.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: PgPool,
    pub sessions: SessionStore,
    pub keys: JwtKeys,
    pub cookie_secure: bool,
}

impl FromRef<AppState> for JwtKeys {
    fn from_ref(state: &AppState) -> Self {
        state.keys.clone()
    }
}

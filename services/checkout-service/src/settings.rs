//! checkout-service settings, read once at start (names in `settings::VARIABLES`).

use std::time::Duration;

use http_kit::settings::CommonSettings;
use secrecy::SecretString;
use service_kit::EventSettings;
use settings::{Env, SettingsError};

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub events: EventSettings,
    pub session_store: SecretString,
    /// The CA a `rediss://` session store is verified against (`SESSION_STORE_CA_FILE`).
    pub session_store_ca: Option<std::path::PathBuf>,
    pub session_ttl: Duration,
    pub session_cookie_secure: bool,
    pub redis_key_prefix: String,
    pub idempotency_retention: Duration,
}

impl Settings {
    pub fn from_env(mut env: Env) -> Result<Self, SettingsError> {
        let common = CommonSettings::read(&mut env, "checkout-service");
        let events = EventSettings::read(&mut env);
        let session_store = env.secret("SESSION_STORE", 1);
        let session_store_ca = env
            .string("SESSION_STORE_CA_FILE")
            .map(|f| (!f.trim().is_empty()).then(|| std::path::PathBuf::from(f.trim())));
        let session_ttl = env.duration("SESSION_TTL");
        let session_cookie_secure = env.parse("SESSION_COOKIE_SECURE");
        let redis_key_prefix = env.string("REDIS_KEY_PREFIX");
        let idempotency_retention = env.duration("IDEMPOTENCY_RETENTION");
        env.finish()?;
        let missing = || SettingsError(vec!["settings incomplete".to_owned()]);
        Ok(Self {
            common: common.ok_or_else(missing)?,
            events: events.ok_or_else(missing)?,
            session_store: session_store.ok_or_else(missing)?,
            session_store_ca: session_store_ca.ok_or_else(missing)?,
            session_ttl: session_ttl.ok_or_else(missing)?,
            session_cookie_secure: session_cookie_secure.ok_or_else(missing)?,
            redis_key_prefix: redis_key_prefix.ok_or_else(missing)?,
            idempotency_retention: idempotency_retention.ok_or_else(missing)?,
        })
    }
}

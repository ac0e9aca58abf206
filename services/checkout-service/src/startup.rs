//! What checkout-service adds to the shared start-up (`service_kit::app`): the session store
//! (Redis, also a readiness check), the payment provider and its saga handler on the order
//! topic, the sweeper of stalled checkouts and the purge of old idempotency keys.

use std::time::Duration;

use secrecy::ExposeSecret;
use service_kit::app::Base;
use utoipa::OpenApi;

use crate::checkouts::idempotency;
use crate::checkouts::sweeper::Sweeper;
use crate::openapi::ApiDoc;
use crate::payments::provider::Provider;
use crate::saga::CheckoutSaga;
use crate::sessions::SessionStore;
use crate::sessions::connect;
use crate::settings::Settings;
use crate::state::AppState;
use crate::{MIGRATOR, routes};

/// A built, bound, not yet running checkout-service.
pub type Application = service_kit::app::Application<CheckoutSaga>;

/// Builds the application once; `main` and the tests start it the same way.
pub async fn build(settings: Settings) -> anyhow::Result<Application> {
    let common = &settings.common;
    let mut base = Base::new("checkout-service", common)?;
    let redis = connect::client(
        settings.session_store.expose_secret(),
        settings.session_store_ca.as_deref(),
    )?;
    connect::refused_for_good(&redis, common.db_acquire_timeout)
        .await
        .map_err(|why| anyhow::anyhow!("SESSION_STORE: {why}"))?;
    let sessions = SessionStore::new(redis, &settings.redis_key_prefix, settings.session_ttl)?;
    let pinged = sessions.clone();
    base.ready_when("redis", move || {
        let sessions = pinged.clone();
        async move { sessions.ping().await }
    });
    let saga = CheckoutSaga {
        provider: Provider::new(base.db.clone(), base.faults.clone()),
        sessions: sessions.clone(),
    };
    let backbone = base.backbone(common, &settings.events, vec![events::topics::ORDER], saga)?;
    let sweeper: Sweeper = base.sweeper(settings.events.saga_timeout, "Checkouts PENDING,");
    let state = AppState {
        db: base.db.clone(),
        sessions,
        keys: base.keys.clone(),
        cookie_secure: settings.session_cookie_secure,
    };
    let purged = base.db.clone();
    let retention = settings.idempotency_retention;
    let app = base
        .application(
            common,
            &settings.events,
            backbone,
            routes::router(state),
            ApiDoc::openapi(),
        )
        .await?;
    Ok(app
        .every(
            Duration::from_secs(60),
            "idempotency keys purged",
            move || {
                let db = purged.clone();
                async move { idempotency::purge(&db, retention).await }
            },
        )
        .sweeping(sweeper))
}

service_kit::service! {
    /// checkout-service as the shared command line runs it (`service_kit::command`).
    CheckoutService = "checkout-service" {
        settings: Settings,
        migrations: MIGRATOR,
        build: build,
    }
}

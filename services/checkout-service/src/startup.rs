//! Builds the application once; `main` and the tests start it the same way.

use std::time::Duration;

use anyhow::Context;
use axum::Router;
use backbone::Backbone;
use faults::Faults;
use http_kit::auth::JwtKeys;
use http_kit::health::Draining;
use http_kit::rate_limit::WriteLimiter;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::payments::provider::Provider;
use crate::saga::CheckoutSaga;
use crate::saga::sweeper::Sweeper;
use crate::settings::Settings;
use crate::state::AppState;
use crate::store::{idempotency, sessions::SessionStore};
use crate::{MIGRATOR, routes};

/// A built, bound, not yet running checkout-service.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    backbone: Backbone<CheckoutSaga>,
    idempotency_retention: Duration,
    sweeper: Sweeper,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let common = &settings.common;
        let faults = Faults::new(common.fault_flags);
        let db = http_kit::db::pool(
            &common.database_url,
            common.db_pool_max,
            common.db_acquire_timeout,
            &faults,
        )
        .context("DATABASE_URL")?;
        let redis = redis::Client::open(settings.session_store.expose_secret())
            .context("SESSION_STORE is not a valid redis URL")?;
        let sessions = SessionStore::new(redis, &settings.redis_key_prefix, settings.session_ttl)?;
        let saga = CheckoutSaga {
            provider: Provider::new(db.clone(), faults.clone()),
            sessions: sessions.clone(),
        };
        let topics = vec![events::topics::ORDER];
        let backbone = Backbone::new(
            &db,
            &common.database_url,
            &settings.events,
            "checkout-service",
            topics,
            saga,
            &faults,
        )
        .map_err(|e| anyhow::anyhow!("event backbone: {e}"))?;
        let keys = JwtKeys::hs256(&common.jwt_secret);
        let mut registry = prometheus_client::registry::Registry::default();
        let http_metrics = http_kit::metrics::HttpMetrics::register(&mut registry);
        backbone.register_metrics(&mut registry);
        let writes = WriteLimiter::new(common.rate_limit, keys.clone(), &mut registry);
        let sweeper = Sweeper {
            db: db.clone(),
            timeout: settings.events.saga_timeout,
            overdue: backbone::metrics::sagas_overdue(&mut registry, "Checkouts PENDING,"),
        };
        let backbone_routes =
            backbone::admin::router(backbone.admin(&db, keys.clone(), &settings.events)?).merge(
                backbone::metrics::router(registry, &db, &common.service_name),
            );
        let state = AppState {
            db,
            sessions,
            keys,
            draining: Draining::default(),
            cookie_secure: settings.session_cookie_secure,
            faults,
        };
        let listener = TcpListener::bind(common.http_addr)
            .await
            .with_context(|| format!("cannot listen on HTTP_ADDR {}", common.http_addr))?;
        Ok(Self {
            listener,
            router: routes::router(state.clone(), backbone_routes, http_metrics, writes),
            state,
            backbone,
            idempotency_retention: settings.idempotency_retention,
            sweeper,
        })
    }

    /// The bound port (tests bind port 0).
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until `shutdown` fires, then drains in-flight requests, stops the consumer and
    /// the relay, and returns.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let addr = self.listener.local_addr()?;
        tracing::info!(%addr, "checkout-service listening");
        let mut tasks = self.backbone.spawn(&shutdown);
        let retention = self.idempotency_retention;
        let purge_db = self.state.db.clone();
        tasks.push(tokio::spawn(backbone::periodically(
            Duration::from_secs(60),
            shutdown.clone(),
            "idempotency keys purged",
            move || {
                let db = purge_db.clone();
                async move { idempotency::purge(&db, retention).await }
            },
        )));
        let sweeper = self.sweeper;
        tasks.push(tokio::spawn(backbone::periodically(
            backbone::sweep_interval(sweeper.timeout),
            shutdown.clone(),
            "stalled checkouts failed or asked about by the sweeper",
            move || {
                let sweeper = sweeper.clone();
                async move { sweeper.sweep_once().await }
            },
        )));
        http_kit::layers::serve(self.listener, self.router, shutdown, self.state.draining).await?;
        for task in tasks {
            task.await?;
        }
        tracing::info!("checkout-service stopped");
        Ok(())
    }
}

backbone::service! {
    /// checkout-service as the shared command line runs it (`backbone::command`).
    CheckoutService = "checkout-service" {
        settings: Settings,
        migrations: MIGRATOR,
        application: Application,
    }
}

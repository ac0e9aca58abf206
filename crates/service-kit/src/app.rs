//! The start-up both services share. A service builds its [`Base`] (fault flags, pool, keys,
//! registry), adds what is its own (a Redis check, a sweeper, its routes, its saga handler),
//! and gets an [`Application`]: bound, not yet running. The health, operator, `/metrics` and
//! `/openapi.json` routes and the shared middleware are added here, the same for both.

mod health;

pub use health::HealthApi;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use consumer::Handler;
use faults::Faults;
use http_kit::auth::JwtKeys;
use http_kit::extract::Json;
use http_kit::health::Draining;
use http_kit::metrics::HttpMetrics;
use http_kit::rate_limit::WriteLimiter;
use http_kit::settings::CommonSettings;
use prometheus_client::registry::Registry;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::sweep::{Sweep, Sweeper};
use crate::{Backbone, EventSettings};

/// What every service builds the same way before its own parts.
#[derive(Debug)]
pub struct Base {
    pub name: &'static str,
    pub faults: Faults,
    pub db: PgPool,
    pub keys: JwtKeys,
    pub draining: Draining,
    /// Where the service registers its own metrics (a sweeper's gauge, say).
    pub registry: Registry,
    readiness: Vec<health::Check>,
}

impl Base {
    /// `name` is the service's, in logs and the consumer group. Postgres is the first
    /// readiness check.
    pub fn new(name: &'static str, common: &CommonSettings) -> anyhow::Result<Self> {
        let faults = Faults::new(common.fault_flags);
        let db = storage::pool(
            &common.database_url,
            common.db_pool_max,
            common.db_acquire_timeout,
            &faults,
        )
        .context("DATABASE_URL")?;
        let mut base = Self {
            name,
            keys: JwtKeys::new(&common.auth),
            draining: Draining::default(),
            registry: Registry::default(),
            readiness: Vec::new(),
            faults,
            db: db.clone(),
        };
        base.ready_when("postgres", move || {
            let db = db.clone();
            async move {
                sqlx::query_scalar!("SELECT 1 AS up")
                    .fetch_one(&db)
                    .await
                    .map(drop)
            }
        });
        Ok(base)
    }

    /// Adds a dependency `/health/ready` checks, under `name`.
    pub fn ready_when<F, Fut, E: 'static>(&mut self, name: &'static str, probe: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
    {
        self.readiness.push(health::Check::new(name, probe));
    }

    /// The relay (when embedded) and the consumer of `topics`, handled by `handler`.
    pub fn backbone<H: Handler>(
        &self,
        common: &CommonSettings,
        events: &EventSettings,
        topics: Vec<&'static str>,
        handler: H,
    ) -> anyhow::Result<Backbone<H>> {
        Backbone::new(
            &self.db,
            &common.database_url,
            events,
            self.name,
            topics,
            handler,
            &self.faults,
        )
        .map_err(|e| anyhow::anyhow!("event backbone: {e}"))
    }

    /// The service's sweeper for sagas that time out after `timeout`; `overdue` says what its
    /// `sagas_overdue` gauge counts.
    pub fn sweeper<S: Sweeper>(&mut self, timeout: Duration, overdue: &str) -> S {
        S::new(Sweep {
            db: self.db.clone(),
            timeout,
            overdue: crate::metrics::sagas_overdue(&mut self.registry, overdue),
        })
    }

    /// Adds the shared routes and middleware to the service's `routes`, documented by `api`,
    /// and binds `HTTP_ADDR`.
    pub async fn application<H: Handler>(
        mut self,
        common: &CommonSettings,
        events: &EventSettings,
        backbone: Backbone<H>,
        routes: Router,
        api: utoipa::openapi::OpenApi,
    ) -> anyhow::Result<Application<H>> {
        storage::refused_for_good(&self.db)
            .await
            .map_err(|why| anyhow::anyhow!("DATABASE_URL: {why}"))?;
        messaging::refused_for_good(&events.kafka, crate::KAFKA_FIRST_CONTACT)
            .await
            .map_err(|(setting, why)| anyhow::anyhow!("{setting}: {why}"))?;
        let http_metrics = HttpMetrics::register(&mut self.registry);
        backbone.register_metrics(&mut self.registry);
        let writes = WriteLimiter::new(common.rate_limit, self.keys.clone(), &mut self.registry);
        let admin = crate::admin::router(backbone.admin(&self.db, self.keys.clone(), events)?);
        let exposition =
            crate::metrics::Exposition::new(self.registry, &self.db, &common.service_name);
        let metrics = exposition.clone().router();
        let otel = common.otel.clone();
        let push: Chore = Box::new(move |shutdown| {
            tokio::spawn(async move {
                if let Some(push) = crate::metrics::push::start(exposition, &otel, shutdown) {
                    let _ = push.await;
                }
            })
        });
        let health = health::router(self.draining.clone(), self.faults, self.readiness);
        let api = Arc::new(http_kit::openapi::declare_limits(
            api.merge_from(crate::admin::AdminApi::openapi())
                .merge_from(HealthApi::openapi()),
        ));
        let openapi = Router::new().route(
            "/openapi.json",
            get(move || {
                let api = Arc::clone(&api);
                async move { Json(api.as_ref().clone()) }
            }),
        );
        let router = routes
            .merge(health)
            .merge(openapi)
            .merge(admin)
            .merge(metrics);
        let listener = TcpListener::bind(common.http_addr)
            .await
            .with_context(|| format!("cannot listen on HTTP_ADDR {}", common.http_addr))?;
        Ok(Application {
            name: self.name,
            listener,
            router: http_kit::layers::apply(router, http_metrics, writes),
            draining: self.draining,
            backbone,
            chores: vec![push],
        })
    }
}

/// Work a service does on a timer while it serves (a sweeper, a purge).
type Chore = Box<dyn FnOnce(CancellationToken) -> JoinHandle<()> + Send>;

/// A built, bound, not yet running service.
pub struct Application<H: Handler> {
    name: &'static str,
    listener: TcpListener,
    router: Router,
    draining: Draining,
    backbone: Backbone<H>,
    chores: Vec<Chore>,
}

impl<H: Handler> std::fmt::Debug for Application<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("name", &self.name)
            .field("listener", &self.listener)
            .field("backbone", &self.backbone)
            .field("chores", &self.chores.len())
            .finish()
    }
}

impl<H: Handler> Application<H> {
    /// Runs `task` every `every` while serving ([`crate::periodically`]).
    pub fn every<F, Fut, N>(mut self, every: Duration, what: &'static str, task: F) -> Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<N, sqlx::Error>> + Send + 'static,
        N: Into<u64> + 'static,
    {
        self.chores.push(Box::new(move |shutdown| {
            tokio::spawn(crate::periodically(every, shutdown, what, task))
        }));
        self
    }

    /// Runs `sweeper` while serving, every fifth of its saga timeout ([`crate::sweep::interval`]).
    pub fn sweeping<S: Sweeper>(self, sweeper: S) -> Self {
        self.every(
            crate::sweep::interval(sweeper.sweep().timeout),
            S::WHAT,
            move || {
                let sweeper = sweeper.clone();
                async move { sweeper.sweep_once().await }
            },
        )
    }

    /// The bound port (tests bind port 0).
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until `shutdown` fires, then drains in-flight requests, stops the consumer, the
    /// relay and the chores, and returns.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let addr = self.listener.local_addr()?;
        tracing::info!(%addr, "{} listening", self.name);
        let mut tasks = self.backbone.spawn(&shutdown);
        tasks.extend(self.chores.into_iter().map(|chore| chore(shutdown.clone())));
        http_kit::layers::serve(self.listener, self.router, shutdown, self.draining).await?;
        for task in tasks {
            task.await?;
        }
        tracing::info!("{} stopped", self.name);
        Ok(())
    }
}

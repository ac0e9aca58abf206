#![doc = include_str!("../README.md")]

pub mod admin;
pub mod app;
pub mod command;
pub mod metrics;
mod resources;
mod settings;
pub mod sweep;

pub use self::settings::EventSettings;

use std::sync::Arc;

use consumer::{Consumer, ConsumerConfig, ConsumerStats, Handler};
use faults::Faults;
use outbox::relay::{Relay, RelayConfig, RelayStats};
use secrecy::SecretString;
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a start waits for the brokers to accept or refuse TLS and SASL settings; brokers
/// that stay silent longer are taken as down, which the service rides out.
const KAFKA_FIRST_CONTACT: std::time::Duration = std::time::Duration::from_secs(10);

/// The relay and consumer of one service, ready to run.
pub struct Backbone<H: Handler> {
    relay: Option<Relay>,
    consumer: Consumer<H>,
    pub relay_stats: Option<Arc<RelayStats>>,
    pub consumer_stats: Arc<ConsumerStats>,
    faults: Faults,
}

impl<H: Handler> std::fmt::Debug for Backbone<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backbone")
            .field("relay", &self.relay)
            .field("consumer", &self.consumer)
            .finish()
    }
}

impl<H: Handler> Backbone<H> {
    /// `service` names the consumer group (after the topic prefix); `topics` are the logical
    /// topics `handler` consumes; `faults` are the process's fault flags.
    pub fn new(
        db: &PgPool,
        database_url: &SecretString,
        settings: &EventSettings,
        service: &str,
        topics: Vec<&'static str>,
        handler: H,
        faults: &Faults,
    ) -> anyhow::Result<Self> {
        let relay = if settings.relay_embedded {
            Some(relay(db, database_url, settings, faults)?)
        } else {
            None
        };
        let config = ConsumerConfig {
            group: format!("{}{service}", settings.kafka.topic_prefix),
            topics,
            max_attempts: settings.consumer_max_attempts,
            concurrency: settings.consumer_concurrency,
            retry_base: std::time::Duration::from_millis(100),
            retry_max: std::time::Duration::from_secs(5),
            inbox_retention: settings.inbox_retention,
            instance_id: settings.consumer_instance_id.clone(),
            // Kafka's defaults: a broker paused for seconds must not evict healthy members.
            session_timeout: std::time::Duration::from_secs(45),
            max_poll_interval: std::time::Duration::from_secs(300),
            // Well below the poll interval: a dead letter that waits holds its key back.
            dead_letter_timeout: std::time::Duration::from_secs(60),
        };
        let consumer = Consumer::new(db.clone(), &settings.kafka, config, handler)?;
        Ok(Self {
            relay_stats: relay.as_ref().map(Relay::stats),
            consumer_stats: consumer.stats(),
            relay,
            consumer,
            faults: faults.clone(),
        })
    }

    /// The state of the operator endpoints, reporting on this backbone.
    pub fn admin(
        &self,
        db: &PgPool,
        keys: http_kit::auth::JwtKeys,
        settings: &EventSettings,
    ) -> anyhow::Result<admin::AdminState> {
        Ok(admin::AdminState {
            db: db.clone(),
            keys,
            kafka: settings.kafka.clone(),
            producer: Arc::new(messaging::Recovering::new(
                &settings.kafka,
                messaging::producer::idempotent,
            )?),
            relay: self.relay_stats.clone(),
            consumer: self.consumer_stats.clone(),
            faults: self.faults.clone(),
        })
    }

    /// Registers the relay's and the consumer's metrics, and the fault flags' counter.
    pub fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        if let Some(relay) = &self.relay_stats {
            relay.register(registry);
        }
        self.consumer_stats.register(registry);
        self.faults.register(registry);
    }

    /// Starts both on the runtime; they stop when `shutdown` fires.
    pub fn spawn(self, shutdown: &CancellationToken) -> Vec<JoinHandle<()>> {
        let mut tasks = vec![tokio::spawn(self.consumer.run(shutdown.clone()))];
        if let Some(relay) = self.relay {
            tasks.push(tokio::spawn(relay.run(shutdown.clone())));
        }
        tasks
    }
}

/// A relay for `db` with the service's settings (embedded, or `<service> relay`).
pub fn relay(
    db: &PgPool,
    database_url: &SecretString,
    settings: &EventSettings,
    faults: &Faults,
) -> anyhow::Result<Relay> {
    let config = RelayConfig {
        retention: settings.outbox_retention,
        faults: faults.clone(),
        ..RelayConfig::default()
    };
    Ok(Relay::new(
        db.clone(),
        database_url,
        &settings.kafka,
        config,
    )?)
}

/// `<service> relay`: the relay as its own process (`RELAY_MODE=off` in the services), with
/// `/health/live` and `/health/ready` on `HTTP_ADDR` for the orchestrator's probes, and the
/// fault flags (`FAULT_FLAGS`, `/v1/admin/faults`) of the relay's own pool and producer.
pub async fn run_relay_process(
    common: &http_kit::settings::CommonSettings,
    settings: &EventSettings,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    use axum::routing::get;
    use http_kit::health::{self, Draining};

    let faults = Faults::new(common.fault_flags);
    let db = storage::pool(&common.database_url, 4, common.db_acquire_timeout, &faults)?;
    storage::refused_for_good(&db)
        .await
        .map_err(|why| anyhow::anyhow!("DATABASE_URL: {why}"))?;
    messaging::refused_for_good(&settings.kafka, KAFKA_FIRST_CONTACT)
        .await
        .map_err(|(setting, why)| anyhow::anyhow!("{setting}: {why}"))?;
    let http_addr = common.http_addr;
    let relay = relay(&db, &common.database_url, settings, &faults)?;
    let mut registry = prometheus_client::registry::Registry::default();
    let http_metrics = http_kit::metrics::HttpMetrics::register(&mut registry);
    relay.stats().register(&mut registry);
    faults.register(&mut registry);
    let draining = Draining::default();
    let (ready_db, ready_draining, ready_faults) = (db.clone(), draining.clone(), faults.clone());
    let fault_admin = admin::faults::router(admin::faults::FaultsState {
        keys: http_kit::auth::JwtKeys::new(&common.auth),
        faults,
    });
    let router = axum::Router::new()
        .route("/health/live", get(|| async { health::live() }))
        .route(
            "/health/ready",
            get(move || {
                let (db, draining) = (ready_db.clone(), ready_draining.clone());
                let faults = ready_faults.clone();
                async move {
                    let up = health::check(async {
                        sqlx::query_scalar!("SELECT 1 AS up")
                            .fetch_one(&db)
                            .await
                            .map(drop)
                    })
                    .await;
                    health::ready(&draining, &faults, &[("postgres", up)])
                }
            }),
        )
        .merge(fault_admin);
    let listener = tokio::net::TcpListener::bind(http_addr).await?;
    tracing::info!(%http_addr, "relay process started");
    let task = tokio::spawn(relay.run(shutdown.clone()));
    let exposition = metrics::Exposition::new(registry, &db, &common.service_name);
    let push = metrics::push::start(exposition.clone(), &common.otel, shutdown.clone());
    http_kit::layers::serve(
        listener,
        http_kit::layers::apply(
            router.merge(exposition.router()),
            http_metrics,
            // The relay process serves only health and metrics: nothing to write.
            None,
        ),
        shutdown,
        draining,
    )
    .await?;
    task.await?;
    if let Some(push) = push {
        push.await?;
    }
    Ok(())
}

/// Runs `task` every `every` until `shutdown` (sweepers and purges). A result above zero is
/// logged as `what`; a failure is logged and tried again at the next tick.
pub async fn periodically<F, Fut, N>(
    every: std::time::Duration,
    shutdown: CancellationToken,
    what: &'static str,
    mut task: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<N, sqlx::Error>>,
    N: Into<u64>,
{
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => match task().await.map(Into::into) {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "{what}"),
                Err(e) => tracing::warn!(error = %e, "{what}: failed; will retry"),
            },
        }
    }
}

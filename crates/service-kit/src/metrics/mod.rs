//! `GET /metrics`: the process's registry, with the gauges that are read at scrape time
//! (outbox backlog and oldest age, connection pool usage); and the same metrics pushed over
//! OTLP when `OTEL_METRICS_EXPORTER=otlp`.

mod otlp;
pub(crate) mod push;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sqlx::PgPool;

/// Labels of the pool gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// Gauges refreshed at every scrape.
#[derive(Debug, Clone)]
struct ScrapeGauges {
    db: PgPool,
    unpublished: Gauge,
    oldest_age: Gauge<f64, AtomicU64>,
    pool: Family<PoolLabels, Gauge>,
    acquire_wait: Gauge<f64, AtomicU64>,
}

/// The registry with its scrape-time gauges: what `/metrics` serves and the push sends.
#[derive(Debug, Clone)]
pub struct Exposition {
    registry: Arc<Registry>,
    gauges: ScrapeGauges,
}

impl Exposition {
    /// Registers the scrape-time gauges in `registry`.
    pub fn new(mut registry: Registry, db: &PgPool, service: &str) -> Self {
        let gauges = ScrapeGauges {
            db: db.clone(),
            unpublished: Gauge::default(),
            oldest_age: Gauge::default(),
            pool: Family::default(),
            acquire_wait: Gauge::default(),
        };
        registry.register(
            "outbox_unpublished",
            "Outbox rows not yet published",
            gauges.unpublished.clone(),
        );
        registry.register(
            "outbox_oldest_unpublished_age_seconds",
            "Age of the oldest unpublished outbox row",
            gauges.oldest_age.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Postgres pool connections by state",
            gauges.pool.clone(),
        );
        registry.register(
        "db_pool_acquire_wait_seconds",
        "How long the last scrape waited for a pool connection: what a request arriving then waited",
        gauges.acquire_wait.clone(),
    );
        registry.register_collector(Box::new(crate::resources::Resources::new(db)));
        let info: Family<ServiceLabels, Gauge> = Family::default();
        info.get_or_create(&ServiceLabels {
            service: service.to_owned(),
            version: env!("CARGO_PKG_VERSION"),
        })
        .set(1);
        registry.register("orderflow_build", "Service name and version", info);
        Self {
            registry: Arc::new(registry),
            gauges,
        }
    }

    /// `GET /metrics`.
    pub fn router(self) -> Router {
        Router::new()
            .route("/metrics", get(scrape))
            .with_state(self)
    }

    /// The registry as OpenMetrics text, its scrape-time gauges read now.
    pub async fn render(&self) -> String {
        self.gauges.refresh().await;
        http_kit::metrics::render(&self.registry)
    }
}

/// Registers `sagas_overdue`, which a service's saga sweeper refreshes: `what` is still open
/// after four `SAGA_TIMEOUT`s.
pub fn sagas_overdue(registry: &mut Registry, what: &str) -> Gauge {
    let gauge = Gauge::default();
    registry.register(
        "sagas_overdue",
        format!("{what} still open after four SAGA_TIMEOUTs"),
        gauge.clone(),
    );
    gauge
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabels {
    service: String,
    version: &'static str,
}

async fn scrape(State(exposition): State<Exposition>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, http_kit::metrics::CONTENT_TYPE)],
        exposition.render().await,
    )
}

impl ScrapeGauges {
    async fn refresh(&self) {
        let waiting = std::time::Instant::now();
        // A pool that times out waited the whole acquire timeout; a database that is down says
        // nothing about the pool.
        match self.db.acquire().await {
            Ok(_) | Err(sqlx::Error::PoolTimedOut) => {
                self.acquire_wait.set(waiting.elapsed().as_secs_f64());
            }
            Err(_) => {}
        }
        // A database outage must not break the scrape: the backlog gauges keep their last value.
        if let Ok(backlog) = outbox::relay::backlog(&self.db).await {
            self.unpublished.set(backlog.unpublished);
            self.oldest_age.set(backlog.oldest_age_seconds);
        }
        let size = i64::from(self.db.size());
        let idle = i64::try_from(self.db.num_idle()).unwrap_or_default();
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(idle);
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(size - idle);
    }
}

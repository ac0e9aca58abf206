//! `GET /metrics`: the process's registry, with the gauges that are read at scrape time
//! (outbox backlog and oldest age, connection pool usage).

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

#[derive(Debug, Clone)]
struct MetricsState {
    registry: Arc<Registry>,
    gauges: ScrapeGauges,
}

/// Registers the scrape-time gauges and returns the `/metrics` route over `registry`.
pub fn router(mut registry: Registry, db: &PgPool, service: &str) -> Router {
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
    let state = MetricsState {
        registry: Arc::new(registry),
        gauges,
    };
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
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

async fn scrape(State(state): State<MetricsState>) -> impl IntoResponse {
    let gauges = &state.gauges;
    let waiting = std::time::Instant::now();
    // A pool that times out waited the whole acquire timeout; a database that is down says
    // nothing about the pool.
    match gauges.db.acquire().await {
        Ok(_) | Err(sqlx::Error::PoolTimedOut) => {
            gauges.acquire_wait.set(waiting.elapsed().as_secs_f64());
        }
        Err(_) => {}
    }
    // A database outage must not break the scrape: the backlog gauges keep their last value.
    if let Ok(backlog) = outbox::relay::backlog(&gauges.db).await {
        gauges.unpublished.set(backlog.unpublished);
        gauges.oldest_age.set(backlog.oldest_age_seconds);
    }
    let size = i64::from(gauges.db.size());
    let idle = i64::try_from(gauges.db.num_idle()).unwrap_or_default();
    gauges
        .pool
        .get_or_create(&PoolLabels { state: "idle" })
        .set(idle);
    gauges
        .pool
        .get_or_create(&PoolLabels { state: "in_use" })
        .set(size - idle);
    (
        [(CONTENT_TYPE, http_kit::metrics::CONTENT_TYPE)],
        http_kit::metrics::render(&state.registry),
    )
}

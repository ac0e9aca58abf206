//! What the relay reports: its own counters, and the backlog read from the database.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// The steps of a relay pass, in order. Their summed times show where a busy relay's time
/// goes: the step that dominates is the one to pipeline or speed up.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    /// Taking free lanes, or proving the owned ones (the lock session).
    Lanes,
    /// Reading the batch.
    Load,
    /// Encoding each row as a CloudEvent and handing it to the producer.
    Enqueue,
    /// Waiting for the broker's acks.
    Ack,
    /// Proving the lanes still owned and marking the acked rows published.
    Mark,
}

impl Step {
    fn label(self) -> &'static str {
        match self {
            Self::Lanes => "lanes",
            Self::Load => "load",
            Self::Enqueue => "enqueue",
            Self::Ack => "ack",
            Self::Mark => "mark",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: &'static str,
}

/// Counters of one relay (Prometheus metrics, also read by the admin endpoint).
#[derive(Debug, Default)]
pub struct RelayStats {
    step_seconds: Family<StepLabels, Counter<f64, AtomicU64>>,
    published: Counter,
    failures: Counter,
    rejected: Counter,
    lock_attempts: Counter,
    held_back: Gauge,
    producer_queue: Gauge,
    lanes: Gauge,
    last_pass: Gauge,
}

impl RelayStats {
    pub(crate) fn spent(&self, step: Step, time: Duration) {
        self.step_seconds
            .get_or_create(&StepLabels { step: step.label() })
            .inc_by(time.as_secs_f64());
    }

    pub(crate) fn published(&self, n: usize) {
        self.published.inc_by(n as u64);
    }

    pub(crate) fn failed(&self) {
        self.failures.inc();
    }

    pub(crate) fn rejected(&self) {
        self.rejected.inc();
    }

    pub(crate) fn lock_attempt(&self) {
        self.lock_attempts.inc();
    }

    /// Queries that tried to take the free lanes (one per attempt, on the lock session).
    pub fn lock_attempts_total(&self) -> u64 {
        self.lock_attempts.get()
    }

    pub(crate) fn set_held_back(&self, n: usize) {
        self.held_back.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub(crate) fn set_producer_queue(&self, n: usize) {
        self.producer_queue
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected.get()
    }

    /// A pass ended without an error: the relay can reach its database, its locks and the
    /// broker (a standby's pass is its attempt at the free lanes).
    pub(crate) fn progressed(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        self.last_pass
            .set(i64::try_from(now.as_secs()).unwrap_or(i64::MAX));
    }

    /// Unix time of the last pass without an error (0: none yet).
    pub fn last_pass_seconds(&self) -> i64 {
        self.last_pass.get()
    }

    pub(crate) fn set_lanes(&self, n: usize) {
        self.lanes.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub fn published_total(&self) -> u64 {
        self.published.get()
    }

    pub fn failures_total(&self) -> u64 {
        self.failures.get()
    }

    pub fn lanes_owned(&self) -> usize {
        usize::try_from(self.lanes.get()).unwrap_or_default()
    }

    /// Registers the relay's metrics in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "relay_step_seconds",
            "Time the relay's passes spent in each step: lanes, load, enqueue (encode and hand \
             to the producer), ack (wait for the broker) and mark",
            self.step_seconds.clone(),
        );
        registry.register(
            "relay_published",
            "Outbox rows published and acked by the broker",
            self.published.clone(),
        );
        registry.register(
            "relay_publish_errors",
            "Relay passes that stopped on a publish error",
            self.failures.clone(),
        );
        registry.register(
            "relay_rejected",
            "Outbox rows the broker refused for good (too large, not encodable); each holds back its aggregate",
            self.rejected.clone(),
        );
        registry.register(
            "relay_lock_attempts",
            "Queries that tried to take the free outbox lanes (and proved the lock session alive)",
            self.lock_attempts.clone(),
        );
        registry.register(
            "relay_producer_queue_messages",
            "Messages the relay's producer held unacknowledged once its last batch was handed over \
             (its queue at its fullest; the producer's saturation)",
            self.producer_queue.clone(),
        );
        registry.register(
            "relay_held_back_aggregates",
            "Aggregates whose next row was refused, waiting before it is tried again",
            self.held_back.clone(),
        );
        registry.register(
            "relay_lanes_owned",
            "Outbox lanes this relay owns",
            self.lanes.clone(),
        );
        registry.register(
            "relay_last_pass_timestamp_seconds",
            "Unix time of the relay's last pass without an error, owner or standby",
            self.last_pass.clone(),
        );
    }
}

/// Unpublished rows and how long the oldest has waited (database clock).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Backlog {
    pub unpublished: i64,
    pub oldest_age_seconds: f64,
}

pub async fn backlog(db: &PgPool) -> Result<Backlog, sqlx::Error> {
    sqlx::query_as!(
        Backlog,
        r#"SELECT count(*) AS "unpublished!",
                  COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8
                      AS "oldest_age_seconds!"
           FROM outbox WHERE published_at IS NULL"#,
    )
    .fetch_one(db)
    .await
}

/// An unpublished row the broker refused, with why (what an operator must fix).
#[derive(Debug, Clone, Serialize)]
pub struct RejectedRow {
    pub id: Uuid,
    pub aggregate_id: Uuid,
    pub sequence: i64,
    pub event_type: String,
    pub error: String,
    pub failed_at: DateTime<Utc>,
}

/// The unpublished rows the broker refused, oldest failure first (at most 100).
pub async fn rejected(db: &PgPool) -> Result<Vec<RejectedRow>, sqlx::Error> {
    sqlx::query_as!(
        RejectedRow,
        r#"SELECT id, aggregate_id, sequence, event_type, publish_error AS "error!",
                  publish_failed_at AS "failed_at!"
           FROM outbox WHERE published_at IS NULL AND publish_error IS NOT NULL
           ORDER BY publish_failed_at LIMIT 100"#,
    )
    .fetch_all(db)
    .await
}

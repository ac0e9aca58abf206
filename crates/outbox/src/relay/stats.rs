//! What the relay reports: its own counters, and the backlog read from the database.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::Serialize;
use sqlx::PgPool;

/// Counters of one relay.
#[derive(Debug, Default)]
pub struct RelayStats {
    published: AtomicU64,
    failures: AtomicU64,
    lanes: AtomicUsize,
}

impl RelayStats {
    pub(crate) fn published(&self, n: usize) {
        self.published.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_lanes(&self, n: usize) {
        self.lanes.store(n, Ordering::Relaxed);
    }

    pub fn published_total(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    pub fn failures_total(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    pub fn lanes_owned(&self) -> usize {
        self.lanes.load(Ordering::Relaxed)
    }
}

/// Unpublished rows and how long the oldest has waited (database clock).
#[derive(Debug, Clone, Copy, Serialize, sqlx::FromRow)]
pub struct Backlog {
    pub unpublished: i64,
    pub oldest_age_seconds: f64,
}

pub async fn backlog(db: &PgPool) -> Result<Backlog, sqlx::Error> {
    sqlx::query_as(
        "SELECT count(*) AS unpublished,
                COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest_age_seconds
         FROM outbox WHERE published_at IS NULL",
    )
    .fetch_one(db)
    .await
}

//! The outbox relay: publishes committed outbox rows to Kafka as CloudEvents, in order per
//! aggregate, at least once. See docs/adr/0004-outbox-relay.md for why it is correct.
//!
//! - Wakes on `LISTEN orderflow_outbox` (one pass for all the notifications received so far),
//!   polls every `poll_interval` as a fallback, and polls at once after the listener
//!   reconnects (notifications are lost while it is away). It tries to take free lanes at most
//!   once per `poll_interval`, so a standby costs one query a second however busy the writers.
//! - Owns lanes through advisory locks ([`lanes`]); publishes only its lanes' rows. The lock
//!   session is checked on every pass and started anew after any error; Postgres ends it when
//!   it has been idle for `lock_session_timeout`, so a relay cut off without a FIN or RST (a
//!   lost node, a network partition) frees its lanes for a standby within that bound.
//! - Marks a row published only after the broker acked it and the lanes are still owned; a crash
//!   in between publishes the row again (consumers absorb the duplicate), never loses it.
//!   While a backlog lasts, a batch's mark runs beside the next batch ([`pipeline`]).
//! - A row the broker will never take (it cannot be encoded, it is too large) holds back only
//!   its aggregate; the producer never times a message out, so no event overtakes an earlier
//!   one of its aggregate (see [`batch::publish`]).

mod batch;
mod config;
mod held_back;
mod lanes;
mod pipeline;
mod stats;

pub use config::RelayConfig;
pub use stats::{Backlog, RejectedRow, RelayStats, backlog, rejected};

use std::sync::Arc;
use std::time::Duration;

use messaging::{KafkaSettings, Recovering, Topics};
use secrecy::SecretString;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgListener};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::{LANES, NOTIFY_CHANNEL, OutboxRow};
use held_back::HeldBack;
use lanes::Lanes;
use pipeline::{Cursors, PendingMark};
use stats::Step;

/// One relay process (or task inside a service).
pub struct Relay {
    db: PgPool,
    lock_options: PgConnectOptions,
    producer: Recovering,
    topics: Topics,
    config: RelayConfig,
    lanes: Lanes,
    last_lock_attempt: Option<tokio::time::Instant>,
    held_back: HeldBack,
    pending: Option<PendingMark>,
    stats: Arc<RelayStats>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("topics", &self.topics)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Why the relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("publish: {0}")]
    Publish(#[from] batch::PublishError),
}

impl Relay {
    /// `database_url` must reach Postgres directly (LISTEN and session locks need a real
    /// session, not a transaction-pooling proxy).
    pub fn new(
        db: PgPool,
        database_url: &SecretString,
        kafka: &KafkaSettings,
        config: RelayConfig,
    ) -> Result<Self, RelayError> {
        Ok(Self {
            lock_options: lanes::lock_session(database_url, config.lock_session_timeout)?,
            producer: Recovering::new(kafka, messaging::producer::for_relay)?,
            topics: Topics::new(&kafka.topic_prefix),
            db,
            config,
            lanes: Lanes::default(),
            last_lock_attempt: None,
            held_back: HeldBack::default(),
            pending: None,
            stats: Arc::default(),
        })
    }

    /// Counters shared with whoever reports them.
    pub fn stats(&self) -> Arc<RelayStats> {
        Arc::clone(&self.stats)
    }

    /// Runs until `shutdown`, then flushes the producer and releases the lanes.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut listener = None;
        let mut purge = tokio::time::interval(Duration::from_secs(60));
        let mut backoff = Duration::ZERO;
        while !shutdown.is_cancelled() {
            if listener.is_none() {
                listener = self.listen().await;
            }
            match self.drain().await {
                Ok(()) => {
                    backoff = Duration::ZERO;
                    self.stats.progressed();
                }
                Err(e) => {
                    backoff =
                        (backoff * 2).clamp(Duration::from_millis(100), Duration::from_secs(5));
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "relay pass failed");
                }
            }
            let wait = if backoff.is_zero() {
                self.config.poll_interval
            } else {
                backoff
            };
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(wait) => {}
                _ = purge.tick() => self.purge().await,
                woke = wait_notification(&mut listener) => {
                    match listener.as_mut() {
                        // One pass for every notification already received: it reads them all.
                        Some(l) if woke => while l.next_buffered().is_some() {},
                        _ => listener = None, // reconnect, and poll: notifications were lost
                    }
                }
            }
        }
        self.lanes.release().await;
        let flushed = self.producer.close(Duration::from_secs(10)).await;
        tracing::info!(flushed, "relay stopped");
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.db)
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "relay cannot LISTEN; polling"))
            .ok()?;
        listener.listen(NOTIFY_CHANNEL).await.ok()?;
        Some(listener)
    }

    /// Publishes until the owned lanes have nothing left: one step a test can drive.
    pub async fn drain(&mut self) -> Result<(), RelayError> {
        while self.relay_once().await? {}
        Ok(())
    }

    /// One batch over every owned lane; `true` when more may be waiting (some lane filled its
    /// share, or this pass read the lanes after a pending mark's rows). Whenever it returns
    /// `false` or an error, no mark is left running.
    pub async fn relay_once(&mut self) -> Result<bool, RelayError> {
        let result = self.pass().await;
        if !matches!(result, Ok(true)) {
            let settled = self.settle().await;
            if result.is_ok() {
                settled?;
            }
        }
        result
    }

    async fn pass(&mut self) -> Result<bool, RelayError> {
        // Taking free lanes (which also proves the lock session alive) at most once per poll
        // interval: a standby woken by every committed write would otherwise run a query per
        // write. Marking still waits for the session to answer (`still_owned`).
        let step = Instant::now();
        let due = self
            .last_lock_attempt
            .is_none_or(|at| at.elapsed() >= self.config.poll_interval);
        let lanes = if due {
            self.stats.lock_attempt();
            self.last_lock_attempt = Some(tokio::time::Instant::now());
            self.lanes.acquire(&self.lock_options).await?.to_vec()
        } else {
            self.lanes.owned().to_vec()
        };
        self.stats.set_lanes(lanes.len());
        self.stats.spent(Step::Lanes, step.elapsed());
        if lanes.is_empty() {
            return Ok(false);
        }
        let held_back = self.held_back.current();
        self.stats.set_held_back(held_back.len());
        let step = Instant::now();
        let from_start = Cursors::default();
        let cursors = self.pending.as_ref().map_or(&from_start, |p| &p.cursors);
        let pipelined = self.pending.is_some();
        let rows = batch::load(
            &self.db,
            &lanes,
            self.config.batch_per_lane,
            &held_back,
            cursors,
        )
        .await?;
        self.stats.spent(Step::Load, step.elapsed());
        if rows.is_empty() {
            self.settle().await?;
            // Rows committed behind the cursors are read by a pass from the lanes' starts.
            return Ok(pipelined);
        }
        let step = Instant::now();
        let published = batch::publish(
            &self.producer.current(),
            &self.topics,
            &rows,
            &self.config.faults,
            self.config.ack_within,
        )
        .await;
        self.stats.spent(Step::Enqueue, published.enqueued_in);
        self.stats.spent(
            Step::Ack,
            step.elapsed().saturating_sub(published.enqueued_in),
        );
        self.stats.set_producer_queue(published.queued);
        let mut per_lane = [0_i64; LANES as usize];
        for row in &rows {
            per_lane[crate::lane_of(row.aggregate_id) as usize] += 1;
        }
        let full = per_lane.iter().any(|&n| n >= self.config.batch_per_lane);
        let clean = published.error.is_none() && published.rejected.is_empty();
        let step = Instant::now();
        // One mark at a time: the previous batch's, which ran beside this one, ends first.
        self.settle().await?;
        // Re-check ownership before marking: had the lanes been lost meanwhile, another relay
        // may already be publishing them, and the rows stay for it to (re)publish.
        if !published.acked.is_empty() && self.lanes.still_owned().await {
            if full && clean {
                let cursors = Cursors::after(&rows);
                self.pending = Some(PendingMark::start(&self.db, published.acked, cursors));
            } else {
                batch::mark(&self.db, &published.acked).await?;
                self.stats.published(published.acked.len());
            }
        }
        self.stats.spent(Step::Mark, step.elapsed());
        for (row, why) in &published.rejected {
            self.reject(row, why).await?;
        }
        if let Some(e) = published.error {
            self.stats.failed();
            if matches!(e, batch::PublishError::NoAck(_)) {
                // Whatever the old producer still holds is dropped with it; those rows are
                // published again, after every row before them.
                tracing::warn!(within = ?self.config.ack_within, "no ack in time; creating a new producer");
                self.producer.replace();
            } else {
                self.producer.recover();
            }
            return Err(RelayError::Publish(e));
        }
        if !published.rejected.is_empty() {
            self.producer.recover();
        }
        Ok(full || pipelined)
    }

    /// Waits for the pending mark, if any, and counts its rows published.
    async fn settle(&mut self) -> Result<(), RelayError> {
        if let Some(pending) = self.pending.take() {
            let rows = pending.finish().await?;
            self.stats.published(rows);
        }
        Ok(())
    }

    /// A row the broker will never take as it is: its aggregate waits (`hold_back`), the row
    /// is counted, logged and recorded for operators, and every other aggregate goes on.
    async fn reject(
        &mut self,
        row: &OutboxRow,
        why: &batch::PublishError,
    ) -> Result<(), RelayError> {
        tracing::error!(
            id = %row.id,
            aggregate_id = %row.aggregate_id,
            sequence = row.sequence,
            event_type = row.event_type,
            error = %why,
            "outbox row refused; its aggregate waits, the others go on"
        );
        self.stats.rejected();
        self.held_back.hold(row.aggregate_id, self.config.hold_back);
        batch::record_rejection(&self.db, row.id, &why.to_string()).await?;
        Ok(())
    }

    async fn purge(&self) {
        match batch::purge(&self.db, self.config.retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "published outbox rows purged"),
            Err(e) => tracing::warn!(error = %e, "outbox purge failed; will retry"),
        }
    }
}

/// Waits for a notification; `false` when the listener is gone (connection lost or none).
async fn wait_notification(listener: &mut Option<PgListener>) -> bool {
    match listener {
        Some(l) => matches!(l.try_recv().await, Ok(Some(_))),
        None => std::future::pending().await,
    }
}

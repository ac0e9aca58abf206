//! The consumer loop: events of one key one at a time and in order, other keys beside them
//! (at most `concurrency` at once); the inbox first, offsets after effects, each partition's
//! offset only over a contiguous run of events done with.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt as _};
use messaging::envelope;
use messaging::{KafkaSettings, OffThread, Recovering, Topics};
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::error::KafkaResult;
use rdkafka::message::{Message, OwnedMessage};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

mod config;
mod dead_letter;
mod lanes;
mod parking;
mod topics;

pub use config::ConsumerConfig;

use crate::context::LagContext;
use crate::outage;
use crate::retry::{self, sleep_or_shutdown};
use crate::routing::{Route, route};
use crate::{Envelope, Handler, HandlerError, inbox, stats::ConsumerStats};
use lanes::Lanes;

/// What became of one message.
enum Outcome {
    /// Done with (handled, skipped, duplicate, dead-lettered or parked): its offset may be
    /// committed.
    Done,
    /// A dependency is down: the message is set aside until the outage ends.
    Unavailable,
    /// Shutdown came first: not done, it will be delivered again.
    Abandoned,
}

/// A dependency outage being waited out: the messages set aside, and the one retried to see
/// whether it is over.
#[derive(Default)]
struct Outage {
    attempts: u32,
    set_aside: VecDeque<OwnedMessage>,
    /// (partition, offset) of the message retried now, if one is.
    probe: Option<(i32, i64, String)>,
    retry_at: Option<tokio::time::Instant>,
}

/// Waits until `at`; never, without one.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn id_of(message: &OwnedMessage) -> (i32, i64, String) {
    (
        message.partition(),
        message.offset(),
        message.topic().to_owned(),
    )
}

/// A running consumer group member.
pub struct Consumer<H: Handler> {
    db: PgPool,
    handler: H,
    kafka: OffThread<StreamConsumer<LagContext>>,
    /// Dead letters (it never has the broker make a missing topic).
    producer: Recovering,
    topics: Vec<String>,
    settings: KafkaSettings,
    config: ConsumerConfig,
    stats: Arc<ConsumerStats>,
}

impl<H: Handler> std::fmt::Debug for Consumer<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("topics", &self.topics)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<H: Handler> Consumer<H> {
    pub fn new(
        db: PgPool,
        kafka: &KafkaSettings,
        config: ConsumerConfig,
        handler: H,
    ) -> KafkaResult<Self> {
        let stats = Arc::<ConsumerStats>::default();
        let consumer = config.client(kafka, LagContext(Arc::clone(&stats)))?;
        let topics = Topics::new(&kafka.topic_prefix);
        Ok(Self {
            topics: config.topics.iter().map(|t| topics.name(t)).collect(),
            producer: Recovering::new(kafka, messaging::producer::for_dead_letters)?,
            kafka: OffThread::new(consumer),
            settings: kafka.clone(),
            db,
            handler,
            config,
            stats,
        })
    }

    pub fn stats(&self) -> Arc<ConsumerStats> {
        Arc::clone(&self.stats)
    }

    /// Consumes until `shutdown`; then lets what runs finish (or give up at its next retry),
    /// commits what was done and leaves the group.
    pub async fn run(self, shutdown: CancellationToken) {
        if !topics::wait_until_they_exist(&self.settings, &self.topics, &shutdown).await {
            return;
        }
        let names: Vec<&str> = self.topics.iter().map(String::as_str).collect();
        if let Err(e) = self.kafka.subscribe(&names) {
            tracing::error!(error = %e, "cannot subscribe; consumer not started");
            return;
        }
        self.stats.set_subscribed();
        tracing::info!(
            group = self.config.group,
            topics = ?names,
            concurrency = self.config.concurrency,
            "consumer started"
        );
        let concurrency = self.config.concurrency.max(1);
        // Taken ahead of what runs, so that a busy key does not idle the others.
        let most_taken = concurrency * 2;
        let mut purge = tokio::time::interval(Duration::from_secs(60));
        let mut lanes = Lanes::default();
        let mut ready: VecDeque<OwnedMessage> = VecDeque::new();
        let mut running = FuturesUnordered::new();
        let mut outage = Outage::default();
        loop {
            if outage.attempts == 0 {
                while running.len() < concurrency {
                    let Some(message) = ready.pop_front() else {
                        break;
                    };
                    running.push(self.run_one(message, &shutdown));
                }
            }
            let retry_at = outage.retry_at;
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some((message, outcome)) = running.next() => match outcome {
                    Outcome::Done => {
                        let was_probe = outage.probe.as_ref() == Some(&id_of(&message));
                        self.done(&mut lanes, &message, &mut ready);
                        if was_probe {
                            self.outage_over(&mut outage, &mut ready);
                        }
                    }
                    Outcome::Unavailable => self.set_aside(&mut outage, message),
                    Outcome::Abandoned => break,
                },
                () = sleep_until(retry_at) => {
                    outage.retry_at = None;
                    if let Some(message) = outage.set_aside.pop_front() {
                        outage.probe = Some(id_of(&message));
                        running.push(self.run_one(message, &shutdown));
                    }
                }
                _ = purge.tick() => self.purge_inbox().await,
                // During an outage the consumer is still polled, so `max.poll.interval.ms`
                // never ends the membership however long the outage lasts.
                message = self.kafka.recv(), if lanes.taken() < most_taken || outage.attempts > 0 => {
                    match message {
                        Ok(message) => {
                            let message = message.detach();
                            if outage.attempts > 0 {
                                // Only a partition assigned during the outage gives one.
                                outage::pause_partition(&self.kafka, &message);
                            }
                            if let Some(message) = lanes.take(message) {
                                ready.push_back(message);
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "kafka consumer error");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
            }
        }
        // What runs sees the shutdown at its next retry; what finishes still counts.
        while let Some((message, outcome)) = running.next().await {
            if let Outcome::Done = outcome {
                self.done(&mut lanes, &message, &mut VecDeque::new());
            }
        }
        drop(running);
        // Commit what was done and leave the group, without waiting on an absent broker.
        let group = self.config.group.clone();
        let closed = self
            .kafka
            .close(Duration::from_secs(10), |kafka| {
                if let Err(e) = kafka.commit_consumer_state(CommitMode::Sync) {
                    tracing::debug!(error = %e, "final commit");
                }
                kafka.unsubscribe();
            })
            .await;
        tracing::info!(group, closed, "consumer stopped");
    }

    /// Processes `message` and hands it back with what became of it.
    async fn run_one(
        &self,
        message: OwnedMessage,
        shutdown: &CancellationToken,
    ) -> (OwnedMessage, Outcome) {
        let outcome = self.process(&message, shutdown).await;
        (message, outcome)
    }

    /// `message` is done with: the next of its key may run, and its partition's offset moves
    /// over the contiguous run done with.
    fn done(&self, lanes: &mut Lanes, message: &OwnedMessage, ready: &mut VecDeque<OwnedMessage>) {
        let (next, store) = lanes.done(message);
        if let Some(next) = next {
            ready.push_back(next);
        }
        if let Some(((topic, partition), offset)) = store {
            let mut done = rdkafka::TopicPartitionList::new();
            let stored = done
                .add_partition_offset(&topic, partition, rdkafka::Offset::Offset(offset))
                .and_then(|()| self.kafka.store_offsets(&done));
            if let Err(e) = stored {
                tracing::warn!(error = %e, "cannot store offset; the message may be delivered again");
            }
        }
    }

    /// A dependency is down: `message` waits with every partition paused, and one message is
    /// retried after a backoff to find when the outage ends.
    fn set_aside(&self, outage: &mut Outage, message: OwnedMessage) {
        let was_probe = outage.probe.as_ref() == Some(&id_of(&message));
        if outage.attempts == 0 {
            tracing::warn!(
                group = self.config.group,
                "dependency unavailable; partitions paused, retrying until it is back"
            );
            outage::pause_assignment(&self.kafka);
        }
        if outage.attempts == 0 || was_probe {
            outage.attempts += 1;
            outage.probe = None;
            outage.retry_at = Some(tokio::time::Instant::now() + self.backoff(outage.attempts));
        }
        if was_probe {
            outage.set_aside.push_front(message);
        } else {
            outage.set_aside.push_back(message);
        }
    }

    /// The retried message went through: everything set aside runs again, first.
    fn outage_over(&self, outage: &mut Outage, ready: &mut VecDeque<OwnedMessage>) {
        outage::resume(&self.kafka);
        tracing::info!(
            group = self.config.group,
            outage_attempts = outage.attempts,
            "dependency back; consuming again"
        );
        for message in std::mem::take(&mut outage.set_aside).into_iter().rev() {
            ready.push_front(message);
        }
        *outage = Outage::default();
    }

    async fn process(&self, message: &OwnedMessage, shutdown: &CancellationToken) -> Outcome {
        let envelope =
            match envelope::decode(message).and_then(|event| Envelope::from_event(&event)) {
                Ok(envelope) => envelope,
                Err(poison) => {
                    return self
                        .dead_letter(message, &poison.to_string(), 1, shutdown)
                        .await;
                }
            };
        match route(H::TYPES, &envelope.event_type, envelope.twin.is_some()) {
            Route::Handle => {}
            Route::Skip => {
                self.stats.skipped();
                tracing::debug!(
                    event_type = envelope.event_type,
                    "event type not handled; skipped"
                );
                return Outcome::Done;
            }
            Route::Poison(poison) => {
                return self
                    .dead_letter(message, &poison.to_string(), 1, shutdown)
                    .await;
            }
        }
        // The process span continues the trace the event carries (messaging conventions).
        let span = tracing::info_span!(
            "process",
            otel.name = %format_args!("{} process", message.topic()),
            otel.kind = "consumer",
            messaging.system = "kafka",
            messaging.operation.type = "process",
            messaging.destination.name = message.topic(),
            messaging.destination.partition.id = message.partition(),
            messaging.kafka.offset = message.offset(),
            messaging.consumer.group.name = %self.config.group,
            messaging.message.id = %envelope.id,
            cloudevents.event_type = %envelope.event_type,
            trace_id = tracing::field::Empty,
            span_id = tracing::field::Empty,
            baggage = tracing::field::Empty,
        );
        telemetry::propagation::continue_trace(&span, &envelope.trace);
        let _in_flight = self.stats.handling();
        self.handle(message, &envelope, shutdown)
            .instrument(span)
            .await
    }

    /// Applies one handled event, retrying as its failure calls for; an outage is the run
    /// loop's to wait out.
    async fn handle(
        &self,
        message: &OwnedMessage,
        envelope: &Envelope,
        shutdown: &CancellationToken,
    ) -> Outcome {
        let mut attempts = 0;
        loop {
            match self.apply(envelope).await {
                Ok(fresh) => {
                    if fresh {
                        self.stats.processed()
                    } else {
                        self.stats.duplicates()
                    }
                    return Outcome::Done;
                }
                Err(HandlerError::Unavailable(why)) => {
                    tracing::debug!(event_id = envelope.id, why, "dependency unavailable");
                    return Outcome::Unavailable;
                }
                Err(HandlerError::Failed(why)) => {
                    attempts += 1;
                    if attempts >= self.config.max_attempts {
                        let error = format!("failed {attempts} times: {why}");
                        return self.dead_letter(message, &error, attempts, shutdown).await;
                    }
                    self.stats.retried();
                    tracing::warn!(
                        event_id = envelope.id,
                        attempts,
                        why,
                        "event failed; retrying"
                    );
                    if !sleep_or_shutdown(self.backoff(attempts), shutdown).await {
                        return Outcome::Abandoned;
                    }
                }
                Err(HandlerError::Poison(poison)) => {
                    return self
                        .dead_letter(message, &poison.to_string(), attempts + 1, shutdown)
                        .await;
                }
            }
        }
    }

    /// The inbox row, then the handler's effects, in one transaction. `Ok(false)`: duplicate.
    async fn apply(&self, envelope: &Envelope) -> Result<bool, HandlerError> {
        let mut tx = self.db.begin().await?;
        if !inbox::claim(
            &mut tx,
            &self.config.group,
            envelope.inbox_key(),
            &envelope.event_type,
        )
        .await?
        {
            return Ok(false);
        }
        self.handler.handle(&mut tx, envelope).await?;
        tx.commit().await?;
        Ok(true)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        retry::backoff(self.config.retry_base, self.config.retry_max, attempt)
    }

    async fn purge_inbox(&self) {
        match inbox::purge(&self.db, self.config.inbox_retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "inbox rows purged"),
            Err(e) => tracing::warn!(error = %e, "inbox purge failed; will retry"),
        }
    }
}

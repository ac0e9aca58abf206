//! The consumer loop: one message at a time, inbox first, offsets after effects.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

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

pub use config::ConsumerConfig;

use crate::context::LagContext;
use crate::outage;
use crate::retry::{self, sleep_or_shutdown};
use crate::routing::{Route, route};
use crate::{Envelope, Handler, HandlerError, inbox, stats::ConsumerStats};

/// What became of one message.
enum Outcome {
    /// Done with (handled, skipped, duplicate or dead-lettered): its offset may be committed.
    Done,
    /// Shutdown came first: not done, it will be delivered again.
    Abandoned,
}

/// A running consumer group member.
pub struct Consumer<H: Handler> {
    db: PgPool,
    handler: H,
    kafka: OffThread<StreamConsumer<LagContext>>,
    /// Dead letters.
    producer: Recovering,
    topics: Vec<String>,
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
            producer: Recovering::new(kafka, messaging::producer::idempotent)?,
            kafka: OffThread::new(consumer),
            db,
            handler,
            config,
            stats,
        })
    }

    pub fn stats(&self) -> Arc<ConsumerStats> {
        Arc::clone(&self.stats)
    }

    /// Consumes until `shutdown`; then commits what was done and leaves the group.
    pub async fn run(self, shutdown: CancellationToken) {
        let names: Vec<&str> = self.topics.iter().map(String::as_str).collect();
        if let Err(e) = self.kafka.subscribe(&names) {
            tracing::error!(error = %e, "cannot subscribe; consumer not started");
            return;
        }
        tracing::info!(group = self.config.group, topics = ?names, "consumer started");
        let mut purge = tokio::time::interval(Duration::from_secs(60));
        // Messages taken from partitions assigned during an outage, to handle first after it.
        let mut held = VecDeque::new();
        loop {
            let message = match held.pop_front() {
                Some(message) => Ok(message),
                None => tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = purge.tick() => { self.purge_inbox().await; continue }
                    message = self.kafka.recv() => message.map(|m| m.detach()),
                },
            };
            match message {
                Ok(message) => match self.process(&message, &mut held, &shutdown).await {
                    Outcome::Done => {
                        let (topic, partition) = (message.topic(), message.partition());
                        let next = rdkafka::Offset::Offset(message.offset() + 1);
                        let mut done = rdkafka::TopicPartitionList::new();
                        let stored = done
                            .add_partition_offset(topic, partition, next)
                            .and_then(|()| self.kafka.store_offsets(&done));
                        if let Err(e) = stored {
                            tracing::warn!(error = %e, "cannot store offset; the message may be delivered again");
                        }
                    }
                    Outcome::Abandoned => break,
                },
                Err(e) => {
                    tracing::warn!(error = %e, "kafka consumer error");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
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

    async fn process(
        &self,
        message: &OwnedMessage,
        held: &mut VecDeque<OwnedMessage>,
        shutdown: &CancellationToken,
    ) -> Outcome {
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
        self.handle(message, &envelope, held, shutdown)
            .instrument(span)
            .await
    }

    /// Applies one handled event, retrying as its failure calls for.
    async fn handle(
        &self,
        message: &OwnedMessage,
        envelope: &Envelope,
        held: &mut VecDeque<OwnedMessage>,
        shutdown: &CancellationToken,
    ) -> Outcome {
        let (mut attempts, mut outage) = (0, 0);
        loop {
            match self.apply(envelope).await {
                Ok(fresh) => {
                    if fresh {
                        self.stats.processed()
                    } else {
                        self.stats.duplicates()
                    }
                    if outage > 0 {
                        outage::resume(&self.kafka);
                        tracing::info!(
                            group = self.config.group,
                            outage_attempts = outage,
                            "dependency back; consuming again"
                        );
                    }
                    return Outcome::Done;
                }
                Err(HandlerError::Unavailable(why)) => {
                    if outage == 0 {
                        tracing::warn!(
                            event_id = envelope.id,
                            why,
                            "dependency unavailable; partitions paused, retrying until it is back"
                        );
                        outage::pause_assignment(&self.kafka);
                    }
                    outage += 1;
                    if !outage::wait_out(&self.kafka, self.backoff(outage), held, shutdown).await {
                        return Outcome::Abandoned;
                    }
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

//! The consumer loop: one message at a time, inbox first, offsets after effects.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use messaging::dlq::{self, Failure};
use messaging::envelope;
use messaging::{KafkaSettings, OffThread, Recovering, Topics};
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::error::KafkaResult;
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::producer::FutureRecord;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::context::LagContext;
use crate::outage;
use crate::retry::{self, sleep_or_shutdown};
use crate::routing::{Route, route};
use crate::{Envelope, Handler, HandlerError, inbox, stats::ConsumerStats};

/// How a consumer runs.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// The consumer group (the service), also written in `dlq-consumer-group`.
    pub group: String,
    /// Logical topics to subscribe to.
    pub topics: Vec<&'static str>,
    /// Attempts at a failing event before it is dead-lettered (outages do not count).
    pub max_attempts: u32,
    /// First retry delay; doubles with each attempt, with jitter, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Inbox rows older than this are purged.
    pub inbox_retention: Duration,
    /// Static group membership (`group.instance.id`, KIP-345): a process that restarts under
    /// the same id takes its partitions back at once, instead of waiting for a rebalance
    /// after its old member's session expires. `None`: dynamic membership.
    pub instance_id: Option<String>,
    /// Without a heartbeat for this long the member is taken for dead (`session.timeout.ms`).
    pub session_timeout: Duration,
    /// Without a poll for this long the member leaves its group (`max.poll.interval.ms`):
    /// bounds how long one event may be handled. An outage is waited out with the partitions
    /// paused and the consumer polled, so it never counts here.
    pub max_poll_interval: Duration,
}

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
        let consumer: StreamConsumer<LagContext> = kafka
            .client_config()
            .set("statistics.interval.ms", "5000")
            .set("group.id", &config.group)
            .set("enable.auto.commit", "true")
            .set("auto.commit.interval.ms", "500")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            // Incremental rebalances: a member that joins or leaves moves only the partitions
            // that change hands; the others go on being consumed meanwhile (ADR 0007).
            .set("partition.assignment.strategy", "cooperative-sticky")
            .set("session.timeout.ms", millis(config.session_timeout))
            .set("max.poll.interval.ms", millis(config.max_poll_interval))
            .set_if("group.instance.id", config.instance_id.as_deref())
            .create_with_context(LagContext(Arc::clone(&stats)))?;
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
        );
        telemetry::propagation::continue_trace(
            &span,
            envelope.traceparent.as_deref(),
            envelope.tracestate.as_deref(),
        );
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

    /// Produces the message to `<topic>.dlq` and waits for the ack, retrying without limit
    /// (the offset must not move on before the dead letter is safe).
    async fn dead_letter(
        &self,
        message: &OwnedMessage,
        error: &str,
        attempts: u32,
        shutdown: &CancellationToken,
    ) -> Outcome {
        let failure = Failure {
            error,
            consumer_group: &self.config.group,
            attempts,
        };
        let headers = dlq::headers(message, &failure);
        let topic = format!("{}.dlq", message.topic());
        let mut tries = 0;
        loop {
            let mut record: FutureRecord<'_, [u8], [u8]> =
                FutureRecord::to(&topic).headers(headers.clone());
            if let Some(payload) = message.payload() {
                record = record.payload(payload);
            }
            if let Some(key) = message.key() {
                record = record.key(key);
            }
            let producer = self.producer.current();
            match producer.send(record, Duration::from_secs(30)).await {
                Ok(_) => {
                    self.stats.dead_lettered();
                    tracing::error!(
                        topic = message.topic(),
                        partition = message.partition(),
                        offset = message.offset(),
                        error,
                        "message dead-lettered"
                    );
                    return Outcome::Done;
                }
                Err((e, _)) => {
                    tries += 1;
                    tracing::warn!(error = %e, "dead letter not acked; retrying");
                    self.producer.recover();
                    if !sleep_or_shutdown(self.backoff(tries), shutdown).await {
                        return Outcome::Abandoned;
                    }
                }
            }
        }
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

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}

/// Sets a property only when it has a value.
trait SetIf {
    fn set_if(&mut self, key: &str, value: Option<&str>) -> &mut Self;
}

impl SetIf for rdkafka::ClientConfig {
    fn set_if(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.set(key, value);
        }
        self
    }
}

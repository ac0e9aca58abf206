//! One batch of one lane: load, publish in per-aggregate sequence order, mark the acked prefix.

use std::collections::HashMap;
use std::time::Duration;

use cloudevents::binding::rdkafka::FutureRecordExt;
use faults::Faults;
use messaging::{Topics, envelope};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::Producer as _;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use sqlx::PgPool;
use tracing::{Instrument, Span};
use uuid::Uuid;

use super::pipeline::Cursors;
use crate::OutboxRow;

/// Loads, for each of `lanes`, its first `per_lane` unpublished rows in `(aggregate_id,
/// sequence)` order after that lane's cursor (see [`super::pipeline`]), leaving out the
/// aggregates `held_back` behind a rejected row: one query for every lane the relay owns. A
/// batch may end inside an aggregate; the rest of it comes first in the next batch. A lower sequence of an aggregate
/// always committed before a higher one (the counter's row lock), so whenever a row is
/// visible, every row before it in its aggregate is visible too or already published: nothing
/// can overtake.
pub async fn load(
    db: &PgPool,
    lanes: &[i16],
    per_lane: i64,
    held_back: &[Uuid],
    cursors: &Cursors,
) -> Result<Vec<OutboxRow>, sqlx::Error> {
    let (after_aggregate, after_sequence) = cursors.of(lanes);
    let mut tx = db.begin().await?;
    // Each lane must be read straight off the partial index, in its order. The statistics of
    // a queue table are usually stale (empty at the last ANALYZE, then a backlog built up in
    // an outage): the planner then picks a bitmap scan of the whole lane plus a sort, 30 times
    // slower. With sorting disabled, the index's own order is the only cheap plan.
    sqlx::query!("SET LOCAL enable_sort = off")
        .execute(&mut *tx)
        .await?;
    let mut rows = sqlx::query_as!(
        OutboxRow,
        r#"SELECT batch.id AS "id!", batch.topic AS "topic!", batch.event_type AS "event_type!",
                  batch.source AS "source!", batch.aggregate_id AS "aggregate_id!",
                  batch.subject AS "subject!", batch.sequence AS "sequence!",
                  batch.payload AS "payload!", batch.traceparent, batch.tracestate, batch.baggage,
                  batch.created_at AS "created_at!", batch.twin
           FROM unnest($1::int2[], $4::uuid[], $5::int8[]) AS owned (lane, after_aggregate, after_sequence)
           CROSS JOIN LATERAL (
               SELECT * FROM outbox
               WHERE lane = owned.lane AND published_at IS NULL AND aggregate_id <> ALL($3)
                 AND (aggregate_id, sequence) > (owned.after_aggregate, owned.after_sequence)
               ORDER BY aggregate_id, sequence
               LIMIT $2) AS batch"#,
        lanes,
        per_lane,
        held_back,
        &after_aggregate,
        &after_sequence,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.sort_unstable_by_key(|row| (row.aggregate_id, row.sequence));
    Ok(rows)
}

/// Why a row was not published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("row {0} is not a valid CloudEvent: {1}")]
    Invalid(Uuid, String),
    #[error("no ack within {0:?}")]
    NoAck(Duration),
}

impl PublishError {
    /// Whether no retry can publish the row as it is: it cannot be encoded, or the producer or
    /// the broker refuses it for what it is (too large, malformed). Anything else (a broker
    /// away, a timeout) passes.
    pub fn is_permanent(&self) -> bool {
        use RDKafkaErrorCode::*;
        match self {
            Self::Invalid(..) => true,
            Self::Kafka(KafkaError::MessageProduction(code)) => matches!(
                code,
                MessageSizeTooLarge
                    | InvalidMessageSize
                    | InvalidMessage
                    | MessageBatchTooLarge
                    | InvalidRecord
                    | BadMessage
                    | InvalidArgument
            ),
            _ => false,
        }
    }
}

/// What became of a batch.
#[derive(Debug, Default)]
pub struct Published {
    /// Rows acked, each after every earlier row of its aggregate in the batch: safe to mark.
    pub acked: Vec<Uuid>,
    /// Rows refused for good, with why: their aggregates wait, every other one goes on.
    pub rejected: Vec<(OutboxRow, PublishError)>,
    /// The first error that passes: the batch is tried again after a backoff.
    pub error: Option<PublishError>,
    /// Messages the producer held unacknowledged once the whole batch was handed to it: its
    /// queue at its fullest.
    pub queued: usize,
    /// How long encoding and handing the batch to the producer took (the rest of a publish is
    /// waiting for acks).
    pub enqueued_in: Duration,
}

/// Publishes `rows` (sorted by aggregate and sequence). Every row is handed to the producer
/// before any ack is awaited, so a batch costs one round trip, not one per row; the
/// idempotent producer keeps each partition in order. Once a row of an aggregate fails, the
/// later rows of that aggregate are neither sent nor counted: marking one would let it
/// overtake the failed one on the next attempt. Other aggregates are not held up by it.
///
/// The producer never times a message out itself (`message.timeout.ms` 0): a message that
/// timed out locally while a later one of its partition was acked would put the later one
/// first. The relay bounds its own wait instead (`ack_within`) and, past it, starts a new
/// producer, which drops whatever the old one still held.
pub async fn publish(
    producer: &FutureProducer,
    topics: &Topics,
    rows: &[OutboxRow],
    faults: &Faults,
    ack_within: Duration,
) -> Published {
    let started = tokio::time::Instant::now();
    let mut published = Published::default();
    // Per aggregate, the sequence of its first row that failed: nothing from it on counts.
    let mut failed_from: HashMap<Uuid, i64> = HashMap::new();
    let mut deliveries: Vec<(&OutboxRow, DeliveryFuture, Span)> = Vec::with_capacity(rows.len());
    for row in rows {
        if failed_from.contains_key(&row.aggregate_id) {
            continue;
        }
        let span = publish_span(topics, row);
        match enqueue(producer, topics, row, faults)
            .instrument(span.clone())
            .await
        {
            Ok(delivery) => deliveries.push((row, delivery, span)),
            Err(e) => {
                failed_from.insert(row.aggregate_id, row.sequence);
                published.failed(row, e);
            }
        }
    }
    published.queued = usize::try_from(producer.in_flight_count()).unwrap_or_default();
    published.enqueued_in = started.elapsed();
    let deadline = tokio::time::Instant::now() + ack_within;
    for (row, delivery, span) in deliveries {
        let outcome = tokio::time::timeout_at(deadline, delivery.instrument(span)).await;
        let after_a_failure = failed_from
            .get(&row.aggregate_id)
            .is_some_and(|&first| row.sequence > first);
        let error = match outcome {
            Ok(Ok(Ok(_))) if !after_a_failure => {
                published.acked.push(row.id);
                continue;
            }
            Ok(Ok(Ok(_))) => continue,
            Ok(Ok(Err((e, _)))) => PublishError::Kafka(e),
            Ok(Err(_)) => PublishError::Kafka(KafkaError::Canceled),
            Err(_) => PublishError::NoAck(ack_within),
        };
        if !after_a_failure {
            failed_from.insert(row.aggregate_id, row.sequence);
            published.failed(row, error);
        }
    }
    published
}

impl Published {
    fn failed(&mut self, row: &OutboxRow, error: PublishError) {
        if error.is_permanent() {
            self.rejected.push((row.clone(), error));
        } else {
            self.error.get_or_insert(error);
        }
    }
}

/// The producer span of one row, a child of the trace the row was written in.
fn publish_span(topics: &Topics, row: &OutboxRow) -> Span {
    let topic = topics.name(&row.topic);
    let span = tracing::info_span!(
        "publish",
        otel.name = %format_args!("{topic} publish"),
        otel.kind = "producer",
        messaging.system = "kafka",
        messaging.operation.type = "publish",
        messaging.destination.name = %topic,
        messaging.message.id = %row.id,
        messaging.kafka.message.key = %row.aggregate_id,
        cloudevents.event_type = %row.event_type,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
        baggage = tracing::field::Empty,
    );
    telemetry::propagation::continue_trace(&span, &row.trace());
    span
}

async fn enqueue(
    producer: &FutureProducer,
    topics: &Topics,
    row: &OutboxRow,
    faults: &Faults,
) -> Result<DeliveryFuture, PublishError> {
    // The `kafka_produce_fail_rate` fault: the row is refused before the producer has it, as
    // with a lost broker connection, so it stays unpublished and the batch stops here; it can
    // neither be lost nor published twice.
    if faults.produce_fails() {
        return Err(KafkaError::MessageProduction(RDKafkaErrorCode::BrokerTransportFailure).into());
    }
    let event = row
        .to_cloudevent()
        .map_err(|e| PublishError::Invalid(row.id, e.to_string()))?;
    let message =
        envelope::encode(event).map_err(|e| PublishError::Invalid(row.id, e.to_string()))?;
    let topic = topics.name(&row.topic);
    let key = row.aggregate_id.to_string();
    loop {
        let record = FutureRecord::to(&topic)
            .key(key.as_str())
            .message_record(&message);
        match producer.send_result(record) {
            Ok(delivery) => return Ok(delivery),
            // The bounded local queue is full: let it drain, then hand the row over again.
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err((e, _)) => return Err(e.into()),
        }
    }
}

/// Records why the broker will not take a row, for operators (`GET /v1/admin/outbox`).
pub async fn record_rejection(db: &PgPool, id: Uuid, why: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE outbox SET publish_error = $2, publish_failed_at = now() WHERE id = $1",
        id,
        why
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Marks rows published (database clock); a row published before keeps its first time.
pub async fn mark(db: &PgPool, ids: &[Uuid]) -> Result<(), sqlx::Error> {
    // A join with the unnested ids, not `id = ANY($1)`: after a few executions Postgres may
    // switch the prepared statement to a generic plan, which for `= ANY($1)` can be a scan of
    // the table testing every row against the whole list (seconds for a 4,000-row batch).
    // The join plans as one primary-key lookup per id, whatever the statistics.
    sqlx::query!(
        "UPDATE outbox SET published_at = coalesce(outbox.published_at, now())
         FROM unnest($1::uuid[]) AS acked (id) WHERE outbox.id = acked.id",
        ids
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes published rows older than `retention` (database clock), a bounded chunk at a time.
pub async fn purge(db: &PgPool, retention: Duration) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let deleted = sqlx::query!(
            "DELETE FROM outbox WHERE id IN (
                 SELECT id FROM outbox
                 WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1)
                 LIMIT 5000)",
            retention.as_secs_f64(),
        )
        .execute(db)
        .await?
        .rows_affected();
        total += deleted;
        if deleted < 5000 {
            return Ok(total);
        }
    }
}

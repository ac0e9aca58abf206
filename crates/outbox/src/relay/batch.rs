//! One batch of one lane: load, publish in per-aggregate sequence order, mark the acked prefix.

use std::time::Duration;

use cloudevents::binding::rdkafka::FutureRecordExt;
use faults::Faults;
use messaging::{Topics, envelope};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use sqlx::PgPool;
use tracing::{Instrument, Span};
use uuid::Uuid;

use crate::{OutboxRow, ROW_COLUMNS};

/// Loads, for each of `lanes`, its first `per_lane` unpublished rows in `(aggregate_id,
/// sequence)` order: one query for every lane the relay owns. A batch may end inside an
/// aggregate; the rest of it comes first in the next batch. A lower sequence of an aggregate
/// always committed before a higher one (the counter's row lock), so whenever a row is
/// visible, every row before it in its aggregate is visible too or already published: nothing
/// can overtake.
pub async fn load(
    db: &PgPool,
    lanes: &[i16],
    per_lane: i64,
) -> Result<Vec<OutboxRow>, sqlx::Error> {
    let mut tx = db.begin().await?;
    // Each lane must be read straight off the partial index, in its order. The statistics of
    // a queue table are usually stale (empty at the last ANALYZE, then a backlog built up in
    // an outage): the planner then picks a bitmap scan of the whole lane plus a sort, 30 times
    // slower. With sorting disabled, the index's own order is the only cheap plan.
    sqlx::query("SET LOCAL enable_sort = off")
        .execute(&mut *tx)
        .await?;
    let mut rows: Vec<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT batch.* FROM unnest($1::int2[]) AS owned (lane)
         CROSS JOIN LATERAL (
             SELECT {ROW_COLUMNS} FROM outbox
             WHERE lane = owned.lane AND published_at IS NULL
             ORDER BY aggregate_id, sequence
             LIMIT $2) AS batch"
    )))
    .bind(lanes)
    .bind(per_lane)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.sort_unstable_by_key(|row| (row.aggregate_id, row.sequence));
    Ok(rows)
}

/// Why a batch stopped short.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("row {0} is not a valid CloudEvent: {1}")]
    Invalid(Uuid, String),
}

/// Publishes `rows` in order and returns how many of them, from the start, the broker acked.
/// Every row is handed to the producer before any ack is awaited, so a batch costs one round
/// trip, not one per row; the idempotent producer keeps each partition in order.
pub async fn publish(
    producer: &FutureProducer,
    topics: &Topics,
    rows: &[OutboxRow],
    faults: &Faults,
) -> (usize, Option<PublishError>) {
    let mut deliveries: Vec<(DeliveryFuture, Span)> = Vec::with_capacity(rows.len());
    let mut error = None;
    for row in rows {
        let span = publish_span(topics, row);
        match enqueue(producer, topics, row, faults)
            .instrument(span.clone())
            .await
        {
            Ok(delivery) => deliveries.push((delivery, span)),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    // Only the prefix up to the first failed delivery counts: a row after a failure may have
    // been acked, but marking it would let it overtake the failed one on the next attempt.
    let (mut acked, mut broken) = (0, false);
    for (delivery, span) in deliveries {
        match delivery.instrument(span).await {
            Ok(Ok(_)) if !broken => acked += 1,
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => {
                broken = true;
                error.get_or_insert(PublishError::Kafka(e));
            }
            Err(_) => {
                broken = true;
                error.get_or_insert(PublishError::Kafka(KafkaError::Canceled));
            }
        }
    }
    (acked, error)
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
    );
    telemetry::propagation::continue_trace(
        &span,
        row.traceparent.as_deref(),
        row.tracestate.as_deref(),
    );
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

/// Marks rows published (database clock); a row published before keeps its first time.
pub async fn mark(db: &PgPool, ids: &[Uuid]) -> Result<(), sqlx::Error> {
    // A join with the unnested ids, not `id = ANY($1)`: after a few executions Postgres may
    // switch the prepared statement to a generic plan, which for `= ANY($1)` can be a scan of
    // the table testing every row against the whole list (seconds for a 4,000-row batch).
    // The join plans as one primary-key lookup per id, whatever the statistics.
    sqlx::query(
        "UPDATE outbox SET published_at = coalesce(outbox.published_at, now())
         FROM unnest($1::uuid[]) AS acked (id) WHERE outbox.id = acked.id",
    )
    .bind(ids)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes published rows older than `retention` (database clock), a bounded chunk at a time.
pub async fn purge(db: &PgPool, retention: Duration) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let deleted = sqlx::query(
            "DELETE FROM outbox WHERE id IN (
                 SELECT id FROM outbox
                 WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1)
                 LIMIT 5000)",
        )
        .bind(retention.as_secs_f64())
        .execute(db)
        .await?
        .rows_affected();
        total += deleted;
        if deleted < 5000 {
            return Ok(total);
        }
    }
}

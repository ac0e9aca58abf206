#![doc = include_str!("../README.md")]

use chrono::{DateTime, Utc};
use cloudevents::{Event, EventBuilder, EventBuilderV10};
use events::EventData;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

pub mod relay;

/// The channel the relay LISTENs on.
pub const NOTIFY_CHANNEL: &str = "orderflow_outbox";

/// W3C trace context and baggage of the request that caused an event.
pub use telemetry::propagation::TraceContext;

/// What [`enqueue`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub id: Uuid,
    pub sequence: i64,
}

/// Number of relay ownership lanes. Rows carry their lane, so changing it needs a migration.
pub const LANES: u8 = 16;

/// The lane of an aggregate: from the id's last byte, which is random in UUIDv4 and v7.
pub fn lane_of(aggregate_id: Uuid) -> i16 {
    i16::from(aggregate_id.as_bytes()[15] % LANES)
}

/// Writes `data` as the next event of `aggregate_id`, in the caller's transaction.
pub async fn enqueue<E: EventData>(
    tx: &mut Transaction<'_, Postgres>,
    aggregate_id: Uuid,
    data: &E,
    trace: &TraceContext,
) -> Result<Enqueued, sqlx::Error> {
    enqueue_as(tx, aggregate_id, &aggregate_id.to_string(), data, trace).await
}

/// Like [`enqueue`], with a CloudEvent `subject` other than the aggregate id (a payment event
/// is keyed and sequenced by its order, its subject is the payment).
pub async fn enqueue_as<E: EventData>(
    tx: &mut Transaction<'_, Postgres>,
    aggregate_id: Uuid,
    subject: &str,
    data: &E,
    trace: &TraceContext,
) -> Result<Enqueued, sqlx::Error> {
    insert(tx, Uuid::now_v7(), aggregate_id, subject, data, trace, None).await
}

/// Writes one event in two major versions side by side, `old` then `new`, as the next two
/// events of `aggregate_id` (a rollout: docs/adr/0008-event-versions.md). Both carry the
/// first one's id as their `twin`, so a consumer that knows both versions applies it once,
/// and one that knows a single version skips the other.
pub async fn enqueue_twins<A: EventData, B: EventData>(
    tx: &mut Transaction<'_, Postgres>,
    aggregate_id: Uuid,
    old: &A,
    new: &B,
    trace: &TraceContext,
) -> Result<[Enqueued; 2], sqlx::Error> {
    let subject = aggregate_id.to_string();
    let first = Uuid::now_v7();
    Ok([
        insert(tx, first, aggregate_id, &subject, old, trace, Some(first)).await?,
        insert(
            tx,
            Uuid::now_v7(),
            aggregate_id,
            &subject,
            new,
            trace,
            Some(first),
        )
        .await?,
    ])
}

async fn insert<E: EventData>(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    aggregate_id: Uuid,
    subject: &str,
    data: &E,
    trace: &TraceContext,
    twin: Option<Uuid>,
) -> Result<Enqueued, sqlx::Error> {
    let payload = serde_json::to_value(data).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    // One round trip: bump the aggregate's counter (its row lock orders concurrent writers),
    // insert the event with that sequence, and signal the relay.
    let sequence = sqlx::query_scalar!(
        r#"
        WITH seq AS (
            INSERT INTO outbox_sequences (aggregate_id, last_sequence) VALUES ($2, 1)
            ON CONFLICT (aggregate_id)
            DO UPDATE SET last_sequence = outbox_sequences.last_sequence + 1
            RETURNING last_sequence
        ), event AS (
            INSERT INTO outbox (id, topic, event_type, source, aggregate_id, subject, lane,
                                sequence, payload, traceparent, tracestate, baggage, twin)
            SELECT $1, $3, $4, $5, $2, $10, $11, seq.last_sequence, $6, $7, $8, $13, $12
            FROM seq
            RETURNING sequence
        )
        SELECT event.sequence AS "sequence!" FROM event, pg_notify($9, '')
        "#,
        id,
        aggregate_id,
        E::TOPIC,
        E::TYPE,
        E::SOURCE,
        payload,
        trace.traceparent.as_deref(),
        trace.tracestate.as_deref(),
        NOTIFY_CHANNEL,
        subject,
        lane_of(aggregate_id),
        twin,
        trace.baggage.as_deref(),
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(Enqueued { id, sequence })
}

/// One stored outbox row.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: Uuid,
    pub topic: String,
    pub event_type: String,
    pub source: String,
    pub aggregate_id: Uuid,
    pub subject: String,
    pub sequence: i64,
    pub payload: serde_json::Value,
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
    pub baggage: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The id of the first of an event's versions written side by side (`twin` extension).
    pub twin: Option<Uuid>,
}

impl OutboxRow {
    /// The trace context and baggage the row carries on.
    pub fn trace(&self) -> TraceContext {
        TraceContext {
            traceparent: self.traceparent.clone(),
            tracestate: self.tracestate.clone(),
            baggage: self.baggage.clone(),
        }
    }

    /// The CloudEvent published for this row (docs/architecture.md, section 3): `subject` and
    /// `partitionkey` are the aggregate id, `time` the row's database creation time.
    pub fn to_cloudevent(&self) -> Result<Event, cloudevents::event::EventBuilderError> {
        let aggregate = self.aggregate_id.to_string();
        let mut builder = EventBuilderV10::new()
            .id(self.id.to_string())
            .ty(self.event_type.as_str())
            .source(self.source.as_str())
            .subject(self.subject.as_str())
            .time(self.created_at)
            .extension("partitionkey", aggregate.as_str())
            .extension("sequence", self.sequence)
            .data("application/json", self.payload.clone());
        if let Some(traceparent) = &self.traceparent {
            builder = builder.extension("traceparent", traceparent.as_str());
        }
        if let Some(tracestate) = &self.tracestate {
            builder = builder.extension("tracestate", tracestate.as_str());
        }
        if let Some(baggage) = &self.baggage {
            builder = builder.extension("baggage", baggage.as_str());
        }
        if let Some(twin) = self.twin {
            builder = builder.extension("twin", twin.to_string());
        }
        builder.build()
    }
}

/// Loads the rows of one aggregate in sequence order (tests and tools).
pub async fn rows_of(
    executor: impl sqlx::PgExecutor<'_>,
    aggregate_id: Uuid,
) -> Result<Vec<OutboxRow>, sqlx::Error> {
    sqlx::query_as!(
        OutboxRow,
        "SELECT id, topic, event_type, source, aggregate_id, subject, sequence, payload,
                traceparent, tracestate, baggage, created_at, twin
         FROM outbox WHERE aggregate_id = $1 ORDER BY sequence",
        aggregate_id
    )
    .fetch_all(executor)
    .await
}

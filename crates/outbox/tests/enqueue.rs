//! The outbox writer against a real Postgres.

use chrono::Utc;
use cloudevents::AttributesReader;
use events::{CancelReason, OrderCancelled};
use outbox::{TraceContext, enqueue, rows_of};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use uuid::Uuid;

/// A fresh database with the outbox tables, as each service's migrations create them.
async fn database() -> (PgPool, String) {
    let url = test_support::fresh_database().await;
    let db = PgPool::connect(&url).await.expect("connect");
    sqlx::migrate!("../../migrations/order")
        .run(&db)
        .await
        .expect("schema");
    (db, url)
}

fn cancelled(order_id: Uuid) -> OrderCancelled {
    OrderCancelled {
        order_id,
        checkout_id: Uuid::now_v7(),
        customer_id: "alice".into(),
        reason: CancelReason::CustomerRequested,
        previous_status: "PENDING_PAYMENT".into(),
        cancelled_at: Utc::now(),
    }
}

async fn write(db: &PgPool, aggregate: Uuid, commit: bool) {
    let mut tx = db.begin().await.expect("begin");
    enqueue(
        &mut tx,
        aggregate,
        &cancelled(aggregate),
        &TraceContext::default(),
    )
    .await
    .expect("enqueue");
    if commit {
        tx.commit().await.expect("commit");
    } else {
        tx.rollback().await.expect("rollback");
    }
}

#[tokio::test]
async fn sequences_are_per_aggregate_and_gapless_even_across_rollbacks() {
    let (db, _) = database().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());

    write(&db, a, true).await;
    write(&db, a, false).await;
    write(&db, b, true).await;
    write(&db, a, true).await;

    let sequences =
        |rows: Vec<outbox::OutboxRow>| rows.iter().map(|r| r.sequence).collect::<Vec<_>>();
    assert_eq!(sequences(rows_of(&db, a).await.expect("rows")), [1, 2]);
    assert_eq!(sequences(rows_of(&db, b).await.expect("rows")), [1]);
}

#[tokio::test]
async fn concurrent_writers_of_one_aggregate_get_distinct_consecutive_sequences() {
    let (db, _) = database().await;
    let aggregate = Uuid::now_v7();

    let writers: Vec<_> = (0..16)
        .map(|_| {
            tokio::spawn({
                let db = db.clone();
                async move { write(&db, aggregate, true).await }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("writer");
    }

    let sequences: Vec<i64> = rows_of(&db, aggregate)
        .await
        .expect("rows")
        .iter()
        .map(|r| r.sequence)
        .collect();
    assert_eq!(sequences, (1..=16).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_row_becomes_the_cloudevent_of_the_design() {
    let (db, _) = database().await;
    let aggregate = Uuid::now_v7();
    let trace = TraceContext {
        traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
        tracestate: Some("vendor=1".into()),
        baggage: Some("tenant=acme,run=42".into()),
    };
    let mut tx = db.begin().await.expect("begin");
    let written = enqueue(&mut tx, aggregate, &cancelled(aggregate), &trace)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");

    let row = rows_of(&db, aggregate).await.expect("rows").remove(0);
    let event = row.to_cloudevent().expect("valid event");

    assert_eq!(event.id(), written.id.to_string());
    assert_eq!(written.id.get_version_num(), 7, "ids are UUIDv7");
    assert_eq!(event.ty(), "dev.orderflow.order.cancelled.v1");
    assert_eq!(event.source().to_string(), "/orderflow/order-service");
    assert_eq!(event.subject(), Some(aggregate.to_string().as_str()));
    assert_eq!(event.time(), Some(&row.created_at));
    assert_eq!(
        event.extension("sequence").map(ToString::to_string),
        Some("1".into())
    );
    assert_eq!(
        event.extension("partitionkey").map(ToString::to_string),
        Some(aggregate.to_string())
    );
    assert_eq!(
        event.extension("traceparent").map(ToString::to_string),
        trace.traceparent
    );
    assert_eq!(
        event.extension("tracestate").map(ToString::to_string),
        trace.tracestate
    );
    assert_eq!(
        event.extension("baggage").map(ToString::to_string),
        trace.baggage
    );
    assert_eq!(event.datacontenttype(), Some("application/json"));
}

#[tokio::test]
async fn a_committed_transaction_notifies_the_relay_once_and_a_rolled_back_one_not_at_all() {
    let (db, url) = database().await;
    let mut listener = PgListener::connect(&url).await.expect("listen");
    listener
        .listen(outbox::NOTIFY_CHANNEL)
        .await
        .expect("listen");

    write(&db, Uuid::now_v7(), false).await;
    let mut tx = db.begin().await.expect("begin");
    for _ in 0..3 {
        let aggregate = Uuid::now_v7();
        enqueue(
            &mut tx,
            aggregate,
            &cancelled(aggregate),
            &TraceContext::default(),
        )
        .await
        .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    sqlx::query("SELECT pg_notify($1, 'marker')")
        .bind(outbox::NOTIFY_CHANNEL)
        .execute(&db)
        .await
        .expect("marker");

    let first = listener.recv().await.expect("notification");
    let second = listener.recv().await.expect("notification");
    assert_eq!(
        first.payload(),
        "",
        "the committed transaction's one notification"
    );
    assert_eq!(
        second.payload(),
        "marker",
        "three events in one transaction notify once"
    );
}

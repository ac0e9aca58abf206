//! A backlog relayed in small batches, each batch's mark running beside the next batch: no row
//! is loaded twice, none is left behind a lane's cursor, and each aggregate stays in order.

use std::time::Duration;

use faults::{FaultFlags, Faults};
use outbox::relay::{Relay, RelayConfig, backlog};
use uuid::Uuid;

use crate::harness::{first_occurrences, setup, write};

fn small_batches(faults: Faults) -> RelayConfig {
    RelayConfig {
        poll_interval: Duration::from_millis(50),
        batch_per_lane: 2,
        faults,
        ..RelayConfig::default()
    }
}

/// Per aggregate, the sequences published: `1..=events` once each.
async fn assert_each_once_in_order(
    setup: &crate::harness::Setup,
    aggregates: &[Uuid],
    events: i64,
) {
    let (sequences, total) = first_occurrences(setup).await;
    let expected: Vec<i64> = (1..=events).collect();
    for aggregate in aggregates {
        assert_eq!(sequences[&aggregate.to_string()], expected, "{aggregate}");
    }
    assert_eq!(
        total,
        aggregates.len() * usize::try_from(events).unwrap(),
        "each row exactly once"
    );
}

#[tokio::test]
async fn a_backlog_in_batches_of_two_per_lane_is_published_once_in_order() {
    let setup = setup().await;
    let aggregates: Vec<Uuid> = (0..40).map(|_| Uuid::new_v4()).collect();
    for aggregate in &aggregates {
        write(&setup.db, *aggregate, 5).await;
    }
    let mut relay = Relay::new(
        setup.db.clone(),
        &setup.url,
        &setup.kafka,
        small_batches(Faults::default()),
    )
    .expect("relay");

    relay.drain().await.expect("relay");

    assert_eq!(backlog(&setup.db).await.expect("backlog").unpublished, 0);
    assert_each_once_in_order(&setup, &aggregates, 5).await;
}

/// Random aggregate ids land before and after the lanes' cursors while a drain runs.
#[tokio::test]
async fn rows_committed_during_a_pipelined_drain_are_all_published_in_order() {
    let setup = setup().await;
    let early: Vec<Uuid> = (0..40).map(|_| Uuid::new_v4()).collect();
    for aggregate in &early {
        write(&setup.db, *aggregate, 4).await;
    }
    let late: Vec<Uuid> = (0..40).map(|_| Uuid::new_v4()).collect();
    let writer = {
        let (db, late) = (setup.db.clone(), late.clone());
        tokio::spawn(async move {
            for aggregate in late {
                write(&db, aggregate, 4).await;
            }
        })
    };
    let mut relay = Relay::new(
        setup.db.clone(),
        &setup.url,
        &setup.kafka,
        small_batches(Faults::default()),
    )
    .expect("relay");

    while !writer.is_finished() {
        relay.drain().await.expect("relay");
    }
    writer.await.expect("writer");
    relay.drain().await.expect("relay");

    assert_eq!(backlog(&setup.db).await.expect("backlog").unpublished, 0);
    assert_each_once_in_order(&setup, &[early, late].concat(), 4).await;
}

#[tokio::test]
async fn with_produce_failures_a_pipelined_backlog_is_still_published_once_in_order() {
    let setup = setup().await;
    let aggregates: Vec<Uuid> = (0..30).map(|_| Uuid::new_v4()).collect();
    for aggregate in &aggregates {
        write(&setup.db, *aggregate, 4).await;
    }
    let faults = Faults::new(FaultFlags {
        kafka_produce_fail_rate: 0.05,
        ..FaultFlags::default()
    });
    let mut relay = Relay::new(
        setup.db.clone(),
        &setup.url,
        &setup.kafka,
        small_batches(faults.clone()),
    )
    .expect("relay");

    let mut failed_passes = 0;
    while relay.drain().await.is_err() {
        failed_passes += 1;
        assert!(failed_passes < 10_000, "the relay never got through");
    }

    assert!(faults.fired_total("kafka_produce_fail_rate") > 0);
    assert_eq!(backlog(&setup.db).await.expect("backlog").unpublished, 0);
    assert_each_once_in_order(&setup, &aggregates, 4).await;
}

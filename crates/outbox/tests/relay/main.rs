//! The relay against a real Postgres and the test broker (Apache Kafka in `make test`), each
//! test on topics of its own.

mod harness;
mod held_broker;
mod pipelined;
mod refusals;
mod sessions;
mod wakeups;

use std::time::Duration;

use faults::{FaultFlags, Faults};
use outbox::relay::{Relay, RelayConfig, backlog};
use outbox::{TraceContext, enqueue};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::harness::{event, first_occurrences, relay, setup, wait_drained, write};

#[tokio::test]
async fn the_relay_publishes_committed_rows_once_in_order_and_marks_them() {
    let setup = setup().await;
    let aggregates: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
    for aggregate in &aggregates {
        write(&setup.db, *aggregate, 3).await;
    }
    let mut relay = relay(&setup);

    relay.drain().await.expect("relay");

    assert_eq!(backlog(&setup.db).await.expect("backlog").unpublished, 0);
    let (sequences, total) = first_occurrences(&setup).await;
    assert_eq!(total, 15, "each row exactly once");
    for aggregate in &aggregates {
        assert_eq!(sequences[&aggregate.to_string()], [1, 2, 3]);
    }
}

#[tokio::test]
async fn a_relay_that_dies_between_the_ack_and_the_mark_publishes_again_and_loses_nothing() {
    let setup = setup().await;
    let aggregate = Uuid::now_v7();
    write(&setup.db, aggregate, 4).await;
    let mut first = relay(&setup);
    first.drain().await.expect("relay");
    // The state a crash after the broker's ack and before the mark leaves behind.
    sqlx::query("UPDATE outbox SET published_at = NULL")
        .execute(&setup.db)
        .await
        .expect("unmark");
    drop(first);

    let mut second = relay(&setup);
    second.drain().await.expect("relay");

    let (sequences, total) = first_occurrences(&setup).await;
    assert_eq!(
        total, 8,
        "every row published twice: a duplicate, never a loss"
    );
    assert_eq!(sequences[&aggregate.to_string()], [1, 2, 3, 4]);
    assert_eq!(backlog(&setup.db).await.expect("backlog").unpublished, 0);
}

#[tokio::test]
async fn a_row_committed_late_with_a_smaller_id_is_still_published() {
    let setup = setup().await;
    let (late, early) = (Uuid::now_v7(), Uuid::now_v7());
    let mut slow = setup.db.begin().await.expect("begin");
    enqueue(&mut slow, late, &event(late), &TraceContext::default())
        .await
        .expect("enqueue");
    write(&setup.db, early, 1).await; // a larger id, committed first
    let mut relay = relay(&setup);
    relay.drain().await.expect("relay");

    slow.commit().await.expect("commit");
    relay.drain().await.expect("relay");

    let (sequences, _) = first_occurrences(&setup).await;
    assert_eq!(
        sequences.get(&late.to_string()).map(Vec::len),
        Some(1),
        "the late row was skipped"
    );
    assert_eq!(sequences.get(&early.to_string()).map(Vec::len), Some(1));
}

#[tokio::test]
async fn two_relays_on_one_database_keep_every_aggregate_in_order_even_when_one_dies() {
    let setup = setup().await;
    let aggregates: Vec<Uuid> = (0..40).map(|_| Uuid::now_v7()).collect();
    let shutdown = CancellationToken::new();
    let first = tokio::spawn(relay(&setup).run(shutdown.clone()));
    let second = relay(&setup);
    let second_stats = second.stats();
    let second = tokio::spawn(second.run(shutdown.clone()));

    // 2,000 events from 8 concurrent writers, 1 to 3 events per transaction.
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (db, aggregates) = (setup.db.clone(), aggregates.clone());
            tokio::spawn(async move {
                let mut written = 0;
                let mut i = w;
                while written < 250 {
                    let n = 1 + i % 3;
                    write(&db, aggregates[i % aggregates.len()], n).await;
                    written += n;
                    i += 7;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.abort(); // the owner of the lanes dies mid-stream; the other takes them over
    for writer in writers {
        writer.await.expect("writer");
    }
    wait_drained(&setup.db).await;
    assert_eq!(
        second_stats.lanes_owned(),
        usize::from(outbox::LANES),
        "the survivor took every lane over"
    );
    shutdown.cancel();
    second.await.expect("second relay");

    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&setup.db)
        .await
        .expect("count");
    let (sequences, _) = first_occurrences(&setup).await;
    let published: usize = sequences.values().map(Vec::len).sum();
    assert_eq!(published as i64, written, "every row reached the topic");
    for (key, seqs) in &sequences {
        let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
        assert_eq!(seqs, &expected, "aggregate {key} out of order");
    }
}

#[tokio::test]
async fn with_half_the_produce_attempts_failing_every_row_is_still_published_once_in_order() {
    let setup = setup().await;
    let aggregates: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
    for aggregate in &aggregates {
        write(&setup.db, *aggregate, 6).await;
    }
    let faults = Faults::new(FaultFlags {
        kafka_produce_fail_rate: 0.5,
        ..FaultFlags::default()
    });
    let config = RelayConfig {
        batch_per_lane: 50,
        faults: faults.clone(),
        ..RelayConfig::default()
    };
    let mut relay = Relay::new(setup.db.clone(), &setup.url, &setup.kafka, config).expect("relay");
    let stats = relay.stats();

    // A failed row leaves the rest of its aggregate for the next pass, as the running relay
    // does after its backoff.
    let mut failed_passes = 0;
    while relay.drain().await.is_err() {
        failed_passes += 1;
        assert!(failed_passes < 10_000, "the relay never got through");
    }

    let injected = faults.fired_total("kafka_produce_fail_rate");
    assert!(injected > 0, "30 rows at 0.5 and not one failure");
    let failed = stats.failures_total();
    assert!(
        failed > 0 && failed <= injected,
        "a failure fails its pass ({failed} failed passes, {injected} failures): the other aggregates go on in it"
    );
    assert_eq!(backlog(&setup.db).await.expect("backlog").unpublished, 0);
    let (sequences, total) = first_occurrences(&setup).await;
    assert_eq!(total, 30, "each row exactly once");
    for aggregate in &aggregates {
        assert_eq!(sequences[&aggregate.to_string()], [1, 2, 3, 4, 5, 6]);
    }
}

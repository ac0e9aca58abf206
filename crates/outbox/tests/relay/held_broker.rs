//! A broker that holds every request back for longer than the relay waits for acks.

use std::time::Duration;

use outbox::relay::{Relay, RelayConfig};
use test_support::KafkaCluster;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::harness::{first_occurrences, setup_on, wait_drained, write};

#[tokio::test]
async fn a_broker_frozen_past_the_ack_bound_gets_every_event_once_in_order() {
    // A broker of this test's own, so freezing it disturbs no other test.
    let broker = KafkaCluster::start(1).await;
    let setup = setup_on(&broker.bootstrap()).await;
    let config = RelayConfig {
        poll_interval: Duration::from_millis(50),
        batch_per_lane: 50,
        ack_within: Duration::from_secs(1),
        ..RelayConfig::default()
    };
    let relay = Relay::new(setup.db.clone(), &setup.url, &setup.kafka, config).expect("relay");
    let stats = relay.stats();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(relay.run(shutdown.clone()));
    let aggregates: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();

    // 40 events per aggregate over 4 s; the broker frozen for 3 s of it, three ack bounds.
    let writer = {
        let (db, aggregates) = (setup.db.clone(), aggregates.clone());
        tokio::spawn(async move {
            for _ in 0..40 {
                for aggregate in &aggregates {
                    write(&db, *aggregate, 1).await;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    broker.signal(0, "-STOP");
    tokio::time::sleep(Duration::from_secs(3)).await;
    broker.signal(0, "-CONT");
    writer.await.expect("writer");
    wait_drained(&setup.db).await;
    shutdown.cancel();
    running.await.expect("relay");

    assert!(
        stats.failures_total() > 0,
        "the ack bound was never reached"
    );
    let (sequences, _) = first_occurrences(&setup).await;
    let expected: Vec<i64> = (1..=40).collect();
    for aggregate in &aggregates {
        assert_eq!(
            sequences[&aggregate.to_string()],
            expected,
            "aggregate {aggregate}: every event, none before an earlier one"
        );
    }
}

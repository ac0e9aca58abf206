//! Notifications wake the relay; they must not turn into a query per notification.

use std::time::{Duration, Instant};

use outbox::LANES;
use outbox::relay::{Relay, RelayConfig};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::harness::{setup, wait_drained, write};

const POLL: Duration = Duration::from_millis(500);

#[tokio::test]
async fn a_standby_tries_the_lanes_once_per_poll_interval_however_many_notifications() {
    let setup = setup().await;
    let config = RelayConfig {
        poll_interval: POLL,
        batch_per_lane: 50,
        ..RelayConfig::default()
    };
    let shutdown = CancellationToken::new();
    let owner =
        Relay::new(setup.db.clone(), &setup.url, &setup.kafka, config.clone()).expect("relay");
    let owner_stats = owner.stats();
    let owner = tokio::spawn(owner.run(shutdown.clone()));
    while owner_stats.lanes_owned() < usize::from(LANES) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let standby = Relay::new(setup.db.clone(), &setup.url, &setup.kafka, config).expect("relay");
    let standby_stats = standby.stats();
    let standby = tokio::spawn(standby.run(shutdown.clone()));
    tokio::time::sleep(POLL).await;

    // Four writers, 500 notifying transactions each, paced to 1,000 a second in all.
    let before = standby_stats.lock_attempts_total();
    let started = Instant::now();
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let db = setup.db.clone();
            tokio::spawn(async move {
                let aggregate = Uuid::now_v7();
                let mut pace = tokio::time::interval(Duration::from_millis(4));
                for _ in 0..500 {
                    pace.tick().await;
                    write(&db, aggregate, 1).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("writer");
    }
    let elapsed = started.elapsed();
    let attempts = standby_stats.lock_attempts_total() - before;
    wait_drained(&setup.db).await;
    shutdown.cancel();
    owner.await.expect("owner");
    standby.await.expect("standby");

    let seconds = elapsed.as_secs_f64();
    eprintln!(
        "{:.0} notifying transactions/s for {seconds:.1} s; the standby ran {:.1} lock queries/s",
        2000.0 / seconds,
        attempts as f64 / seconds
    );
    let bound = seconds / POLL.as_secs_f64() + 2.0;
    assert!(
        (attempts as f64) <= bound,
        "{attempts} lock attempts in {seconds:.1} s: more than one per poll interval"
    );
}

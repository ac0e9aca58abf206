//! The relays' Postgres sessions ended under them: by the server (a restart, a failover,
//! `pg_terminate_backend`), or by a network that drops everything without a FIN or RST.

use std::sync::Arc;
use std::time::Duration;

use outbox::LANES;
use outbox::relay::{Relay, RelayConfig, RelayStats};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use test_support::TcpProxy;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::harness::{Setup, first_occurrences, relay, setup, wait_drained, write};

/// Waits until `stats` reports every lane owned.
async fn owns_every_lane(stats: &RelayStats) {
    for _ in 0..200 {
        if stats.lanes_owned() == usize::from(LANES) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the relay never took every lane");
}

/// Runs `owner` until it holds every lane, then a standby beside it, and publishes three
/// events of each aggregate through them.
async fn owner_and_standby(
    setup: &Setup,
    owner: Relay,
    aggregates: &[Uuid],
    shutdown: &CancellationToken,
) -> (JoinHandle<()>, JoinHandle<()>, Arc<RelayStats>) {
    let owner_stats = owner.stats();
    let owner = tokio::spawn(owner.run(shutdown.clone()));
    owns_every_lane(&owner_stats).await;
    let standby = relay(setup);
    let standby_stats = standby.stats();
    let standby = tokio::spawn(standby.run(shutdown.clone()));
    for aggregate in aggregates {
        write(&setup.db, *aggregate, 3).await;
    }
    wait_drained(&setup.db).await;
    (owner, standby, standby_stats)
}

fn assert_in_order(sequences: &std::collections::BTreeMap<String, Vec<i64>>, per_aggregate: i64) {
    for (key, seqs) in sequences {
        let expected: Vec<i64> = (1..=per_aggregate).collect();
        assert_eq!(seqs, &expected, "aggregate {key}");
    }
}

/// Every session of both relays terminated, then the owner dies: the standby, which held no
/// lane, starts new sessions, takes every lane over, and publishes the rest in order. (It
/// kept its ended lock session, and failed on it for ever.)
#[tokio::test]
async fn a_standby_whose_sessions_were_terminated_takes_over_when_the_owner_dies() {
    let setup = setup().await;
    let aggregates: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    let shutdown = CancellationToken::new();
    let (owner, standby, standby_stats) =
        owner_and_standby(&setup, relay(&setup), &aggregates, &shutdown).await;

    let terminated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t",
    )
    .fetch_one(&setup.db)
    .await
    .expect("terminate");
    assert!(
        terminated >= 4,
        "both relays' sessions, pools and lock sessions: {terminated}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    owner.abort(); // dies without releasing anything
    for aggregate in &aggregates {
        write(&setup.db, *aggregate, 3).await;
    }
    wait_drained(&setup.db).await;
    assert_eq!(standby_stats.lanes_owned(), usize::from(LANES));
    shutdown.cancel();
    standby.await.expect("standby");

    let (sequences, _) = first_occurrences(&setup).await;
    assert_eq!(sequences.len(), aggregates.len());
    assert_in_order(&sequences, 6);
}

/// A relay on its own pool and lock session, both through `proxy`.
fn relay_through(setup: &Setup, proxy: &TcpProxy, lock_session_timeout: Duration) -> Relay {
    let url = setup
        .url
        .expose_secret()
        .replace(&test_support::postgres_addr(), &proxy.addr().to_string());
    let db = PgPool::connect_lazy(&url).expect("pool");
    let config = RelayConfig {
        poll_interval: Duration::from_millis(50),
        batch_per_lane: 50,
        lock_session_timeout,
        ..RelayConfig::default()
    };
    Relay::new(db, &SecretString::from(url), &setup.kafka, config).expect("relay")
}

/// The lane owner cut off by a network that drops everything (no FIN, no RST): Postgres
/// ends its lock session once it has been idle for the relay's `lock_session_timeout`, which
/// frees the lanes, and the standby publishes the rest in order within that bound. (Postgres
/// held the session, and so the lanes, until TCP keepalive gave up: about two hours.)
#[tokio::test]
async fn the_lanes_of_an_owner_cut_off_without_a_word_are_taken_over_within_the_bound() {
    let setup = setup().await;
    let aggregates: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    let proxy = TcpProxy::start(&test_support::postgres_addr()).await;
    let shutdown = CancellationToken::new();
    let owner = relay_through(&setup, &proxy, Duration::from_secs(3));
    let (owner, standby, standby_stats) =
        owner_and_standby(&setup, owner, &aggregates, &shutdown).await;

    proxy.blackhole();
    for aggregate in &aggregates {
        write(&setup.db, *aggregate, 3).await;
    }
    let cut = std::time::Instant::now();
    wait_drained(&setup.db).await;
    let took = cut.elapsed();
    assert_eq!(standby_stats.lanes_owned(), usize::from(LANES));
    assert!(took < Duration::from_secs(15), "took over after {took:?}");
    shutdown.cancel();
    owner.abort();
    standby.await.expect("standby");

    let (sequences, _) = first_occurrences(&setup).await;
    assert_in_order(&sequences, 6);
}

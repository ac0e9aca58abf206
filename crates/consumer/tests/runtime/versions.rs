//! An event published in two major versions side by side during a rollout (ADR 0008): every
//! consumer, whichever versions it knows, applies it once; so does a group whose members are
//! replaced by a newer version mid-stream.

use consumer::{Envelope, Handler, HandlerError};
use serde::Deserialize;
use serde_json::json;
use sqlx::{Postgres, Transaction};

use crate::harness::{RECORDED, RECORDED_V2, Setup, setup};

#[derive(Deserialize)]
struct V1 {
    n: i64,
}

#[derive(Deserialize)]
struct V2 {
    thing: V1,
}

async fn record(
    tx: &mut Transaction<'static, Postgres>,
    event: &Envelope,
) -> Result<(), HandlerError> {
    let n = match event.event_type.as_str() {
        RECORDED => event.data::<V1>()?.n,
        _ => event.data::<V2>()?.thing.n,
    };
    sqlx::query("INSERT INTO things (event_id, n) VALUES ($1, $2)")
        .bind(&event.id)
        .bind(n)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Knows version 1 only (the release before the change).
#[derive(Clone)]
struct Old;
/// Knows both (the release that rolls version 2 out).
#[derive(Clone)]
struct Both;
/// Knows version 2 only (a later release, once nothing writes version 1 alone).
#[derive(Clone)]
struct New;

/// Each handler records whichever version it knows.
macro_rules! handles {
    ($handler:ty, $types:expr) => {
        impl Handler for $handler {
            const TYPES: &'static [&'static str] = $types;
            async fn handle(
                &self,
                tx: &mut Transaction<'static, Postgres>,
                event: &Envelope,
            ) -> Result<(), HandlerError> {
                record(tx, event).await
            }
        }
    };
}

handles!(Old, &[RECORDED]);
handles!(Both, &[RECORDED, RECORDED_V2]);
handles!(New, &[RECORDED_V2]);

async fn send_twins(setup: &Setup, from: i64, to: i64) {
    for n in from..=to {
        setup
            .send_twins(
                &format!("event-{n}"),
                json!({ "n": n }),
                json!({ "thing": { "n": n } }),
            )
            .await;
    }
}

/// The numbers recorded, in order: each once, none lost.
async fn recorded(setup: &Setup) -> Vec<i64> {
    sqlx::query_scalar("SELECT n FROM things ORDER BY n")
        .fetch_all(&setup.db)
        .await
        .expect("things")
}

async fn each_twin_once(setup: Setup) {
    send_twins(&setup, 1, 5).await;

    setup
        .until(|s| s.processed_total() + s.duplicates_total() + s.skipped_total() == 10)
        .await;
    assert_eq!(recorded(&setup).await, [1, 2, 3, 4, 5]);
    assert_eq!(setup.stats.processed_total(), 5);
    assert_eq!(
        setup.stats.dead_lettered_total(),
        0,
        "a twin's other version is no poison"
    );
}

#[tokio::test]
async fn a_consumer_that_knows_version_1_only_applies_each_twin_once() {
    each_twin_once(setup(Old).await).await;
}

#[tokio::test]
async fn a_consumer_that_knows_both_versions_applies_each_twin_once() {
    each_twin_once(setup(Both).await).await;
}

#[tokio::test]
async fn a_consumer_that_knows_version_2_only_applies_each_twin_once() {
    each_twin_once(setup(New).await).await;
}

/// A rolling update: the old release stops right after applying version 1 of an event; the
/// new one takes the partition over and finds version 2 of that same event first.
#[tokio::test]
async fn a_group_updated_mid_stream_applies_every_twin_once() {
    let setup = setup(Old).await;
    send_twins(&setup, 1, 2).await;
    setup.send_version("event-3", 1, json!({ "n": 3 })).await;
    setup.until(|s| s.processed_total() == 3).await;
    setup.stop_first().await;

    let (stats, shutdown, running) = setup.start_another(New);
    setup
        .send_version("event-3", 2, json!({ "thing": { "n": 3 } }))
        .await;
    send_twins(&setup, 4, 5).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while stats.processed_total() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    shutdown.cancel();
    running.await.expect("the new release stops");

    assert_eq!(recorded(&setup).await, [1, 2, 3, 4, 5]);
    assert_eq!(
        stats.duplicates_total(),
        1,
        "version 2 of event 3 is known as applied"
    );
    assert_eq!(stats.dead_lettered_total(), 0);
}

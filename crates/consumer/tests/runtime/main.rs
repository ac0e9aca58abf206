//! The consumer runtime against a real Postgres and the test broker (Apache Kafka in
//! `make test`).

mod concurrency;
mod harness;
mod late_topics;
mod parking;
mod versions;

use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use rdkafka::message::{Header, OwnedHeaders};

use crate::harness::{RECORDED, Recorder, setup, setup_with, thing};

#[tokio::test]
async fn the_same_event_delivered_twice_has_one_effect() {
    let setup = setup(Recorder::default()).await;

    setup.send_event("event-1", RECORDED, thing(1, "")).await;
    setup.send_event("event-1", RECORDED, thing(1, "")).await;

    setup
        .until(|s| s.processed_total() + s.duplicates_total() == 2)
        .await;
    assert_eq!(setup.stats.duplicates_total(), 1);
    assert_eq!(setup.things().await, 1);
}

#[tokio::test]
async fn poison_is_dead_lettered_at_once_with_its_headers_and_the_partition_goes_on() {
    let setup = setup(Recorder::default()).await;

    setup
        .send_raw(b"\x00\xffgarbage", OwnedHeaders::new())
        .await;
    let no_type = OwnedHeaders::new()
        .insert(Header {
            key: "ce_specversion",
            value: Some("1.0"),
        })
        .insert(Header {
            key: "ce_id",
            value: Some("x"),
        })
        .insert(Header {
            key: "ce_source",
            value: Some("/test"),
        });
    setup.send_raw(b"{}", no_type).await;
    setup
        .send_event(
            "bad-data",
            RECORDED,
            serde_json::json!({ "n": "not a number" }),
        )
        .await;
    setup
        .send_event("v2", "dev.test.thing.recorded.v2", thing(2, ""))
        .await;
    setup.send_event("good", RECORDED, thing(3, "")).await;

    setup.until(|s| s.processed_total() == 1).await;
    assert_eq!(setup.stats.dead_lettered_total(), 4);
    assert_eq!(setup.stats.retried_total(), 0, "poison is never retried");
    let letters = setup.dead_letters().await;
    assert_eq!(letters.len(), 4);
    let errors: Vec<&str> = letters
        .iter()
        .map(|l| l.header("dlq-error").expect("dlq-error"))
        .collect();
    assert!(
        errors[0].contains("missing CloudEvents attribute"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("missing CloudEvents attribute `type`"),
        "{errors:?}"
    );
    assert!(
        errors[2].contains("does not match the schema"),
        "{errors:?}"
    );
    assert!(errors[3].contains("unknown major version"), "{errors:?}");
    for (i, letter) in letters.iter().enumerate() {
        assert_eq!(
            letter.header("dlq-original-topic"),
            Some(setup.topic().as_str())
        );
        assert_eq!(letter.header("dlq-original-partition"), Some("0"));
        assert_eq!(
            letter.header("dlq-original-offset"),
            Some(i.to_string().as_str())
        );
        assert_eq!(
            letter.header("dlq-consumer-group"),
            Some(format!("{}test", setup.kafka.topic_prefix).as_str())
        );
        assert_eq!(letter.header("dlq-attempts"), Some("1"));
        assert!(letter.header("dlq-failed-at").is_some());
    }
    let garbage = String::from_utf8_lossy(b"\x00\xffgarbage");
    assert_eq!(
        letters[0].payload.as_deref(),
        Some(garbage.as_ref()),
        "the original bytes are kept"
    );
}

#[tokio::test]
async fn an_event_type_the_consumer_does_not_handle_is_skipped() {
    let setup = setup(Recorder::default()).await;

    setup
        .send_event("other", "dev.test.other.happened.v1", thing(1, ""))
        .await;
    setup.send_event("good", RECORDED, thing(2, "")).await;

    setup.until(|s| s.processed_total() == 1).await;
    assert_eq!(setup.stats.skipped_total(), 1);
    assert_eq!(setup.stats.dead_lettered_total(), 0);
}

#[tokio::test]
async fn a_failing_event_is_retried_with_backoff_then_dead_lettered() {
    let setup = setup(Recorder::default()).await;

    setup
        .send_event("failing", RECORDED, thing(1, "fail"))
        .await;
    setup.send_event("good", RECORDED, thing(2, "")).await;

    setup.until(|s| s.processed_total() == 1).await;
    assert_eq!(setup.stats.retried_total(), 2);
    let letters = setup.dead_letters().await;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].header("dlq-attempts"), Some("3"));
    assert_eq!(
        letters[0].header("ce_id"),
        Some("failing"),
        "the original CloudEvent headers are kept"
    );
}

#[tokio::test]
async fn an_outage_is_retried_without_limit_and_never_dead_lettered() {
    let handler = Recorder {
        outages_left: Arc::new(AtomicU32::new(8)),
    };
    let setup = setup(handler).await;

    setup
        .send_event("during-outage", RECORDED, thing(1, "outage"))
        .await;

    setup.until(|s| s.processed_total() == 1).await;
    assert_eq!(
        setup.stats.dead_lettered_total(),
        0,
        "8 outages > 3 attempts, yet nothing is dead-lettered"
    );
    assert_eq!(setup.things().await, 1);
}

#[tokio::test]
async fn a_handler_that_deadlocks_is_retried_and_never_dead_lettered() {
    // One failed attempt would dead-letter: only a transient error survives this.
    let setup = setup_with(Recorder::default(), |c| c.max_attempts = 1).await;
    let mut blocker = setup.db.begin().await.expect("begin");
    // The handler, waiting first and checking for deadlocks after 1 s, is the one Postgres
    // aborts; this session would check only after 30 s.
    sqlx::raw_sql("SET LOCAL deadlock_timeout = '30s'; UPDATE locks SET n = n + 1 WHERE id = 2")
        .execute(&mut *blocker)
        .await
        .expect("hold row 2");

    setup
        .send_event("deadlocks", RECORDED, thing(1, "deadlock"))
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&setup.db)
        .await
        .expect("pg_stat_activity");
        if waiting > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the handler never waited for row 2"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sqlx::query("UPDATE locks SET n = n + 1 WHERE id = 1")
        .execute(&mut *blocker)
        .await
        .expect("row 1, once the handler is aborted");
    blocker.commit().await.expect("commit");

    setup.until(|s| s.processed_total() == 1).await;
    assert_eq!(
        setup.stats.dead_lettered_total(),
        0,
        "a deadlock is not poison"
    );
    assert_eq!(setup.things().await, 1);
}

/// An outage pauses the partitions; librdkafka drops what it had fetched ahead and must fetch
/// it again after the resume. A broker that answered that fetch from past those messages would
/// leave the events queued behind the one in trouble unhandled for ever.
#[tokio::test]
async fn events_queued_behind_an_outage_are_all_handled_after_it() {
    let handler = Recorder {
        outages_left: Arc::new(AtomicU32::new(5)),
    };
    let setup = setup(handler).await;
    // One partition: the nine behind are fetched while the first one is being handled.
    // Sent at once, so that they travel in one record batch, as the relay sends them.
    let mut events = vec![("first".to_owned(), thing(0, "slow outage"))];
    events.extend((1..10).map(|n| (format!("behind-{n}"), thing(n, ""))));
    setup.send_batch(&events).await;

    setup.until(|s| s.processed_total() == 10).await;
    assert_eq!(setup.things().await, 10);
    assert_eq!(setup.stats.dead_lettered_total(), 0);
}

/// An outage that outlasts `max.poll.interval.ms` (about 13 s against 7 s here): the consumer
/// keeps polling with its partitions paused, so the group never takes it for stuck and no
/// rebalance takes its partitions away; then everything is handled, in order, once.
#[tokio::test]
async fn an_outage_longer_than_the_poll_interval_keeps_the_member_and_its_partitions() {
    let handler = Recorder {
        outages_left: Arc::new(AtomicU32::new(20)),
    };
    let setup = setup_with(handler, |config| {
        config.session_timeout = Duration::from_secs(6);
        config.max_poll_interval = Duration::from_secs(7);
        config.retry_max = Duration::from_secs(1);
    })
    .await;
    let mut events = vec![("first".to_owned(), thing(0, "outage"))];
    events.extend((1..5).map(|n| (format!("behind-{n}"), thing(n, ""))));
    setup.send_batch(&events).await;

    setup
        .until_within(Duration::from_secs(60), |s| s.processed_total() == 5)
        .await;
    assert_eq!(setup.things().await, 5);
    assert_eq!(
        setup.stats.revoked_total(),
        0,
        "the member lost its partitions during the outage"
    );
    assert_eq!(setup.stats.duplicates_total(), 0);
}

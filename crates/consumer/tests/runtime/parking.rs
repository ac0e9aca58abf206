//! Dead letters the broker will not take: each is parked in the service's database, counted,
//! and its partition goes on. Tried again for ever instead, such a letter would hold its key,
//! and once the consumer held as many messages as it takes ahead it would stop polling: the
//! group would take the member for stuck, and the next member would wedge on the same letter.

use std::time::Duration;

use consumer::ConsumerConfig;
use consumer::parked::{self, ParkedDeadLetter};
use rdkafka::admin::{AdminClient, AdminOptions, AlterConfig, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer as _};

use crate::harness::{RECORDED, Recorder, Setup, setup, setup_before_topics, thing};

/// librdkafka's own `message.max.bytes`, the producers' limit.
const PRODUCER_MAX_BYTES: usize = 1_000_000;

async fn parked_letters(setup: &Setup) -> Vec<ParkedDeadLetter> {
    let (letters, total) = parked::list(&setup.db, 100).await.expect("parked");
    assert_eq!(letters.len() as i64, total);
    letters
}

/// Whether the broker knows `topic` (asked by a client that never has it made).
async fn topic_exists(setup: &Setup, topic: &str) -> bool {
    let (kafka, topic) = (setup.kafka.clone(), topic.to_owned());
    tokio::task::spawn_blocking(move || {
        let client: BaseConsumer = kafka.client_config().create().expect("client");
        let metadata = client
            .fetch_metadata(Some(&topic), Duration::from_secs(10))
            .expect("metadata");
        metadata
            .topics()
            .iter()
            .any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty())
    })
    .await
    .expect("metadata task")
}

/// The consumer, and its topic without the dead-letter topic.
async fn setup_without_dead_letter_topic(tune: impl FnOnce(&mut ConsumerConfig)) -> Setup {
    let setup = setup_before_topics(Recorder::default(), tune).await;
    messaging::topics::create(&setup.kafka, &[setup.topic()])
        .await
        .expect("the topic");
    setup
}

#[tokio::test]
async fn a_dead_letter_to_a_missing_topic_is_parked_and_the_partition_goes_on() {
    let setup = setup_without_dead_letter_topic(|_| {}).await;

    setup
        .send_event("failing", RECORDED, thing(1, "fail"))
        .await;
    setup.send_event("good", RECORDED, thing(2, "")).await;

    // librdkafka gives a topic just made 30 s to appear before it calls it missing.
    setup
        .until_within(Duration::from_secs(90), |s| s.processed_total() == 1)
        .await;
    assert_eq!(setup.stats.dead_letters_parked_total(), 1);
    assert_eq!(setup.stats.dead_lettered_total(), 0);
    let letters = parked_letters(&setup).await;
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    let dlq = format!("{}.dlq", setup.topic());
    assert_eq!(
        (letter.topic.as_str(), letter.partition, letter.offset),
        (setup.topic().as_str(), 0, 0)
    );
    assert_eq!(letter.dead_letter_topic, dlq);
    assert!(letter.refused_for_good, "{letter:?}");
    assert!(letter.refusal.starts_with("no such topic"), "{letter:?}");
    assert_eq!(letter.error, "failed 3 times: told to fail");
    assert_eq!(letter.header("ce_id"), Some("failing"));
    assert_eq!(letter.header("dlq-attempts"), Some("3"));
    assert_eq!(letter.header("dlq-original-offset"), Some("0"));
    assert!(
        !topic_exists(&setup, &dlq).await,
        "the dead-letter topic was made on the fly, with the broker's defaults"
    );
}

/// An event that fails, a little under the producers' limit: the relay could publish it, but
/// its dead letter, with the `dlq-*` headers, is over it.
fn just_under_the_limit() -> serde_json::Value {
    // Left for the key, the CloudEvents headers (about 120 bytes) and librdkafka's 36 bytes of
    // overhead; the `dlq-*` headers add about 270 more.
    let payload = PRODUCER_MAX_BYTES - 240;
    let mut data = thing(1, "fail");
    data["padding"] = "".into();
    let padding = payload - serde_json::to_vec(&data).expect("json").len();
    data["padding"] = "x".repeat(padding).into();
    data
}

#[tokio::test]
async fn a_dead_letter_its_headers_push_over_the_producers_limit_is_parked_not_retried() {
    let setup = setup(Recorder::default()).await;

    setup
        .send_event("just-under", RECORDED, just_under_the_limit())
        .await;
    setup.send_event("good", RECORDED, thing(2, "")).await;

    setup
        .until_within(Duration::from_secs(60), |s| s.processed_total() == 1)
        .await;
    assert_eq!(setup.stats.dead_letters_parked_total(), 1);
    let letters = parked_letters(&setup).await;
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert!(letter.refused_for_good, "{letter:?}");
    assert!(letter.refusal.starts_with("too large"), "{letter:?}");
    assert_eq!(letter.header("ce_id"), Some("just-under"));
    assert_eq!(
        letter.payload.as_ref().map(String::len),
        Some(PRODUCER_MAX_BYTES - 240),
        "the payload is kept whole"
    );
    assert!(setup.dead_letters().await.is_empty());
}

/// The broker refuses the dead letter for good (the dead-letter topic's `max.message.bytes`
/// is lowered): it is parked. The gapless producer turns that refusal into a fatal error,
/// after which it fails every send: the next dead letter goes through a new one.
#[tokio::test]
async fn a_dead_letter_the_broker_refuses_is_parked_and_the_next_one_is_dead_lettered() {
    let setup = setup(Recorder::default()).await;
    let dlq = format!("{}.dlq", setup.topic());
    set_topic_config(&setup, &dlq, "max.message.bytes", "512").await;
    let mut too_large = thing(1, "fail");
    too_large["padding"] = "x".repeat(2_000).into();

    setup.send_event("too-large", RECORDED, too_large).await;
    setup.until(|s| s.dead_letters_parked_total() == 1).await;
    set_topic_config(&setup, &dlq, "max.message.bytes", "1048588").await;
    setup
        .send_event("failing", RECORDED, thing(2, "fail"))
        .await;
    setup.send_event("good", RECORDED, thing(3, "")).await;

    setup.until(|s| s.processed_total() == 1).await;
    assert_eq!(setup.stats.dead_letters_parked_total(), 1);
    assert_eq!(setup.stats.dead_lettered_total(), 1);
    let parked = parked_letters(&setup).await;
    assert_eq!(parked[0].header("ce_id"), Some("too-large"));
    assert!(parked[0].refusal.starts_with("too large"), "{parked:?}");
    let letters = setup.dead_letters().await;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].header("ce_id"), Some("failing"));
}

/// A send still waiting when `dead_letter_timeout` runs out (3 s here): librdkafka holds a
/// dead letter for a topic it does not see for up to 30 s, in case the topic was just made.
/// A broker away or too few in-sync replicas would hold it the same way.
#[tokio::test]
async fn a_dead_letter_unacked_within_the_dead_letter_timeout_is_parked() {
    let setup = setup_without_dead_letter_topic(|c| {
        c.dead_letter_timeout = Duration::from_secs(3);
    })
    .await;

    setup
        .send_event("failing", RECORDED, thing(1, "fail"))
        .await;
    setup.send_event("good", RECORDED, thing(2, "")).await;

    setup
        .until_within(Duration::from_secs(25), |s| s.processed_total() == 1)
        .await;
    assert_eq!(setup.stats.dead_letters_parked_total(), 1);
    let letters = parked_letters(&setup).await;
    assert_eq!(letters.len(), 1);
    assert!(!letters[0].refused_for_good, "{letters:?}");
    assert!(
        letters[0].refusal.starts_with("not acked within 3s"),
        "{letters:?}"
    );
    assert_eq!(letters[0].header("ce_id"), Some("failing"));
}

/// The database refuses the park too (its table is away): an outage, waited out with the
/// partition paused; the letter is parked once the table is back, and nothing is lost.
#[tokio::test]
async fn a_park_the_database_refuses_is_waited_out_as_an_outage() {
    let setup = setup(Recorder::default()).await;
    park_table(
        &setup,
        "ALTER TABLE parked_dead_letters RENAME TO parked_away",
    )
    .await;

    setup
        .send_event("just-under", RECORDED, just_under_the_limit())
        .await;
    setup.send_event("good", RECORDED, thing(2, "")).await;
    // Two retries a round: a third round means the letter was set aside and tried again.
    setup.until(|s| s.retried_total() >= 6).await;
    assert_eq!(setup.stats.processed_total(), 0, "the partition went on");
    park_table(
        &setup,
        "ALTER TABLE parked_away RENAME TO parked_dead_letters",
    )
    .await;

    setup.until(|s| s.processed_total() == 1).await;
    assert_eq!(setup.stats.dead_letters_parked_total(), 1);
    assert_eq!(parked_letters(&setup).await.len(), 1);
    assert_eq!(setup.things().await, 1);
}

async fn park_table(setup: &Setup, rename: &'static str) {
    sqlx::raw_sql(rename)
        .execute(&setup.db)
        .await
        .expect("rename");
}

/// Sets one config of `topic` (the others go back to the broker's defaults) and waits until
/// the broker answers with it.
async fn set_topic_config(setup: &Setup, topic: &str, name: &str, value: &str) {
    let admin: AdminClient<DefaultClientContext> =
        setup.kafka.client_config().create().expect("admin client");
    let change = AlterConfig::new(ResourceSpecifier::Topic(topic)).set(name, value);
    for result in admin
        .alter_configs(&[change], &AdminOptions::new())
        .await
        .expect("alter configs")
    {
        result.unwrap_or_else(|e| panic!("{name} not set: {e:?}"));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let described = admin
            .describe_configs(&[ResourceSpecifier::Topic(topic)], &AdminOptions::new())
            .await
            .expect("describe configs");
        let now = described[0]
            .as_ref()
            .ok()
            .and_then(|c| c.get(name))
            .and_then(|e| e.value.clone());
        if now.as_deref() == Some(value) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{topic}: {name} is still {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

//! What the relay tests share: a database with the outbox, topics of their own on the test
//! broker, relays over them, writers, and a read of the topic back.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use events::{CancelReason, OrderCancelled};
use messaging::KafkaSettings;
use outbox::relay::{Relay, RelayConfig, backlog};
use outbox::{TraceContext, enqueue};
use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

pub const TOPIC: &str = "orderflow.order.v1";

pub struct Setup {
    pub db: PgPool,
    pub url: SecretString,
    pub kafka: KafkaSettings,
}

pub async fn setup() -> Setup {
    setup_on(&test_support::kafka_brokers()).await
}

/// As [`setup`], on the broker at `brokers` (a cluster of the test's own).
pub async fn setup_on(brokers: &str) -> Setup {
    let url = test_support::fresh_database().await;
    let db = PgPool::connect(&url).await.expect("connect");
    sqlx::migrate!("../../migrations/order")
        .run(&db)
        .await
        .expect("schema");
    let prefix = test_support::unique_topic_prefix();
    let mut kafka = KafkaSettings::local(brokers, &prefix);
    kafka.partitions = 4;
    messaging::topics::create(&kafka, &[format!("{prefix}{TOPIC}")])
        .await
        .expect("topic");
    Setup {
        db,
        url: SecretString::from(url),
        kafka,
    }
}

pub fn relay(setup: &Setup) -> Relay {
    let config = RelayConfig {
        poll_interval: Duration::from_millis(50),
        batch_per_lane: 50,
        ..RelayConfig::default()
    };
    Relay::new(setup.db.clone(), &setup.url, &setup.kafka, config).expect("relay")
}

pub fn event(order_id: Uuid) -> OrderCancelled {
    OrderCancelled {
        order_id,
        checkout_id: Uuid::now_v7(),
        customer_id: "alice".into(),
        reason: CancelReason::CustomerRequested,
        previous_status: "PENDING_PAYMENT".into(),
        cancelled_at: Utc::now(),
    }
}

pub async fn write(db: &PgPool, aggregate: Uuid, events: usize) {
    let mut tx = db.begin().await.expect("begin");
    for _ in 0..events {
        enqueue(
            &mut tx,
            aggregate,
            &event(aggregate),
            &TraceContext::default(),
        )
        .await
        .expect("enqueue");
    }
    tx.commit().await.expect("commit");
}

/// Per key, the sequences of the first occurrence of each event id, in topic order.
pub async fn first_occurrences(setup: &Setup) -> (BTreeMap<String, Vec<i64>>, usize) {
    let topic = format!("{}{TOPIC}", setup.kafka.topic_prefix);
    let records = messaging::dlq::list(&setup.kafka, &topic, 100_000)
        .await
        .expect("read topic");
    let total = records.len();
    let mut seen = std::collections::HashSet::new();
    let mut sequences: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for record in records {
        let id = record.header("ce_id").expect("ce_id").to_owned();
        if seen.insert(id) {
            let sequence = record
                .header("ce_sequence")
                .expect("ce_sequence")
                .parse()
                .expect("number");
            sequences
                .entry(record.key.clone().expect("key"))
                .or_default()
                .push(sequence);
        }
    }
    (sequences, total)
}

pub async fn wait_drained(db: &PgPool) {
    for _ in 0..400 {
        if backlog(db).await.expect("backlog").unpublished == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox never drained");
}

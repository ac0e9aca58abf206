//! A producer that hit a fatal error is replaced, on the test broker (Apache Kafka in
//! `make test`). The broker refusing a record for good (larger than the topic's
//! `max.message.bytes`) breaks the gapless guarantee, which librdkafka makes fatal.

use std::time::Duration;

use messaging::{KafkaSettings, Recovering};
use rdkafka::admin::{AdminClient, AdminOptions, AlterConfig, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureRecord, Producer};

async fn topic_of_small_records() -> (KafkaSettings, String) {
    let prefix = test_support::unique_topic_prefix();
    let kafka = KafkaSettings::local(&test_support::kafka_brokers(), &prefix);
    let topic = format!("{prefix}small");
    messaging::topics::create(&kafka, std::slice::from_ref(&topic))
        .await
        .expect("topic");
    let admin: AdminClient<DefaultClientContext> =
        kafka.client_config().create().expect("admin client");
    let limit = AlterConfig::new(ResourceSpecifier::Topic(&topic)).set("max.message.bytes", "512");
    for result in admin
        .alter_configs(&[limit], &AdminOptions::new())
        .await
        .expect("alter configs")
    {
        result.expect("max.message.bytes set");
    }
    (kafka, topic)
}

async fn send(producer: &Recovering, topic: &str, bytes: usize) -> Result<(), String> {
    let payload = vec![b'x'; bytes];
    let record: FutureRecord<'_, str, [u8]> = FutureRecord::to(topic).key("k").payload(&payload);
    producer
        .current()
        .send(record, Duration::from_secs(10))
        .await
        .map(drop)
        .map_err(|(e, _)| e.to_string())
}

#[tokio::test]
async fn a_producer_that_hit_a_fatal_error_is_replaced_and_sends_again() {
    let (kafka, topic) = topic_of_small_records().await;
    let producer = Recovering::new(&kafka, messaging::producer::idempotent).expect("producer");
    send(&producer, &topic, 10).await.expect("a small record");

    let refused = send(&producer, &topic, 4_000).await;
    assert!(
        refused.is_err(),
        "the broker refuses a record over the limit"
    );
    assert!(
        producer.current().client().fatal_error().is_some(),
        "and the gapless producer is now dead: {refused:?}"
    );
    assert!(
        send(&producer, &topic, 10).await.is_err(),
        "a dead producer fails every send"
    );

    assert!(producer.recover(), "a fatal error replaces the producer");
    send(&producer, &topic, 10)
        .await
        .expect("the new producer sends");
    assert!(!producer.recover(), "a healthy producer is kept");
}

//! `KafkaCluster` (and so `scripts/kafka.sh node`) keeps a node's data on disk: a node killed
//! with SIGKILL and started again still has every record it acknowledged.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use test_support::KafkaCluster;

const TOPIC: &str = "kept";

#[tokio::test]
async fn a_node_killed_and_started_again_keeps_every_acknowledged_record() {
    let mut cluster = KafkaCluster::start(1).await;
    let config = |cluster: &KafkaCluster| {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", cluster.bootstrap());
        config
    };
    let admin: AdminClient<DefaultClientContext> = config(&cluster).create().expect("admin");
    admin
        .create_topics(
            &[NewTopic::new(TOPIC, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .expect("create")[0]
        .clone()
        .expect("topic");
    let producer: FutureProducer = config(&cluster)
        .set("enable.idempotence", "true")
        .create()
        .expect("producer");
    for n in 0..10 {
        producer
            .send(
                FutureRecord::<str, str>::to(TOPIC).payload(&n.to_string()),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| e)
            .expect("acked");
    }
    drop(producer);

    cluster.kill(0);
    cluster.restart(0).await;

    let consumer: BaseConsumer = config(&cluster)
        .set("group.id", "reader")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    let read = tokio::task::spawn_blocking(move || {
        consumer.subscribe(&[TOPIC]).expect("subscribe");
        let mut payloads = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while payloads.len() < 10 && std::time::Instant::now() < deadline {
            if let Some(Ok(message)) = consumer.poll(Duration::from_millis(500)) {
                payloads.push(
                    String::from_utf8_lossy(message.payload().unwrap_or_default()).into_owned(),
                );
            }
        }
        payloads
    })
    .await
    .expect("reader");
    let expected: Vec<String> = (0..10).map(|n| n.to_string()).collect();
    assert_eq!(read, expected);
}

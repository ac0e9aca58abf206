//! The dead-letter reader on the test broker (Apache Kafka in `make test`), on topics made a
//! moment before, as a first look at a fresh deployment's dead letters would be.

use messaging::{KafkaSettings, dlq, topics};

/// Right after `topics::ensure` returns, the topics answer: an offset past the end is "no dead
/// letter", never a Kafka error (a partition whose leader the broker has not yet settled
/// answers ListOffsets with an error for a few milliseconds).
#[tokio::test]
async fn fresh_topics_answer_at_once() {
    for _ in 0..10 {
        let prefix = test_support::unique_topic_prefix();
        let kafka = KafkaSettings::local(&test_support::kafka_brokers(), &prefix);
        topics::ensure(&kafka).await.expect("topics");
        let dead = topics::Topics::new(&prefix).dlq(events::topics::PAYMENT);

        let shown = dlq::show(&kafka, &dead, 0, 51_613).await;

        assert!(
            matches!(shown, Ok(None)),
            "a fresh topic's past-the-end offset: {shown:?}"
        );
    }
}

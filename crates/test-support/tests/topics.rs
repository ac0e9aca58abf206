//! `topics::drop_old` on the real test broker.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;

fn topic_names(admin: &AdminClient<DefaultClientContext>) -> Vec<String> {
    let metadata = admin
        .inner()
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("metadata");
    metadata
        .topics()
        .iter()
        .map(|t| t.name().to_owned())
        .collect()
}

#[tokio::test]
async fn test_topics_over_an_hour_old_are_dropped_and_newer_ones_kept() {
    let brokers = test_support::kafka_brokers();
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create()
        .expect("admin client");
    let fresh = format!("{}orderflow.order.v1", test_support::unique_topic_prefix());
    // What a test two hours ago would have named it: a UUIDv7 starts with its milliseconds.
    let two_hours_ago = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis()
        - 2 * 3600 * 1000;
    let old = format!("t{two_hours_ago:012x}{}", &fresh[13..]);
    let topics: Vec<NewTopic> = [&fresh, &old]
        .iter()
        .map(|name| NewTopic::new(name, 1, TopicReplication::Fixed(1)))
        .collect();
    admin
        .create_topics(&topics, &AdminOptions::new())
        .await
        .expect("create topics");

    let dropped = test_support::topics::drop_old(&brokers, Duration::from_secs(3600))
        .await
        .expect("drop old topics");

    assert!(dropped >= 1, "the old topic was not dropped");
    let mut names = topic_names(&admin);
    for _ in 0..50 {
        if !names.contains(&old) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        names = topic_names(&admin);
    }
    assert!(!names.contains(&old), "{old} is still there");
    assert!(names.contains(&fresh), "{fresh} was dropped too");
}

//! A consumer started before its topics exist, as a service is under a plain `kubectl apply`
//! (it starts beside the Job that makes the topics, which makes them one after the other).

use std::time::Duration;

use crate::harness::{Recorder, TOPIC, setup_before_topics, thing};

const LATER: &str = "test.later.v1";

/// Subscribed while only some of its topics exist, librdkafka assigns those and looks for the
/// others only at its next metadata refresh, five minutes later: events on a topic made in
/// between waited that long. The consumer subscribes once every topic exists instead.
#[tokio::test]
async fn a_topic_made_after_the_consumer_started_is_consumed_at_once() {
    let setup = setup_before_topics(Recorder::default(), |c| c.topics = vec![TOPIC, LATER]).await;
    setup.create_topics().await;
    // Long enough for a consumer subscribed now to join and be assigned the first topic.
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert!(
        !setup.stats.subscribed(),
        "subscribed while a topic is missing"
    );

    setup.create_topic(LATER).await;
    setup.send_event_to(LATER, "later-1", thing(1, "")).await;

    // Well inside librdkafka's five minutes, well beyond the consumer's one-second wait.
    setup
        .until_within(Duration::from_secs(60), |s| s.processed_total() == 1)
        .await;
    assert_eq!(setup.things().await, 1);
}

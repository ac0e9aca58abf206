//! The dead-letter tools on the test broker (Apache Kafka in `make test`), with this test's
//! own topics.

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn app_with_topics() -> TestApp {
    let app = spawn_app().await;
    messaging::topics::ensure(&app.kafka)
        .await
        .expect("create the test's topics");
    app
}

/// A partition the topic does not have holds no dead letter: a 404, not a 503 "Kafka is
/// unavailable" (librdkafka's UnknownPartition is no outage).
#[tokio::test]
async fn a_dead_letter_at_a_partition_that_does_not_exist_is_not_found() {
    let app = app_with_topics().await;
    let topic = events::topics::CHECKOUT;

    for partition in ["549155", "-1"] {
        let show = app
            .client
            .get(app.url(&format!("/v1/admin/dead-letters/{topic}/{partition}/0")))
            .bearer_auth(app.admin_token())
            .send()
            .await
            .expect("request");
        assert_problem(show, 404, "dead_letter_not_found").await;

        let replay = app
            .client
            .post(app.url(&format!(
                "/v1/admin/dead-letters/{topic}/{partition}/0/replay"
            )))
            .bearer_auth(app.admin_token())
            .send()
            .await
            .expect("request");
        assert_problem(replay, 404, "dead_letter_not_found").await;
    }
}

#[tokio::test]
async fn a_dead_letter_past_the_end_of_a_real_partition_is_not_found() {
    let app = app_with_topics().await;

    let show = app
        .client
        .get(app.url(&format!(
            "/v1/admin/dead-letters/{}/0/51613",
            events::topics::PAYMENT
        )))
        .bearer_auth(app.admin_token())
        .send()
        .await
        .expect("request");

    assert_problem(show, 404, "dead_letter_not_found").await;
}

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

/// A dead letter the broker would not take is kept in the service's database: the operator
/// sees it, with its headers' and payload's bytes as text and why the broker refused it.
#[tokio::test]
async fn a_parked_dead_letter_is_listed_for_the_operator() {
    let app = spawn_app().await;
    sqlx::query(
        "INSERT INTO parked_dead_letters (consumer_group, original_topic, original_partition,
             original_offset, dead_letter_topic, message_key, payload, header_keys,
             header_values, error, attempts, refusal, refused_for_good)
         VALUES ('order-service', 'orderflow.checkout.v1', 3, 42, 'orderflow.checkout.v1.dlq',
                 'k', '{\"n\": 1}', ARRAY['ce_id', 'dlq-error', 'empty'],
                 ARRAY['e-1'::bytea, 'failed 5 times: boom'::bytea, NULL], 'failed 5 times: boom',
                 5, 'no such topic: Local: Unknown topic', true)",
    )
    .execute(&app.db)
    .await
    .expect("a parked dead letter");

    let listed: serde_json::Value = app
        .client
        .get(app.url("/v1/admin/dead-letters/parked"))
        .bearer_auth(app.admin_token())
        .send()
        .await
        .expect("request")
        .error_for_status()
        .expect("200")
        .json()
        .await
        .expect("json");

    assert_eq!(listed["total"], 1);
    let letter = &listed["items"][0];
    assert_eq!(letter["topic"], "orderflow.checkout.v1");
    assert_eq!(letter["partition"], 3);
    assert_eq!(letter["offset"], 42);
    assert_eq!(letter["dead_letter_topic"], "orderflow.checkout.v1.dlq");
    assert_eq!(letter["key"], "k");
    assert_eq!(letter["payload"], "{\"n\": 1}");
    assert_eq!(
        letter["headers"],
        serde_json::json!([
            ["ce_id", "e-1"],
            ["dlq-error", "failed 5 times: boom"],
            ["empty", ""]
        ])
    );
    assert_eq!(letter["refusal"], "no such topic: Local: Unknown topic");
    assert_eq!(letter["refused_for_good"], true);
    assert!(letter["parked_at"].is_string(), "{letter}");
}

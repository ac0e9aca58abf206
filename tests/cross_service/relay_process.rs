//! `<service> relay`, the relay as its own process: it reads `FAULT_FLAGS`, fails readiness
//! and produce attempts as they say, and serves `/v1/admin/faults` to clear them.

use std::time::Duration;

use checkout_service::startup::CheckoutService;
use http_kit::auth::JwtKeys;
use orderflow_tests::{eventually, faults_fired};
use secrecy::SecretString;
use serde_json::{Value, json};
use settings::Env;

const WITHIN: Duration = Duration::from_secs(30);
const SECRET: &str = "relay-process-tests-secret-32-bytes-min";

#[tokio::test]
async fn the_relay_process_holds_rows_back_until_its_fault_flags_are_cleared() {
    let database_url = test_support::fresh_database().await;
    let kafka = messaging::KafkaSettings::local(
        &test_support::kafka_brokers(),
        &test_support::unique_topic_prefix(),
    );
    messaging::topics::ensure(&kafka).await.expect("topics");
    // The relay process binds HTTP_ADDR itself: take a port the system just handed out.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let settings = checkout_service::settings::Settings::from_env(Env::from_pairs([
        ("HTTP_ADDR", format!("127.0.0.1:{port}")),
        ("DATABASE_URL", database_url.clone()),
        ("AUTH_JWT_SECRET", SECRET.to_owned()),
        ("KAFKA_BROKERS", kafka.brokers.clone()),
        ("KAFKA_TOPIC_PREFIX", kafka.topic_prefix.clone()),
        ("RELAY_MODE", "off".to_owned()),
        (
            "FAULT_FLAGS",
            "kafka_produce_fail_rate=1,fail_readiness=true".to_owned(),
        ),
    ]))
    .expect("settings");
    service_kit::command::migrate::<CheckoutService>(&settings)
        .await
        .expect("migrate");
    let db = sqlx::PgPool::connect(&database_url).await.expect("db");
    let confirmed: events::OrderConfirmed = serde_json::from_value(json!({
        "order_id": uuid::Uuid::now_v7(),
        "checkout_id": uuid::Uuid::now_v7(),
        "customer_id": "alice",
        "confirmed_at": "2030-01-01T00:00:00Z",
    }))
    .expect("event");
    let mut tx = db.begin().await.expect("begin");
    outbox::enqueue(
        &mut tx,
        confirmed.order_id,
        &confirmed,
        &outbox::TraceContext::default(),
    )
    .await
    .expect("enqueue");
    tx.commit().await.expect("commit");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    let relay_shutdown = shutdown.clone();
    tokio::spawn(async move {
        service_kit::command::relay::<CheckoutService>(&settings, relay_shutdown).await
    });
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let admin = JwtKeys::hs256(&SecretString::from(SECRET.to_owned())).issue(
        "ops",
        true,
        Duration::from_secs(600),
    );
    let unpublished = || async {
        outbox::relay::backlog(&db)
            .await
            .expect("backlog")
            .unpublished
    };

    let started = eventually(WITHIN, || async {
        let live = client.get(format!("{base}/health/live")).send().await;
        live.ok().filter(|r| r.status() == 200)
    })
    .await;
    assert!(started.is_some(), "the relay process never answered");
    let refused = eventually(WITHIN, || async {
        (faults_fired(
            &client,
            &format!("{base}/metrics"),
            "kafka_produce_fail_rate",
        )
        .await
            >= 2.0)
            .then_some(())
    })
    .await;
    assert!(refused.is_some(), "the relay never tried twice");
    let ready = client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .expect("request");
    assert_eq!(ready.status(), 503);
    assert_eq!(unpublished().await, 1, "a failed produce leaves the row");
    let flags: Value = client
        .get(format!("{base}/v1/admin/faults"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(flags["kafka_produce_fail_rate"], 1.0);

    let cleared = client
        .put(format!("{base}/v1/admin/faults"))
        .bearer_auth(&admin)
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(cleared.status(), 200);
    let drained = eventually(WITHIN, || async {
        (unpublished().await == 0).then_some(())
    })
    .await;

    assert!(drained.is_some(), "the row was never published");
    let topic = messaging::Topics::new(&kafka.topic_prefix).name(events::topics::ORDER);
    let records = messaging::dlq::list(&kafka, &topic, 100)
        .await
        .expect("read topic");
    assert_eq!(records.len(), 1, "published once");
    let ready = client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .expect("request");
    assert_eq!(ready.status(), 200);
}

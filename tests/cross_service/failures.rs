//! The saga under failure: poison and replay, a database outage, a paused broker, duplicates.

use std::time::Duration;

use orderflow_tests::{Options, System};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::FutureRecord;
use test_support::TcpProxy;

const SAGA: Duration = Duration::from_secs(30);

#[tokio::test]
async fn the_same_event_delivered_twice_by_hand_has_one_effect() {
    let system = System::start().await;
    let (_, checkout_id) = system.submit_checkout("alice", "tok_visa").await;
    system.wait_final("alice", &checkout_id, SAGA).await;

    // Replay the checkout.submitted record exactly as it was published.
    let record = system.records(events::topics::CHECKOUT).await.remove(0);
    let producer = messaging::producer::idempotent(&system.kafka).expect("producer");
    let mut headers = OwnedHeaders::new();
    for (key, value) in &record.headers {
        headers = headers.insert(Header {
            key,
            value: Some(value.as_str()),
        });
    }
    let topic = messaging::Topics::new(&system.kafka.topic_prefix).name(events::topics::CHECKOUT);
    let payload = record.payload_bytes.clone().expect("payload");
    let duplicate: FutureRecord<'_, str, [u8]> = FutureRecord::to(&topic)
        .key(record.key.as_deref().expect("key"))
        .payload(payload.as_slice())
        .headers(headers);
    producer
        .send(duplicate, Duration::from_secs(10))
        .await
        .expect("produce");

    let absorbed = system
        .eventually(SAGA, || async {
            let status = system.admin_json(&system.order("/v1/admin/outbox")).await;
            (status["consumer_duplicates_total"] == 1).then_some(())
        })
        .await;
    assert!(
        absorbed.is_some(),
        "the duplicate must be seen and absorbed by the inbox"
    );
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&system.order_db)
        .await
        .expect("count");
    assert_eq!(orders, 1);
    let placed = system
        .records(events::topics::ORDER)
        .await
        .iter()
        .filter(|r| r.header("ce_type") == Some("dev.orderflow.order.placed.v1"))
        .count();
    assert_eq!(placed, 1, "no second order.placed");
}

#[tokio::test]
async fn an_event_that_keeps_failing_is_dead_lettered_and_its_replay_completes_the_saga() {
    let system = System::start().await;
    sqlx::raw_sql(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'orders are refused'; END $$;
         CREATE TRIGGER refuse BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse();",
    )
    .execute(&system.order_db)
    .await
    .expect("install failing trigger");
    let (_, checkout_id) = system.submit_checkout("alice", "tok_visa").await;

    let list_url = system.order(&format!(
        "/v1/admin/dead-letters?topic={}",
        events::topics::CHECKOUT
    ));
    let (status, _) = system.get_json(&list_url, "alice").await;
    assert_eq!(status, 403, "the dead-letter tools are for admins only");
    let letters = system
        .eventually(SAGA, || async {
            let list = system.admin_json(&list_url).await;
            list["items"]
                .as_array()
                .filter(|items| !items.is_empty())
                .cloned()
        })
        .await
        .expect("the failing event reaches the DLQ");
    let letter = &letters[0];
    let header = |key: &str| {
        letter["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .find(|h| h[0] == key)
            .map(|h| h[1].as_str().expect("text").to_owned())
    };
    assert_eq!(header("dlq-attempts").as_deref(), Some("3"));
    assert!(
        header("dlq-error")
            .expect("dlq-error")
            .contains("orders are refused")
    );
    assert_eq!(
        header("ce_type").as_deref(),
        Some("dev.orderflow.checkout.submitted.v1")
    );

    // Fix the cause, then replay.
    sqlx::raw_sql("DROP TRIGGER refuse ON orders")
        .execute(&system.order_db)
        .await
        .expect("fix");
    let replay = system
        .client
        .post(system.order(&format!(
            "/v1/admin/dead-letters/{}/{}/{}/replay",
            events::topics::CHECKOUT,
            letter["partition"],
            letter["offset"]
        )))
        .bearer_auth(system.admin_token())
        .send()
        .await
        .expect("request");
    assert_eq!(replay.status(), 202);

    let view = system.wait_final("alice", &checkout_id, SAGA).await;
    assert_eq!(view["status"], "COMPLETED", "{view}");
}

#[tokio::test]
async fn postgres_down_while_events_flow_dead_letters_nothing_and_consumption_resumes() {
    let postgres = TcpProxy::start(&test_support::postgres_addr()).await;
    let system = System::start_with(Options {
        order_postgres: Some(postgres.addr()),
        ..Options::default()
    })
    .await;
    let mut checkouts = Vec::new();
    for i in 0..3 {
        checkouts.push(
            system
                .submit_checkout(&format!("customer-{i}"), "tok_visa")
                .await,
        );
    }

    postgres.cut();
    for i in 3..6 {
        checkouts.push(
            system
                .submit_checkout(&format!("customer-{i}"), "tok_visa")
                .await,
        );
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, during) = system
        .get_json(
            &system.checkout(&format!("/v1/checkouts/{}", checkouts[3].1)),
            "customer-3",
        )
        .await;
    assert_eq!(
        during["status"], "PENDING",
        "no order can be placed while order-service's database is away"
    );
    postgres.restore();

    for (i, (_, checkout_id)) in checkouts.iter().enumerate() {
        let view = system
            .wait_final(&format!("customer-{i}"), checkout_id, SAGA)
            .await;
        assert_eq!(view["status"], "COMPLETED", "checkout {i}: {view}");
    }
    let status = system.admin_json(&system.order("/v1/admin/outbox")).await;
    assert_eq!(
        status["consumer_dead_lettered_total"], 0,
        "an outage is never a dead letter: {status}"
    );
}

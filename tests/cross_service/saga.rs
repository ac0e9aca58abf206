//! The saga of docs/architecture.md (section 1), end to end: both services, the real broker.

use std::time::Duration;

use orderflow_tests::System;
use serde_json::Value;

const SAGA: Duration = Duration::from_secs(30);

fn header<'a>(record: &'a messaging::dlq::DeadLetter, key: &str) -> &'a str {
    record.header(key).unwrap_or_default()
}

#[tokio::test]
async fn a_checkout_paid_with_a_good_card_completes_and_its_order_is_confirmed() {
    let system = System::start().await;
    let (session, checkout_id) = system.submit_checkout("alice", "tok_visa").await;

    let view = system.wait_final("alice", &checkout_id, SAGA).await;

    assert_eq!(view["status"], "COMPLETED", "{view}");
    let order_id = view["order_id"].as_str().expect("order id").to_owned();
    let (_, order) = system
        .get_json(&system.order(&format!("/v1/orders/{order_id}")), "alice")
        .await;
    assert_eq!(order["status"], "CONFIRMED");
    let history: Vec<&str> = order["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["status"].as_str().expect("status"))
        .collect();
    assert_eq!(history, ["PENDING_PAYMENT", "CONFIRMED"]);
    let (_, payment) = system
        .get_json(
            &system.checkout(&format!("/v1/payments/{order_id}")),
            "alice",
        )
        .await;
    assert_eq!(payment["status"], "AUTHORIZED");
    assert_eq!(payment["amount_minor"], 17800);
    let cart = system
        .client
        .get(system.checkout("/v1/cart"))
        .bearer_auth(system.token("alice"))
        .header("X-Session-Id", &session)
        .send()
        .await
        .expect("request")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(
        cart["items"],
        serde_json::json!([]),
        "the checked-out cart is emptied"
    );

    // Each event once on its topic, a binary-mode CloudEvent keyed by its aggregate.
    let submitted = system.records(events::topics::CHECKOUT).await;
    assert_eq!(submitted.len(), 1);
    assert_eq!(submitted[0].key.as_deref(), Some(checkout_id.as_str()));
    assert_eq!(
        header(&submitted[0], "ce_type"),
        "dev.orderflow.checkout.submitted.v1"
    );
    assert_eq!(header(&submitted[0], "ce_specversion"), "1.0");
    assert_eq!(
        header(&submitted[0], "ce_source"),
        "/orderflow/checkout-service"
    );
    assert_eq!(header(&submitted[0], "ce_subject"), checkout_id);
    assert_eq!(header(&submitted[0], "ce_sequence"), "1");
    assert_eq!(header(&submitted[0], "content-type"), "application/json");
    let order_records = system.records(events::topics::ORDER).await;
    let order_events: Vec<&str> = order_records.iter().map(|r| header(r, "ce_type")).collect();
    assert_eq!(
        order_events,
        [
            "dev.orderflow.order.placed.v1",
            "dev.orderflow.order.placed.v2",
            "dev.orderflow.order.confirmed.v1"
        ],
        "order.placed in both versions while version 2 is rolled out (ADR 0008)"
    );
    assert_eq!(
        order_records[0].header("ce_twin"),
        order_records[1].header("ce_twin"),
        "the two versions are twins"
    );
    assert_eq!(
        order_records[0].header("ce_twin"),
        order_records[0].header("ce_id")
    );
    assert_eq!(order_records[2].header("ce_twin"), None);
    let payments = system.records(events::topics::PAYMENT).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(
        header(&payments[0], "ce_type"),
        "dev.orderflow.payment.authorized.v1"
    );
    assert_eq!(
        payments[0].key.as_deref(),
        Some(order_id.as_str()),
        "payment events are keyed by order"
    );
    assert_eq!(
        header(&payments[0], "ce_subject"),
        payment["payment_id"].as_str().expect("payment id")
    );
}

#[tokio::test]
async fn a_declined_card_cancels_the_order_and_fails_the_checkout() {
    let system = System::start().await;
    let (_, checkout_id) = system.submit_checkout("alice", "tok_chargeDeclined").await;

    let view = system.wait_final("alice", &checkout_id, SAGA).await;

    assert_eq!(view["status"], "FAILED", "{view}");
    assert_eq!(view["failure_reason"], "declined");
    let order_id = view["order_id"].as_str().expect("order id");
    let (_, order) = system
        .get_json(&system.order(&format!("/v1/orders/{order_id}")), "alice")
        .await;
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["cancel_reason"], "payment_declined");
    let (_, payment) = system
        .get_json(
            &system.checkout(&format!("/v1/payments/{order_id}")),
            "alice",
        )
        .await;
    assert_eq!(payment["status"], "DECLINED");
    assert_eq!(payment["decline_reason"], "card_declined");
}

#[tokio::test]
async fn a_transient_payment_failure_is_retried_then_settled_as_declined() {
    let system = System::start().await;
    let (_, checkout_id) = system.submit_checkout("alice", "tok_processingError").await;

    let view = system.wait_final("alice", &checkout_id, SAGA).await;

    assert_eq!(view["status"], "FAILED", "{view}");
    let order_id = view["order_id"].as_str().expect("order id");
    let (_, payment) = system
        .get_json(
            &system.checkout(&format!("/v1/payments/{order_id}")),
            "alice",
        )
        .await;
    assert_eq!(payment["status"], "DECLINED");
    assert_eq!(payment["decline_reason"], "processing_error");
    assert_eq!(
        payment["attempts"], 3,
        "the payment logic retries with its own attempt count"
    );
}

#[tokio::test]
async fn cancelling_a_confirmed_order_refunds_its_payment() {
    let system = System::start().await;
    let (_, checkout_id) = system.submit_checkout("alice", "tok_visa").await;
    let view = system.wait_final("alice", &checkout_id, SAGA).await;
    let order_id = view["order_id"].as_str().expect("order id").to_owned();

    let cancelled = system.cancel_order("alice", &order_id).await;

    assert_eq!(cancelled, 200);
    let refunded = system
        .wait_payment("alice", &order_id, &["REFUNDED"], SAGA)
        .await;
    assert!(refunded.is_some(), "the payment must be refunded");
    let (_, checkout) = system
        .get_json(
            &system.checkout(&format!("/v1/checkouts/{checkout_id}")),
            "alice",
        )
        .await;
    assert_eq!(
        checkout["status"], "COMPLETED",
        "a completed checkout stays completed"
    );
    let refunds: i64 =
        sqlx::query_scalar("SELECT count(*) FROM provider_operations WHERE kind = 'refund'")
            .fetch_one(&system.checkout_db)
            .await
            .expect("count");
    assert_eq!(refunds, 1);
}

#[tokio::test]
async fn a_cancel_racing_the_payment_authorization_ends_consistent() {
    let system = System::start().await;
    let (_, checkout_id) = system.submit_checkout("alice", "tok_visa").await;
    let order_id = system
        .eventually(SAGA, || async {
            let (_, page) = system.get_json(&system.order("/v1/orders"), "alice").await;
            page["items"][0]["order_id"].as_str().map(str::to_owned)
        })
        .await
        .expect("the order is placed");

    assert_eq!(
        system.cancel_order("alice", &order_id).await,
        200,
        "a PENDING_PAYMENT or CONFIRMED order can be cancelled"
    );
    let payment = system
        .wait_payment("alice", &order_id, &["REFUNDED"], SAGA)
        .await;
    assert!(
        payment.is_some(),
        "whoever won the race, the authorized payment ends refunded"
    );
    let (_, order) = system
        .get_json(&system.order(&format!("/v1/orders/{order_id}")), "alice")
        .await;
    assert_eq!(order["status"], "CANCELLED");
    let checkout = system.wait_final("alice", &checkout_id, SAGA).await;
    assert_ne!(checkout["status"], "PENDING");
    let charges: i64 =
        sqlx::query_scalar("SELECT count(*) FROM provider_operations WHERE kind = 'authorization'")
            .fetch_one(&system.checkout_db)
            .await
            .expect("count");
    assert_eq!(charges, 1, "one provider charge per payment");
}

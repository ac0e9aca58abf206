//! The payment fault flags across the saga: an unreachable provider is an outage the saga
//! waits out, never a decline, and the checkout completes once the flag is cleared.

use std::time::Duration;

use orderflow_tests::{Options, System, faults_fired};
use serde_json::json;

const SAGA: Duration = Duration::from_secs(30);

/// `faults_fired_total{flag="<flag>"}` of checkout-service.
async fn fired(system: &System, flag: &str) -> f64 {
    faults_fired(&system.client, &system.checkout("/metrics"), flag).await
}

#[tokio::test]
async fn an_unreachable_payment_provider_keeps_the_checkout_pending_and_it_completes_once_cleared()
{
    let system = System::start_with(Options {
        checkout_extra: &[("FAULT_FLAGS", "payment_unreachable=true,payment_slow_ms=20")],
        ..Options::default()
    })
    .await;
    let (_, checkout_id) = system.submit_checkout("alice", "tok_visa").await;

    // The saga reached the provider, got no answer, and tried again.
    let retried = system
        .eventually(SAGA, || async {
            (fired(&system, "payment_unreachable").await >= 2.0).then_some(())
        })
        .await;
    assert!(
        retried.is_some(),
        "the saga never called the provider twice"
    );
    let (_, pending) = system
        .get_json(
            &system.checkout(&format!("/v1/checkouts/{checkout_id}")),
            "alice",
        )
        .await;
    assert_eq!(pending["status"], "PENDING", "{pending}");
    let payments: i64 = sqlx::query_scalar("SELECT count(*) FROM payments")
        .fetch_one(&system.checkout_db)
        .await
        .expect("count");
    assert_eq!(payments, 0, "no payment decided while the provider is away");
    let order_status: String =
        sqlx::query_scalar("SELECT status FROM orders WHERE checkout_id = $1::uuid")
            .bind(&checkout_id)
            .fetch_one(&system.order_db)
            .await
            .expect("the order was placed");
    assert_eq!(order_status, "PENDING_PAYMENT");
    assert!(system.records(events::topics::PAYMENT).await.is_empty());
    let backbone = system
        .admin_json(&system.checkout("/v1/admin/outbox"))
        .await;
    assert_eq!(
        backbone["consumer_retried_total"], 0,
        "an outage is not a failed attempt: {backbone}"
    );
    assert_eq!(backbone["consumer_dead_lettered_total"], 0);
    assert!(fired(&system, "payment_slow_ms").await >= 2.0);

    let cleared = system
        .client
        .put(system.checkout("/v1/admin/faults"))
        .bearer_auth(system.admin_token())
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(cleared.status(), 200);
    let view = system.wait_final("alice", &checkout_id, SAGA).await;

    assert_eq!(view["status"], "COMPLETED", "{view}");
    let order_id = view["order_id"].as_str().expect("order id");
    let (_, payment) = system
        .get_json(
            &system.checkout(&format!("/v1/payments/{order_id}")),
            "alice",
        )
        .await;
    assert_eq!(payment["status"], "AUTHORIZED", "{payment}");
    assert_eq!(payment["attempts"], 1, "outages do not count as attempts");
    let payment_events: Vec<String> = system
        .records(events::topics::PAYMENT)
        .await
        .iter()
        .map(|r| r.header("ce_type").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(payment_events, ["dev.orderflow.payment.authorized.v1"]);
}

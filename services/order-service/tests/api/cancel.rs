use serde_json::Value;

use order_service::domain::OrderStatus;
use order_service::orders::store as orders;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn cancelling_a_pending_order_records_it_and_writes_order_cancelled_in_one_transaction() {
    let app = spawn_app().await;
    let id = app.place_order("alice").await;

    let response = app.cancel_as("alice", id).await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "CANCELLED");
    assert_eq!(body["cancel_reason"], "customer_requested");
    assert_eq!(body["history"][1]["status"], "CANCELLED");
    let events = outbox::rows_of(&app.db, id).await.expect("outbox");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, "dev.orderflow.order.cancelled.v1");
    assert_eq!(events[0].topic, "orderflow.order.v1");
    assert_eq!(events[0].payload["reason"], "customer_requested");
    assert_eq!(events[0].payload["previous_status"], "PENDING_PAYMENT");
}

#[tokio::test]
async fn a_confirmed_order_can_be_cancelled() {
    let app = spawn_app().await;
    let id = app.place_order("alice").await;
    let mut tx = app.db.begin().await.expect("begin");
    orders::transition(
        &mut tx,
        id,
        &[OrderStatus::PendingPayment],
        OrderStatus::Confirmed,
        None,
    )
    .await
    .expect("confirm");
    tx.commit().await.expect("commit");

    let response = app.cancel_as("alice", id).await;

    assert_eq!(response.status(), 200);
    let events = outbox::rows_of(&app.db, id).await.expect("outbox");
    assert_eq!(events[0].payload["previous_status"], "CONFIRMED");
}

#[tokio::test]
async fn cancelling_twice_is_a_409_and_writes_no_second_event() {
    let app = spawn_app().await;
    let id = app.place_order("alice").await;
    app.cancel_as("alice", id).await;

    let again = app.cancel_as("alice", id).await;

    assert_problem(again, 409, "order_not_cancellable").await;
    assert_eq!(outbox::rows_of(&app.db, id).await.expect("outbox").len(), 1);
}

#[tokio::test]
async fn a_customer_cannot_cancel_another_customers_order() {
    let app = spawn_app().await;
    let id = app.place_order("alice").await;

    let by_bob = app.cancel_as("bob", id).await;

    assert_problem(by_bob, 404, "order_not_found").await;
    let order = orders::find(&app.db, id)
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(order.status, OrderStatus::PendingPayment);
}

#[tokio::test]
async fn racing_cancels_cancel_once() {
    let app = spawn_app().await;
    let id = app.place_order("alice").await;

    let racing: Vec<_> = (0..6)
        .map(|_| {
            let request = app
                .client
                .post(app.url(&format!("/v1/orders/{id}/cancel")))
                .bearer_auth(app.token("alice"));
            tokio::spawn(request.send())
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in racing {
        statuses.push(
            handle
                .await
                .expect("task")
                .expect("request")
                .status()
                .as_u16(),
        );
    }

    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409]);
    assert_eq!(outbox::rows_of(&app.db, id).await.expect("outbox").len(), 1);
}

#[tokio::test]
async fn cancels_over_the_customers_write_burst_get_a_429_problem() {
    let database_url = test_support::fresh_database().await;
    let overrides = [
        ("RATE_LIMIT_WRITES_PER_SECOND", "0.001"),
        ("RATE_LIMIT_BURST", "1"),
    ];
    let app = spawn_app_with(&database_url, &database_url, &overrides).await;
    let (first, second) = (
        app.place_order("alice").await,
        app.place_order("alice").await,
    );
    assert_eq!(app.cancel_as("alice", first).await.status(), 200);

    let response = app.cancel_as("alice", second).await;

    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 429, "rate_limited").await;
    assert_eq!(app.cancel_as("bob", second).await.status(), 404);
}

//! The data layer, tested directly.

use order_service::domain::OrderStatus;
use order_service::orders::store::{self as orders, NewOrder};
use uuid::Uuid;

use crate::helpers::{lines, place_order, spawn_app};

#[tokio::test]
async fn an_order_is_created_pending_payment_with_its_first_history_entry() {
    let app = spawn_app().await;

    let id = place_order(&app.db, "alice").await;

    let order = orders::find(&app.db, id)
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(order.status, OrderStatus::PendingPayment);
    assert_eq!(order.total_minor, 17800);
    assert_eq!(order.lines.0, lines());
    let history = orders::history(&app.db, id).await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].status, OrderStatus::PendingPayment);
}

#[tokio::test]
async fn a_checkout_creates_at_most_one_order() {
    let app = spawn_app().await;
    let checkout_id = Uuid::now_v7();
    let lines = lines();
    let new = NewOrder {
        checkout_id,
        customer_id: "alice",
        lines: &lines,
        total_minor: 17800,
        currency: "USD",
        trace_id: None,
    };

    let mut tx = app.db.begin().await.expect("begin");
    let first = orders::insert(&mut tx, &new).await.expect("insert");
    let second = orders::insert(&mut tx, &new).await.expect("insert");
    tx.commit().await.expect("commit");

    assert!(first.is_some());
    assert_eq!(
        second, None,
        "a redelivered checkout.submitted must not create a second order"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(count, 1);
}

#[tokio::test]
async fn transitions_are_guarded_by_the_expected_current_status() {
    let app = spawn_app().await;
    let id = place_order(&app.db, "alice").await;
    let mut tx = app.db.begin().await.expect("begin");

    let confirmed = orders::transition(
        &mut tx,
        id,
        &[OrderStatus::PendingPayment],
        OrderStatus::Confirmed,
        None,
    )
    .await
    .expect("update");
    let replayed = orders::transition(
        &mut tx,
        id,
        &[OrderStatus::PendingPayment],
        OrderStatus::Confirmed,
        None,
    )
    .await
    .expect("update");
    let cancelled = orders::transition(
        &mut tx,
        id,
        &OrderStatus::CANCELLABLE,
        OrderStatus::Cancelled,
        Some("customer_requested"),
    )
    .await
    .expect("update");
    let revived = orders::transition(
        &mut tx,
        id,
        &[OrderStatus::Cancelled],
        OrderStatus::Confirmed,
        None,
    )
    .await
    .expect("update");
    tx.commit().await.expect("commit");

    assert_eq!(confirmed, Some(OrderStatus::PendingPayment));
    assert_eq!(replayed, None, "a replayed event is a no-op");
    assert_eq!(cancelled, Some(OrderStatus::Confirmed));
    assert_eq!(
        revived, None,
        "CANCELLED is final, whatever the caller expects"
    );
    let statuses: Vec<String> = orders::history(&app.db, id)
        .await
        .expect("history")
        .into_iter()
        .map(|c| c.status.to_string())
        .collect();
    assert_eq!(statuses, ["PENDING_PAYMENT", "CONFIRMED", "CANCELLED"]);
}

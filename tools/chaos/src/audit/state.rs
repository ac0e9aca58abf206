//! The guarantees on what the services' own tables hold: checkouts, orders, payments, the
//! provider's ledger and the status history. Apart from the event checks because each one is
//! a query of its own and needs nothing read from the topics.

use std::collections::{HashMap, HashSet};

use sqlx::PgPool;
use uuid::Uuid;

use super::{Check, Sources};

pub(super) async fn accepted_reached_a_final_state(
    db: &PgPool,
    accepted: &[Uuid],
) -> anyhow::Result<Check> {
    let mut check = Check::new("every accepted checkout is COMPLETED or FAILED");
    let statuses: HashMap<Uuid, String> =
        sqlx::query_as("SELECT id, status FROM checkouts WHERE id = ANY($1)")
            .bind(accepted)
            .fetch_all(db)
            .await?
            .into_iter()
            .collect();
    for id in accepted {
        let status = statuses.get(id).map_or("missing", String::as_str);
        check.expect(matches!(status, "COMPLETED" | "FAILED"), || {
            format!("checkout {id} is {status}")
        });
    }
    Ok(check)
}

pub(super) async fn one_order_per_checkout(sources: &Sources<'_>) -> anyhow::Result<Check> {
    let mut check = Check::new("one order per checkout");
    let checkouts: Vec<(Uuid, String, Option<Uuid>)> =
        sqlx::query_as("SELECT id, status, order_id FROM checkouts")
            .fetch_all(sources.checkout_db)
            .await?;
    let orders: Vec<(Uuid, Uuid)> = sqlx::query_as("SELECT id, checkout_id FROM orders")
        .fetch_all(sources.order_db)
        .await?;
    let mut per_checkout: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (order, checkout) in orders {
        per_checkout.entry(checkout).or_default().push(order);
    }
    for (id, status, order_id) in &checkouts {
        let orders = per_checkout.remove(id).unwrap_or_default();
        check.expect(orders.len() <= 1, || {
            format!("checkout {id} has {} orders", orders.len())
        });
        check.expect(status != "COMPLETED" || orders.len() == 1, || {
            format!("checkout {id} is COMPLETED without an order")
        });
        check.expect(
            order_id.is_none() || orders.first() == order_id.as_ref(),
            || format!("checkout {id} names order {order_id:?}, orders hold {orders:?}"),
        );
    }
    for (checkout, orders) in per_checkout {
        check.expect(false, || {
            format!("orders {orders:?} belong to no checkout ({checkout})")
        });
    }
    Ok(check)
}

pub(super) async fn one_payment_decision_per_order(sources: &Sources<'_>) -> anyhow::Result<Check> {
    let mut check = Check::new("one payment decision per order, agreeing with the order");
    let payments: HashMap<Uuid, String> = sqlx::query_as("SELECT order_id, status FROM payments")
        .fetch_all(sources.checkout_db)
        .await?
        .into_iter()
        .collect();
    let orders: Vec<(Uuid, String, Option<String>)> =
        sqlx::query_as("SELECT id, status, cancel_reason FROM orders")
            .fetch_all(sources.order_db)
            .await?;
    let order_ids: HashSet<Uuid> = orders.iter().map(|(id, ..)| *id).collect();
    for (id, status, reason) in &orders {
        let payment = payments.get(id).map(String::as_str);
        let agrees = match (status.as_str(), reason.as_deref()) {
            ("CONFIRMED", _) => payment == Some("AUTHORIZED"),
            ("CANCELLED", Some("payment_declined")) => payment == Some("DECLINED"),
            ("CANCELLED", _) => payment != Some("AUTHORIZED") && payment != Some("DECLINED"),
            _ => true,
        };
        check.expect(agrees, || {
            format!("order {id} is {status} ({reason:?}) with payment {payment:?}")
        });
    }
    for order in payments.keys() {
        check.expect(order_ids.contains(order), || {
            format!("a payment for order {order}, which order-service does not hold")
        });
    }
    Ok(check)
}

pub(super) async fn one_provider_charge_per_payment(db: &PgPool) -> anyhow::Result<Check> {
    let mut check = Check::new("one provider charge per payment");
    // The provider's ledger is keyed by the payment id: a second charge would need a second
    // payment id for the same order, so count charges per order.
    let rows: Vec<(Uuid, i64, i64)> = sqlx::query_as(
        "SELECT p.order_id,
                count(*) FILTER (WHERE o.kind = 'authorization'),
                count(*) FILTER (WHERE o.kind = 'refund')
         FROM payments p LEFT JOIN provider_operations o
              ON o.idempotency_key IN (p.id::text, 'refund:' || p.id::text)
         GROUP BY p.order_id",
    )
    .fetch_all(db)
    .await?;
    for (order, charges, refunds) in &rows {
        check.expect(*charges == 1 && *refunds <= 1, || {
            format!("order {order}: {charges} charges, {refunds} refunds")
        });
    }
    let (ledger, payments): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM provider_operations WHERE kind = 'authorization'),
                (SELECT count(*) FROM payments)",
    )
    .fetch_one(db)
    .await?;
    check.expect(ledger == payments, || {
        format!("{ledger} provider authorizations for {payments} payments")
    });
    Ok(check)
}

pub(super) async fn status_history_without_repeats(db: &PgPool) -> anyhow::Result<Check> {
    let mut check = Check::new("each order status change recorded once");
    let rows: Vec<(Uuid, String, i64)> = sqlx::query_as(
        "SELECT order_id, status, count(*) FROM order_status_history GROUP BY order_id, status",
    )
    .fetch_all(db)
    .await?;
    for (order, status, times) in &rows {
        check.expect(*times == 1, || {
            format!("order {order} became {status} {times} times")
        });
    }
    Ok(check)
}

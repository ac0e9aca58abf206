//! Orders and their status history. Every status change is an UPDATE guarded by the expected
//! current status, so a replayed or out-of-order event is a no-op, never a corruption.

use chrono::{DateTime, Utc};
use events::OrderLine;
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

use crate::domain::OrderStatus;

/// An order to create from a `checkout.submitted` event.
#[derive(Debug)]
pub struct NewOrder<'a> {
    pub checkout_id: Uuid,
    pub customer_id: &'a str,
    pub lines: &'a [OrderLine],
    pub total_minor: i64,
    pub currency: &'a str,
    /// The trace the checkout started (`orders.trace_id`).
    pub trace_id: Option<&'a str>,
}

/// A stored order.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: Uuid,
    pub checkout_id: Uuid,
    pub customer_id: String,
    pub status: OrderStatus,
    pub cancel_reason: Option<String>,
    pub lines: sqlx::types::Json<Vec<OrderLine>>,
    pub total_minor: i64,
    pub currency: String,
    pub trace_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One entry of an order's history.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub status: OrderStatus,
    pub reason: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// The query that reads [`Order`]s, with the rest of its SQL after `FROM orders`: a macro, so
/// that each use is still one literal checked at compile time.
macro_rules! select_orders {
    ($rest:literal, $($arg:expr),* $(,)?) => {
        sqlx::query_as!(
            Order,
            r#"SELECT id, checkout_id, customer_id, status AS "status: OrderStatus", cancel_reason,
                      lines AS "lines: sqlx::types::Json<Vec<OrderLine>>", total_minor,
                      currency::text AS "currency!", trace_id, created_at, updated_at
               FROM orders "# + $rest,
            $($arg),*
        )
    };
}

/// Creates the order of a checkout in PENDING_PAYMENT, with its first history entry.
/// Returns `None` when the checkout already has an order (`orders.checkout_id` is unique).
pub async fn insert(
    tx: &mut Transaction<'_, Postgres>,
    new: &NewOrder<'_>,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"WITH created AS (
            INSERT INTO orders
                (id, checkout_id, customer_id, status, lines, total_minor, currency, trace_id)
            VALUES ($1, $2, $3, 'PENDING_PAYMENT', $4, $5, $6, $7)
            ON CONFLICT (checkout_id) DO NOTHING
            RETURNING id
         ), history AS (
            INSERT INTO order_status_history (order_id, status) SELECT id, 'PENDING_PAYMENT' FROM created
         )
         SELECT id AS "id!" FROM created"#,
        Uuid::now_v7(),
        new.checkout_id,
        new.customer_id,
        sqlx::types::Json(new.lines) as _,
        new.total_minor,
        new.currency,
        new.trace_id,
    )
    .fetch_optional(&mut **tx)
    .await
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Order>, sqlx::Error> {
    select_orders!("WHERE id = $1", id).fetch_optional(db).await
}

/// Reads an order and locks it until the transaction ends.
pub async fn find_for_update(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
) -> Result<Option<Order>, sqlx::Error> {
    select_orders!("WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut **tx)
        .await
}

/// Records that the order's payment was refunded (the first time counts).
pub async fn record_refund(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE orders SET refunded_at = coalesce(refunded_at, $2) WHERE id = $1",
        id,
        at
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn history(db: impl PgExecutor<'_>, id: Uuid) -> Result<Vec<StatusChange>, sqlx::Error> {
    sqlx::query_as!(
        StatusChange,
        r#"SELECT status AS "status: OrderStatus", reason, occurred_at
           FROM order_status_history WHERE order_id = $1 ORDER BY id"#,
        id
    )
    .fetch_all(db)
    .await
}

/// One page of orders, newest first, after `cursor` (keyset on the UUIDv7 id).
/// `owner: None` lists every customer's orders (admins).
pub async fn page(
    db: impl PgExecutor<'_>,
    owner: Option<&str>,
    cursor: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    select_orders!(
        "WHERE ($1::text IS NULL OR customer_id = $1) AND ($2::uuid IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3",
        owner,
        cursor,
        limit,
    )
    .fetch_all(db)
    .await
}

/// Moves an order to `to` if it is in one of `from`, recording the change in its history.
/// Returns the status it left, or `None` when it was not in `from` (a guarded no-op).
pub async fn transition(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    from: &[OrderStatus],
    to: OrderStatus,
    reason: Option<&str>,
) -> Result<Option<OrderStatus>, sqlx::Error> {
    let from: Vec<String> = from
        .iter()
        .filter(|s| s.can_become(to))
        .map(|s| s.as_str().to_owned())
        .collect();
    sqlx::query_scalar!(
        r#"WITH current AS (
            SELECT id, status FROM orders WHERE id = $1 AND status = ANY($2) FOR UPDATE
         ), changed AS (
            UPDATE orders SET status = $3, cancel_reason = $4, updated_at = now()
            FROM current WHERE orders.id = current.id
            RETURNING current.status AS previous
         ), history AS (
            INSERT INTO order_status_history (order_id, status, reason) SELECT $1, $3, $4 FROM changed
         )
         SELECT previous AS "previous!: OrderStatus" FROM changed"#,
        id,
        &from,
        to as _,
        reason,
    )
    .fetch_optional(&mut **tx)
    .await
}

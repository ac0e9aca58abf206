//! Payment records.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, Postgres, Transaction};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::PaymentStatus;

/// A payment as stored and shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Payment {
    #[serde(rename = "payment_id")]
    pub id: Uuid,
    pub order_id: Uuid,
    pub checkout_id: Uuid,
    pub amount_minor: i64,
    pub currency: String,
    pub status: PaymentStatus,
    pub decline_reason: Option<String>,
    /// Provider calls it took (transient errors are retried).
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A payment decision to record.
#[derive(Debug)]
pub struct NewPayment<'a> {
    pub id: Uuid,
    pub order_id: Uuid,
    pub checkout_id: Uuid,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub status: PaymentStatus,
    pub decline_reason: Option<&'a str>,
    pub attempts: i32,
}

pub async fn insert(
    tx: &mut Transaction<'_, Postgres>,
    new: &NewPayment<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO payments (id, order_id, checkout_id, amount_minor, currency, status, decline_reason, attempts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        new.id,
        new.order_id,
        new.checkout_id,
        new.amount_minor,
        new.currency,
        new.status as _,
        new.decline_reason,
        new.attempts,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find_by_order(
    db: impl PgExecutor<'_>,
    order_id: Uuid,
) -> Result<Option<Payment>, sqlx::Error> {
    sqlx::query_as!(
        Payment,
        r#"SELECT id, order_id, checkout_id, amount_minor, currency::text AS "currency!",
                  status AS "status: PaymentStatus", decline_reason, attempts, created_at, updated_at
           FROM payments WHERE order_id = $1"#,
        order_id
    )
    .fetch_optional(db)
    .await
}

/// The payment of an order with the customer who owns it (for authorization checks).
pub async fn find_with_owner(
    db: impl PgExecutor<'_>,
    order_id: Uuid,
) -> Result<Option<(Payment, String)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT p.id, p.order_id, p.checkout_id, p.amount_minor, p.currency::text AS "currency!",
                  p.status AS "status: PaymentStatus", p.decline_reason, p.attempts, p.created_at,
                  p.updated_at, c.customer_id
           FROM payments p JOIN checkouts c ON c.id = p.checkout_id WHERE p.order_id = $1"#,
        order_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| {
        let payment = Payment {
            id: r.id,
            order_id: r.order_id,
            checkout_id: r.checkout_id,
            amount_minor: r.amount_minor,
            currency: r.currency,
            status: r.status,
            decline_reason: r.decline_reason,
            attempts: r.attempts,
            created_at: r.created_at,
            updated_at: r.updated_at,
        };
        (payment, r.customer_id)
    }))
}

/// AUTHORIZED → REFUNDED; `false` when the payment was not authorized (a guarded no-op).
pub async fn mark_refunded(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query!(
        "UPDATE payments SET status = 'REFUNDED', updated_at = now()
         WHERE id = $1 AND status = 'AUTHORIZED'",
        id
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

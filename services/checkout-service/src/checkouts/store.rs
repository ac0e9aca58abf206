//! Checkouts: stored PENDING with their priced lines, in the same transaction as the
//! `checkout.submitted` outbox row.

use chrono::{DateTime, Utc};
use events::OrderLine;
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

use crate::domain::{CheckoutStatus, Money};

/// A checkout to insert.
#[derive(Debug)]
pub struct NewCheckout<'a> {
    pub id: Uuid,
    pub customer_id: &'a str,
    pub session_id: Uuid,
    pub cart_version: i64,
    pub lines: &'a [OrderLine],
    pub total: &'a Money,
    pub card_token: &'a str,
}

/// A stored checkout.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub id: Uuid,
    pub customer_id: String,
    pub status: CheckoutStatus,
    pub failure_reason: Option<String>,
    pub order_id: Option<Uuid>,
    pub lines: sqlx::types::Json<Vec<OrderLine>>,
    pub total_minor: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a checkout was not inserted.
#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    /// This (session, cart version) was checked out before: the same cart content twice.
    #[error("this version of the cart was already checked out")]
    CartAlreadyCheckedOut,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Inserts a PENDING checkout; returns its database creation time.
pub async fn insert(
    tx: &mut Transaction<'_, Postgres>,
    new: &NewCheckout<'_>,
) -> Result<DateTime<Utc>, InsertError> {
    let inserted = sqlx::query_scalar!(
        "INSERT INTO checkouts
            (id, customer_id, session_id, cart_version, lines, total_minor, currency, card_token)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING created_at",
        new.id,
        new.customer_id,
        new.session_id,
        new.cart_version,
        sqlx::types::Json(new.lines) as _,
        new.total.amount_minor(),
        new.total.currency(),
        new.card_token,
    )
    .fetch_one(&mut **tx)
    .await;
    match inserted {
        Err(e) if storage::unique_violation(&e) == Some("checkouts_session_cart_version_key") => {
            Err(InsertError::CartAlreadyCheckedOut)
        }
        other => Ok(other?),
    }
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Checkout>, sqlx::Error> {
    sqlx::query_as!(
        Checkout,
        r#"SELECT id, customer_id, status AS "status: CheckoutStatus", failure_reason, order_id,
                  lines AS "lines: sqlx::types::Json<Vec<OrderLine>>", total_minor,
                  currency::text AS "currency!", created_at, updated_at
           FROM checkouts WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// What the saga needs of a checkout, locked until the transaction ends.
#[derive(Debug, Clone)]
pub struct SagaView {
    pub status: CheckoutStatus,
    pub card_token: String,
}

pub async fn lock_for_saga(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
) -> Result<Option<SagaView>, sqlx::Error> {
    sqlx::query_as!(
        SagaView,
        r#"SELECT status AS "status: CheckoutStatus", card_token
           FROM checkouts WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(&mut **tx)
    .await
}

/// Records the order of a checkout (once).
pub async fn attach_order(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    order_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE checkouts SET order_id = $2, updated_at = now() WHERE id = $1 AND order_id IS NULL",
        id,
        order_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// PENDING → COMPLETED; returns the (session, cart version) checked out, or `None` when the
/// checkout was not PENDING (a guarded no-op).
pub async fn complete(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
) -> Result<Option<(Uuid, i64)>, sqlx::Error> {
    let completed = sqlx::query!(
        "UPDATE checkouts SET status = 'COMPLETED', updated_at = now()
         WHERE id = $1 AND status = 'PENDING' RETURNING session_id, cart_version",
        id
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(completed.map(|row| (row.session_id, row.cart_version)))
}

/// PENDING → FAILED with `reason` (`declined`, `cancelled`, `timeout`); `false` if not PENDING.
pub async fn fail(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    order_id: Option<Uuid>,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query!(
        "UPDATE checkouts SET status = 'FAILED', failure_reason = $3, order_id = COALESCE(order_id, $2),
                updated_at = now()
         WHERE id = $1 AND status = 'PENDING'",
        id,
        order_id as Option<Uuid>,
        reason
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

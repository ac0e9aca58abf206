//! Checkouts: stored PENDING with their priced lines, in the same transaction as the
//! `checkout.submitted` outbox row.

use chrono::{DateTime, Utc};
use events::OrderLine;
use http_kit::{Problem, Result, db};
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

/// A checkout to insert.
#[derive(Debug)]
pub struct NewCheckout<'a> {
    pub id: Uuid,
    pub customer_id: &'a str,
    pub session_id: Uuid,
    pub cart_version: i64,
    pub lines: &'a [OrderLine],
    pub total_minor: i64,
    pub currency: &'a str,
    pub card_token: &'a str,
}

/// A stored checkout.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Checkout {
    pub id: Uuid,
    pub customer_id: String,
    pub status: String,
    pub failure_reason: Option<String>,
    pub order_id: Option<Uuid>,
    pub lines: sqlx::types::Json<Vec<OrderLine>>,
    pub total_minor: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Inserts a PENDING checkout; returns its database creation time. A second checkout of the
/// same (session, cart version) is a 409.
pub async fn insert(
    tx: &mut Transaction<'_, Postgres>,
    new: &NewCheckout<'_>,
) -> Result<DateTime<Utc>> {
    let inserted = sqlx::query_scalar(
        "INSERT INTO checkouts
            (id, customer_id, session_id, cart_version, lines, total_minor, currency, card_token)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING created_at",
    )
    .bind(new.id)
    .bind(new.customer_id)
    .bind(new.session_id)
    .bind(new.cart_version)
    .bind(sqlx::types::Json(new.lines))
    .bind(new.total_minor)
    .bind(new.currency)
    .bind(new.card_token)
    .fetch_one(&mut **tx)
    .await;
    match inserted {
        Err(e) if db::unique_violation(&e) == Some("checkouts_session_cart_version_key") => Err(Problem::conflict(
            "cart_already_checked_out",
            "this version of the cart was already checked out; change the cart to check out again",
        )
        .into()),
        other => Ok(other?),
    }
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Checkout>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, customer_id, status, failure_reason, order_id, lines, total_minor,
                currency::text AS currency, created_at, updated_at
         FROM checkouts WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

//! Idempotency keys, scoped per (customer, route, key), stored with the request's fingerprint
//! and the response. The row is claimed first in the request's own transaction, already
//! holding the response the request will give (its ids are drawn before), so a successful
//! request costs one statement here. A concurrent duplicate blocks on the primary key until
//! the first commits (then replays its response) or rolls back (then proceeds as the first).

use std::time::Duration;

use sqlx::{PgPool, Postgres, Transaction};

/// A stored response to replay.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub request_hash: Vec<u8>,
    pub response_status: Option<i16>,
    pub response_body: Option<serde_json::Value>,
    pub response_location: Option<String>,
}

/// The outcome of claiming a key.
#[derive(Debug)]
pub enum Claim {
    /// First use: the key now holds `response`, which stands if the transaction commits.
    New,
    /// Used before: replay (same fingerprint) or refuse (another request).
    Existing(StoredResponse),
}

/// The scope of one key.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub customer_id: &'a str,
    pub route: &'a str,
    pub key: &'a str,
}

/// The response a request will give if its transaction commits.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    pub status: u16,
    pub body: &'a serde_json::Value,
    pub location: Option<&'a str>,
}

pub async fn claim(
    tx: &mut Transaction<'_, Postgres>,
    scope: Scope<'_>,
    request_hash: &[u8],
    response: Response<'_>,
) -> Result<Claim, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO idempotency_keys
            (customer_id, route, key, request_hash, response_status, response_body, response_location)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        scope.customer_id,
        scope.route,
        scope.key,
        request_hash,
        i16::try_from(response.status).unwrap_or(i16::MAX),
        response.body,
        response.location,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::New);
    }
    let stored = sqlx::query_as!(
        StoredResponse,
        "SELECT request_hash, response_status, response_body, response_location
         FROM idempotency_keys WHERE customer_id = $1 AND route = $2 AND key = $3",
        scope.customer_id,
        scope.route,
        scope.key,
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(Claim::Existing(stored))
}

/// Deletes keys older than `retention` (database clock); returns how many.
pub async fn purge(db: &PgPool, retention: Duration) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)",
        retention.as_secs_f64(),
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

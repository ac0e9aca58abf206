//! The inbox: which events a consumer group has handled.

use std::time::Duration;

use sqlx::{PgPool, Postgres, Transaction};

/// Records `event_id` as handled by `group` in `tx`; `false` when it already was.
pub async fn claim(
    tx: &mut Transaction<'static, Postgres>,
    group: &str,
    event_id: &str,
    event_type: &str,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO inbox (consumer_group, event_id, event_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        group,
        event_id,
        event_type,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Forgets events handled longer than `retention` ago (database clock).
pub async fn purge(db: &PgPool, retention: Duration) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        "DELETE FROM inbox WHERE processed_at < now() - make_interval(secs => $1)",
        retention.as_secs_f64(),
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

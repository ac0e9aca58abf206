//! Ends checkouts whose saga never started: a checkout still PENDING without an order after
//! twice `SAGA_TIMEOUT` (its `checkout.submitted` dead-lettered, say) fails with `timeout`.
//! Checkouts that have an order are ended by the order's own sweeper, through `order.cancelled`.

use std::time::Duration;

use sqlx::PgPool;

pub async fn sweep_once(db: &PgPool, timeout: Duration) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE checkouts SET status = 'FAILED', failure_reason = 'timeout', updated_at = now()
         WHERE status = 'PENDING' AND order_id IS NULL AND created_at < now() - make_interval(secs => $1)",
    )
    .bind(timeout.as_secs_f64() * 2.0)
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

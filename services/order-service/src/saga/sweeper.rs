//! Ends sagas that got stuck (a step dead-lettered, say): orders still awaiting payment after
//! `SAGA_TIMEOUT` are cancelled with reason `timeout`, which voids or refunds their payment.

use std::time::Duration;

use events::CancelReason;
use outbox::TraceContext;
use sqlx::PgPool;
use uuid::Uuid;

/// Cancels up to 100 overdue orders; returns how many.
pub async fn sweep_once(db: &PgPool, timeout: Duration) -> Result<u64, sqlx::Error> {
    let overdue: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM orders WHERE status = 'PENDING_PAYMENT'
         AND created_at < now() - make_interval(secs => $1) ORDER BY id LIMIT 100",
    )
    .bind(timeout.as_secs_f64())
    .fetch_all(db)
    .await?;
    let mut cancelled = 0;
    for id in overdue {
        let mut tx = db.begin().await?;
        if super::cancel(&mut tx, id, CancelReason::Timeout, &TraceContext::default()).await? {
            cancelled += 1;
        }
        tx.commit().await?;
    }
    Ok(cancelled)
}

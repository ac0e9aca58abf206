//! Ends sagas that got stuck (a step dead-lettered, say):
//! - orders still awaiting payment after `SAGA_TIMEOUT` are cancelled with reason `timeout`,
//!   which voids or refunds their payment;
//! - a confirmed order the customer cancelled whose refund has not been heard of
//!   (`payment.refunded`) for `SAGA_TIMEOUT` has its `order.cancelled` written again; then
//!   after twice as long, four times..., at most every 64 timeouts;
//! - orders in either state after [`OVERDUE_AFTER`] timeouts are counted in `sagas_overdue`:
//!   the sweeping has not helped, and an operator must look.

use events::CancelReason;
use outbox::TraceContext;
use service_kit::sweep::Sweep;
use sqlx::{Postgres, Transaction};

use crate::orders::store as orders;

/// A `query_scalar!` whose SQL has, between `$before` and `$after`, the condition of the
/// orders cancelled by the customer after they were confirmed (so paid) whose refund has not
/// been heard of (the predicate of the partial index of migration order/0004). A macro, so
/// each query is still one literal checked at compile time.
macro_rules! with_refund_due {
    ($before:literal, $after:literal, $($arg:expr),* $(,)?) => {
        sqlx::query_scalar!(
            $before
                + "status = 'CANCELLED' AND cancel_reason = 'customer_requested'
                   AND refunded_at IS NULL
                   AND EXISTS (SELECT 1 FROM order_status_history h
                               WHERE h.order_id = orders.id AND h.status = 'CONFIRMED')"
                + $after,
            $($arg),*
        )
    };
}
use uuid::Uuid;

/// Timeouts after which an order still awaiting payment counts as overdue.
pub const OVERDUE_AFTER: u32 = 4;

/// The sweeper of one order-service.
#[derive(Debug, Clone)]
pub struct Sweeper(Sweep);

impl service_kit::sweep::Sweeper for Sweeper {
    const WHAT: &'static str = "stuck orders cancelled by the sweeper";

    fn new(sweep: Sweep) -> Self {
        Self(sweep)
    }

    fn sweep(&self) -> &Sweep {
        &self.0
    }

    /// One pass; returns how many orders it cancelled or restated.
    async fn sweep_once(&self) -> Result<u64, sqlx::Error> {
        let cancelled = self.cancel_unpaid().await?;
        let restated = self.restate_unrefunded().await?;
        self.0.overdue.set(self.count_overdue().await?);
        Ok(cancelled + restated)
    }
}

impl Sweeper {
    /// Cancels up to 100 orders awaiting payment past the timeout.
    async fn cancel_unpaid(&self) -> Result<u64, sqlx::Error> {
        let due: Vec<Uuid> = sqlx::query_scalar!(
            "SELECT id FROM orders WHERE status = 'PENDING_PAYMENT'
             AND created_at < now() - make_interval(secs => $1) ORDER BY id LIMIT 100",
            self.0.timeout.as_secs_f64(),
        )
        .fetch_all(&self.0.db)
        .await?;
        let mut cancelled = 0;
        for id in due {
            let mut tx = self.0.db.begin().await?;
            if super::cancel(&mut tx, id, CancelReason::Timeout, &TraceContext::default()).await? {
                cancelled += 1;
            }
            tx.commit().await?;
        }
        Ok(cancelled)
    }

    /// Writes `order.cancelled` again for up to 100 cancelled confirmed orders whose refund is
    /// due, in the transaction that records the notice.
    async fn restate_unrefunded(&self) -> Result<u64, sqlx::Error> {
        let mut tx = self.0.db.begin().await?;
        let due: Vec<Uuid> = with_refund_due!(
            "WITH due AS (SELECT id FROM orders WHERE ",
            " AND coalesce(cancel_noticed_at, updated_at)
                  < now() - make_interval(secs => $1 * power(2, least(cancel_notices, 6)))
                ORDER BY updated_at LIMIT 100
                FOR UPDATE SKIP LOCKED
             )
             UPDATE orders SET cancel_notices = cancel_notices + 1, cancel_noticed_at = now()
             FROM due WHERE orders.id = due.id RETURNING orders.id",
            self.0.timeout.as_secs_f64(),
        )
        .fetch_all(&mut *tx)
        .await?;
        for &id in &due {
            restate(&mut tx, id).await?;
            tracing::warn!(order_id = %id, "refund not heard of; order.cancelled written again");
        }
        tx.commit().await?;
        Ok(due.len() as u64)
    }

    async fn count_overdue(&self) -> Result<i64, sqlx::Error> {
        with_refund_due!(
            r#"SELECT (SELECT count(*) FROM orders WHERE status = 'PENDING_PAYMENT'
                       AND created_at < now() - make_interval(secs => $1))
                    + (SELECT count(*) FROM orders WHERE "#,
            r#" AND updated_at < now() - make_interval(secs => $1)) AS "overdue!""#,
            self.0.timeout.as_secs_f64() * f64::from(OVERDUE_AFTER),
        )
        .fetch_one(&self.0.db)
        .await
    }
}

async fn restate(tx: &mut Transaction<'_, Postgres>, id: Uuid) -> Result<(), sqlx::Error> {
    if let Some(order) = orders::find(&mut **tx, id).await? {
        super::restate_cancelled(tx, order, &TraceContext::default()).await?;
    }
    Ok(())
}

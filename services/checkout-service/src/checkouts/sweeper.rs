//! Ends the checkouts whose saga stalled (a step dead-lettered, say), so that every checkout
//! reaches COMPLETED or FAILED:
//! - a checkout still PENDING without an order after twice `SAGA_TIMEOUT` (its
//!   `checkout.submitted` never took effect) fails with `timeout`;
//! - a checkout PENDING with an order, untouched for `SAGA_TIMEOUT`, asks order-service for the
//!   order's outcome (`checkout.overdue`); order-service states it again (cancelling an order
//!   still awaiting payment), and the saga's own handlers end the checkout and void or refund
//!   its payment. It asks again after twice as long, four times..., at most every 64 timeouts;
//! - the checkouts still PENDING after [`OVERDUE_AFTER`] timeouts are counted in
//!   `sagas_overdue`: the asking has not helped, and an operator must look.

use chrono::Utc;
use events::CheckoutOverdue;
use outbox::TraceContext;
use service_kit::sweep::Sweep;

/// Timeouts after which a checkout still PENDING counts as overdue.
pub const OVERDUE_AFTER: u32 = 4;
/// Most checkouts asked about per pass (one transaction).
const ASK_PER_PASS: i64 = 100;

/// The sweeper of one checkout-service.
#[derive(Debug, Clone)]
pub struct Sweeper(Sweep);

impl service_kit::sweep::Sweeper for Sweeper {
    const WHAT: &'static str = "stalled checkouts failed or asked about by the sweeper";

    fn new(sweep: Sweep) -> Self {
        Self(sweep)
    }

    fn sweep(&self) -> &Sweep {
        &self.0
    }

    /// One pass; returns how many checkouts it failed or asked about.
    async fn sweep_once(&self) -> Result<u64, sqlx::Error> {
        let failed = self.fail_orderless().await?;
        let asked = self.ask_outcomes().await?;
        self.0.overdue.set(self.count_overdue().await?);
        Ok(failed + asked)
    }
}

impl Sweeper {
    async fn fail_orderless(&self) -> Result<u64, sqlx::Error> {
        let result = sqlx::query!(
            "UPDATE checkouts SET status = 'FAILED', failure_reason = 'timeout', updated_at = now()
             WHERE status = 'PENDING' AND order_id IS NULL AND created_at < now() - make_interval(secs => $1)",
            self.0.timeout.as_secs_f64() * 2.0,
        )
        .execute(&self.0.db)
        .await?;
        Ok(result.rows_affected())
    }

    /// Writes `checkout.overdue` for each checkout due for a question, in the transaction that
    /// records the question: a crash asks again later, never loses the question.
    async fn ask_outcomes(&self) -> Result<u64, sqlx::Error> {
        let mut tx = self.0.db.begin().await?;
        let due = sqlx::query!(
            r#"WITH due AS (
                SELECT id FROM checkouts
                WHERE status = 'PENDING' AND order_id IS NOT NULL
                  AND coalesce(outcome_requested_at, updated_at)
                      < now() - make_interval(secs => $1 * power(2, least(outcome_requests, 6)))
                ORDER BY created_at LIMIT $2
                FOR UPDATE SKIP LOCKED
             )
             UPDATE checkouts SET outcome_requests = outcome_requests + 1, outcome_requested_at = now()
             FROM due WHERE checkouts.id = due.id
             RETURNING checkouts.id, checkouts.order_id AS "order_id!", checkouts.outcome_requests"#,
            self.0.timeout.as_secs_f64(),
            ASK_PER_PASS,
        )
        .fetch_all(&mut *tx)
        .await?;
        for row in &due {
            let (checkout_id, order_id, request) = (row.id, row.order_id, row.outcome_requests);
            let event = CheckoutOverdue {
                checkout_id,
                order_id,
                request: request.unsigned_abs(),
                overdue_at: Utc::now(),
            };
            outbox::enqueue(&mut tx, checkout_id, &event, &TraceContext::default()).await?;
            tracing::warn!(%checkout_id, %order_id, request, "checkout overdue; asked for its order's outcome");
        }
        tx.commit().await?;
        Ok(due.len() as u64)
    }

    async fn count_overdue(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar!(
            r#"SELECT count(*) AS "overdue!" FROM checkouts
               WHERE status = 'PENDING' AND created_at < now() - make_interval(secs => $1)"#,
            self.0.timeout.as_secs_f64() * f64::from(OVERDUE_AFTER),
        )
        .fetch_one(&self.0.db)
        .await
    }
}

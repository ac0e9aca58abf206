//! checkout-service's part of the saga (docs/architecture.md, section 1), choreographed by events:
//! - `order.placed` (version 1 or 2; the inbox applies only the first of the twins) →
//!   authorize the payment (idempotent by payment id), record it, and write
//!   `payment.authorized` or `payment.declined` (keyed by the order);
//! - `order.confirmed` → the checkout COMPLETED, and its cart emptied if it did not change since;
//! - `order.cancelled` → refund (void) an authorized payment, and the checkout FAILED.
//!
//! Each step is guarded by the expected current state: replays and late events are no-ops.

use consumer::{Envelope, Handler, HandlerError};
use events::{CancelReason, EventData, OrderCancelled, OrderConfirmed, OrderPlaced, OrderPlacedV2};
use outbox::TraceContext;
use sqlx::{Postgres, Transaction};

use crate::checkouts::store as checkouts;
use crate::payments;
use crate::payments::provider::Provider;
use crate::sessions::SessionStore;

/// The consumer group's handler.
#[derive(Debug, Clone)]
pub struct CheckoutSaga {
    /// Called outside the handler's transaction, as an external API would be.
    pub provider: Provider,
    pub sessions: SessionStore,
}

impl Handler for CheckoutSaga {
    const TYPES: &'static [&'static str] = &[
        OrderPlaced::TYPE,
        OrderPlacedV2::TYPE,
        OrderConfirmed::TYPE,
        OrderCancelled::TYPE,
    ];

    async fn handle(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        // The consumer's process span continues the event's trace: what this writes carries it on.
        let trace = TraceContext::current();
        match event.event_type.as_str() {
            OrderPlaced::TYPE => {
                payments::saga::authorize(&self.provider, tx, &event.data()?, &trace).await
            }
            OrderPlacedV2::TYPE => {
                let placed: OrderPlacedV2 = event.data()?;
                payments::saga::authorize(&self.provider, tx, &placed.into(), &trace).await
            }
            OrderConfirmed::TYPE => self.complete(tx, &event.data()?).await,
            OrderCancelled::TYPE => self.cancelled(tx, &event.data()?, &trace).await,
            other => Err(HandlerError::Failed(format!("{other} is not handled"))),
        }
    }
}

impl CheckoutSaga {
    async fn complete(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        confirmed: &OrderConfirmed,
    ) -> Result<(), HandlerError> {
        let Some((session, version)) = checkouts::complete(tx, confirmed.checkout_id).await? else {
            return Ok(());
        };
        // Compare-and-delete: only the cart exactly as checked out is emptied. Done before the
        // commit and idempotent, so a retry after a crash empties it (or finds it changed).
        self.sessions
            .empty_cart_if_version(session, version)
            .await?;
        tracing::info!(checkout_id = %confirmed.checkout_id, "checkout completed");
        Ok(())
    }

    async fn cancelled(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        cancelled: &OrderCancelled,
        trace: &TraceContext,
    ) -> Result<(), HandlerError> {
        payments::saga::refund(&self.provider, tx, cancelled, trace).await?;
        let reason = match cancelled.reason {
            CancelReason::PaymentDeclined => "declined",
            CancelReason::CustomerRequested => "cancelled",
            CancelReason::Timeout => "timeout",
        };
        if checkouts::fail(tx, cancelled.checkout_id, Some(cancelled.order_id), reason).await? {
            tracing::info!(checkout_id = %cancelled.checkout_id, reason, "checkout failed");
        }
        Ok(())
    }
}

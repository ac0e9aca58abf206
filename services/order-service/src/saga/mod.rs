//! order-service's part of the saga (docs/architecture.md, section 1), choreographed by events:
//! - `checkout.submitted` → the order, PENDING_PAYMENT, and `order.placed` (versions 1 and 2,
//!   side by side);
//! - `payment.authorized` → CONFIRMED and `order.confirmed`;
//! - `payment.declined` → CANCELLED (payment_declined) and `order.cancelled`;
//! - `checkout.overdue` (checkout-service still waits for the outcome) → the outcome stated
//!   again: `order.confirmed` or `order.cancelled` as the order stands, after cancelling it
//!   (timeout) if it still awaits payment;
//! - `payment.refunded` → the order's refund recorded (the sweeper states a customer's
//!   cancellation of a confirmed order again until it is).
//!
//! Every step is a guarded state change in the consumer's transaction: a replay or an event
//! that arrives after the order moved on is a no-op.

pub mod sweeper;

use chrono::Utc;
use consumer::{Envelope, Handler, HandlerError};
use events::{
    CancelReason, CheckoutOverdue, CheckoutSubmitted, EventData, OrderCancelled, OrderConfirmed,
    OrderPlaced, OrderPlacedV2, PaymentAuthorized, PaymentDeclined, PaymentRefunded,
};
use outbox::TraceContext;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::domain::OrderStatus;
use crate::orders::store::{self as orders, NewOrder};

/// The consumer group's handler.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrderSaga;

impl Handler for OrderSaga {
    const TYPES: &'static [&'static str] = &[
        CheckoutSubmitted::TYPE,
        CheckoutOverdue::TYPE,
        PaymentAuthorized::TYPE,
        PaymentDeclined::TYPE,
        PaymentRefunded::TYPE,
    ];

    async fn handle(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        // The consumer's process span continues the event's trace: what this writes carries it on.
        let trace = TraceContext::current();
        match event.event_type.as_str() {
            CheckoutSubmitted::TYPE => place(tx, &event.data()?, &trace).await,
            CheckoutOverdue::TYPE => restate(tx, &event.data()?, &trace).await,
            PaymentAuthorized::TYPE => confirm(tx, &event.data()?, &trace).await,
            PaymentDeclined::TYPE => {
                let declined: PaymentDeclined = event.data()?;
                Ok(
                    cancel(tx, declined.order_id, CancelReason::PaymentDeclined, &trace)
                        .await
                        .map(drop)?,
                )
            }
            PaymentRefunded::TYPE => {
                let refunded: PaymentRefunded = event.data()?;
                orders::record_refund(tx, refunded.order_id, refunded.refunded_at).await?;
                Ok(())
            }
            other => Err(HandlerError::Failed(format!("{other} is not handled"))),
        }
    }
}

async fn place(
    tx: &mut Transaction<'static, Postgres>,
    submitted: &CheckoutSubmitted,
    trace: &TraceContext,
) -> Result<(), HandlerError> {
    let new = NewOrder {
        checkout_id: submitted.checkout_id,
        customer_id: &submitted.customer_id,
        lines: &submitted.lines,
        total_minor: submitted.total_minor,
        currency: &submitted.currency,
        trace_id: trace.trace_id(),
    };
    let Some(order_id) = orders::insert(tx, &new).await? else {
        return Ok(()); // this checkout already has its order
    };
    let placed = OrderPlaced {
        order_id,
        checkout_id: submitted.checkout_id,
        customer_id: submitted.customer_id.clone(),
        total_minor: submitted.total_minor,
        currency: submitted.currency.clone(),
        placed_at: Utc::now(),
    };
    // Both versions, as twins, until every consumer handles version 2 (ADR 0008).
    outbox::enqueue_twins(tx, order_id, &placed, &OrderPlacedV2::from(&placed), trace).await?;
    tracing::info!(%order_id, checkout_id = %submitted.checkout_id, "order placed");
    Ok(())
}

async fn confirm(
    tx: &mut Transaction<'static, Postgres>,
    authorized: &PaymentAuthorized,
    trace: &TraceContext,
) -> Result<(), HandlerError> {
    let id = authorized.order_id;
    if orders::transition(
        tx,
        id,
        &[OrderStatus::PendingPayment],
        OrderStatus::Confirmed,
        None,
    )
    .await?
    .is_none()
    {
        // Cancelled meanwhile (by the customer or the sweeper): checkout-service refunds the
        // payment when it sees `order.cancelled`, which follows `order.placed` on this key.
        tracing::info!(order_id = %id, "payment authorized for an order no longer awaiting it");
        return Ok(());
    }
    let order = orders::find(&mut **tx, id)
        .await?
        .ok_or_else(|| HandlerError::Failed(format!("order {id} vanished")))?;
    let confirmed = OrderConfirmed {
        order_id: id,
        checkout_id: order.checkout_id,
        customer_id: order.customer_id,
        confirmed_at: Utc::now(),
    };
    outbox::enqueue(tx, id, &confirmed, trace).await?;
    tracing::info!(order_id = %id, "order confirmed");
    Ok(())
}

/// Writes the order's outcome again for a checkout that still waits for it. An order still
/// awaiting payment has outlived `SAGA_TIMEOUT` (the checkout asks only after it) and is
/// cancelled, as the sweeper would.
async fn restate(
    tx: &mut Transaction<'static, Postgres>,
    overdue: &CheckoutOverdue,
    trace: &TraceContext,
) -> Result<(), HandlerError> {
    let id = overdue.order_id;
    let Some(order) = orders::find_for_update(tx, id).await? else {
        tracing::warn!(order_id = %id, checkout_id = %overdue.checkout_id, "checkout.overdue for an unknown order");
        return Ok(());
    };
    match order.status {
        OrderStatus::PendingPayment => {
            cancel(tx, id, CancelReason::Timeout, trace).await?;
        }
        OrderStatus::Confirmed => {
            let confirmed = OrderConfirmed {
                order_id: id,
                checkout_id: order.checkout_id,
                customer_id: order.customer_id,
                confirmed_at: order.updated_at,
            };
            outbox::enqueue(tx, id, &confirmed, trace).await?;
        }
        OrderStatus::Cancelled => restate_cancelled(tx, order, trace).await?,
    }
    tracing::info!(order_id = %id, checkout_id = %overdue.checkout_id, request = overdue.request, "order outcome stated again");
    Ok(())
}

/// Writes `order.cancelled` again for an order that is CANCELLED.
pub async fn restate_cancelled(
    tx: &mut Transaction<'_, Postgres>,
    order: orders::Order,
    trace: &TraceContext,
) -> Result<(), sqlx::Error> {
    let history = orders::history(&mut **tx, order.id).await?;
    let previous = history
        .iter()
        .rev()
        .map(|change| change.status)
        .find(|&status| status != OrderStatus::Cancelled)
        .unwrap_or(OrderStatus::PendingPayment);
    let reason = order
        .cancel_reason
        .as_deref()
        .and_then(CancelReason::parse)
        .unwrap_or(CancelReason::Timeout);
    let cancelled = OrderCancelled {
        order_id: order.id,
        checkout_id: order.checkout_id,
        customer_id: order.customer_id,
        reason,
        previous_status: previous.as_str().to_owned(),
        cancelled_at: order.updated_at,
    };
    outbox::enqueue(tx, order.id, &cancelled, trace).await?;
    Ok(())
}

/// Cancels an order awaiting payment (or confirmed, for a customer request) and writes
/// `order.cancelled`; `false` when the order was no longer in a cancellable state.
pub async fn cancel(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    reason: CancelReason,
    trace: &TraceContext,
) -> Result<bool, sqlx::Error> {
    let from: &[OrderStatus] = match reason {
        CancelReason::CustomerRequested => &OrderStatus::CANCELLABLE,
        CancelReason::PaymentDeclined | CancelReason::Timeout => &[OrderStatus::PendingPayment],
    };
    let Some(previous) =
        orders::transition(tx, id, from, OrderStatus::Cancelled, Some(reason.as_str())).await?
    else {
        return Ok(false);
    };
    let Some(order) = orders::find(&mut **tx, id).await? else {
        return Ok(false);
    };
    let cancelled = OrderCancelled {
        order_id: id,
        checkout_id: order.checkout_id,
        customer_id: order.customer_id,
        reason,
        previous_status: previous.as_str().to_owned(),
        cancelled_at: Utc::now(),
    };
    outbox::enqueue(tx, id, &cancelled, trace).await?;
    tracing::info!(order_id = %id, reason = reason.as_str(), "order cancelled");
    Ok(true)
}

//! Authorizing and refunding payments inside the saga.

use std::time::Duration;

use chrono::Utc;
use consumer::HandlerError;
use events::{OrderCancelled, OrderPlaced, PaymentAuthorized, PaymentDeclined, PaymentRefunded};
use outbox::TraceContext;
use sqlx::{Postgres, Transaction};

use crate::checkouts::store as checkouts;
use crate::domain::{CheckoutStatus, PaymentStatus};
use crate::payments::payment_id;
use crate::payments::provider::{Authorization, Provider, ProviderError};
use crate::payments::store::{self as payments, NewPayment};

/// Provider calls per payment before a transient error counts as a decline.
pub const MAX_PROVIDER_ATTEMPTS: i32 = 3;

impl From<ProviderError> for HandlerError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Unreachable(e) => e.into(),
            ProviderError::NoAnswer(why) => HandlerError::Unavailable(why.to_owned()),
            ProviderError::Transient(why) => HandlerError::Failed(why.to_owned()),
        }
    }
}

pub async fn authorize(
    provider: &Provider,
    tx: &mut Transaction<'static, Postgres>,
    placed: &OrderPlaced,
    trace: &TraceContext,
) -> Result<(), HandlerError> {
    let Some(checkout) = checkouts::lock_for_saga(tx, placed.checkout_id).await? else {
        return Err(HandlerError::Failed(format!(
            "order.placed for unknown checkout {}",
            placed.checkout_id
        )));
    };
    checkouts::attach_order(tx, placed.checkout_id, placed.order_id).await?;
    if checkout.status != CheckoutStatus::Pending
        || payments::find_by_order(&mut **tx, placed.order_id)
            .await?
            .is_some()
    {
        // Already decided, or the checkout timed out: the order's own sweeper cancels it.
        return Ok(());
    }
    let id = payment_id(placed.order_id);
    let (decision, attempts) = call_provider(provider, id, &checkout.card_token, placed).await?;
    let (status, reason) = match &decision {
        Authorization::Approved => (PaymentStatus::Authorized, None),
        Authorization::Declined { reason } => (PaymentStatus::Declined, Some(reason.as_str())),
    };
    payments::insert(
        tx,
        &NewPayment {
            id,
            order_id: placed.order_id,
            checkout_id: placed.checkout_id,
            amount_minor: placed.total_minor,
            currency: &placed.currency,
            status,
            decline_reason: reason,
            attempts,
        },
    )
    .await?;
    let subject = id.to_string();
    match decision {
        Authorization::Approved => {
            let event = PaymentAuthorized {
                payment_id: id,
                order_id: placed.order_id,
                checkout_id: placed.checkout_id,
                amount_minor: placed.total_minor,
                currency: placed.currency.clone(),
                authorized_at: Utc::now(),
            };
            outbox::enqueue_as(tx, placed.order_id, &subject, &event, trace).await?;
        }
        Authorization::Declined { reason } => {
            let event = PaymentDeclined {
                payment_id: id,
                order_id: placed.order_id,
                checkout_id: placed.checkout_id,
                reason,
                declined_at: Utc::now(),
            };
            outbox::enqueue_as(tx, placed.order_id, &subject, &event, trace).await?;
        }
    }
    tracing::info!(payment_id = %id, order_id = %placed.order_id, status = status.as_str(), attempts, "payment decided");
    Ok(())
}

/// Calls the provider, retrying transient errors with its own attempt count; after
/// [`MAX_PROVIDER_ATTEMPTS`] the payment is declined (`processing_error`).
async fn call_provider(
    provider: &Provider,
    id: uuid::Uuid,
    card_token: &str,
    placed: &OrderPlaced,
) -> Result<(Authorization, i32), HandlerError> {
    for attempt in 1..=MAX_PROVIDER_ATTEMPTS {
        match provider
            .authorize(id, card_token, placed.total_minor, &placed.currency)
            .await
        {
            Ok(decision) => return Ok((decision, attempt)),
            Err(ProviderError::Transient(why)) => {
                tracing::warn!(payment_id = %id, attempt, why, "transient provider error");
                tokio::time::sleep(Duration::from_millis(
                    20 * u64::from(attempt.unsigned_abs()),
                ))
                .await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok((
        Authorization::Declined {
            reason: "processing_error".to_owned(),
        },
        MAX_PROVIDER_ATTEMPTS,
    ))
}

/// Refunds the order's payment if it was authorized, and writes `payment.refunded`. With no
/// payment record, any authorization the provider holds for the order is voided all the same:
/// a crash (or a dead-lettered step) between the provider's answer and the record must not
/// leave money held for a cancelled order.
pub async fn refund(
    provider: &Provider,
    tx: &mut Transaction<'static, Postgres>,
    cancelled: &OrderCancelled,
    trace: &TraceContext,
) -> Result<(), HandlerError> {
    let Some(payment) = payments::find_by_order(&mut **tx, cancelled.order_id).await? else {
        if provider.refund(payment_id(cancelled.order_id)).await? {
            tracing::warn!(order_id = %cancelled.order_id, "voided an authorization that had no payment record");
        }
        return Ok(());
    };
    if payment.status != PaymentStatus::Authorized {
        return Ok(());
    }
    provider.refund(payment.id).await?;
    if payments::mark_refunded(tx, payment.id).await? {
        let event = PaymentRefunded {
            payment_id: payment.id,
            order_id: payment.order_id,
            checkout_id: payment.checkout_id,
            amount_minor: payment.amount_minor,
            currency: payment.currency.clone(),
            refunded_at: Utc::now(),
        };
        outbox::enqueue_as(tx, payment.order_id, &payment.id.to_string(), &event, trace).await?;
        tracing::info!(payment_id = %payment.id, order_id = %payment.order_id, "payment refunded");
    }
    Ok(())
}

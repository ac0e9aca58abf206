//! Events checkout-service writes about payments, on `orderflow.payment.v1`, keyed by order.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{EventData, sources, topics};

/// A payment was authorized (keyed by its order, like every payment event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentAuthorized {
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub checkout_id: Uuid,
    pub amount_minor: i64,
    pub currency: String,
    pub authorized_at: DateTime<Utc>,
}

impl EventData for PaymentAuthorized {
    const TYPE: &'static str = "dev.orderflow.payment.authorized.v1";
    const SOURCE: &'static str = sources::CHECKOUT_SERVICE;
    const TOPIC: &'static str = topics::PAYMENT;
}

/// A payment was declined: `card_declined`, `insufficient_funds` or `processing_error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentDeclined {
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub checkout_id: Uuid,
    pub reason: String,
    pub declined_at: DateTime<Utc>,
}

impl EventData for PaymentDeclined {
    const TYPE: &'static str = "dev.orderflow.payment.declined.v1";
    const SOURCE: &'static str = sources::CHECKOUT_SERVICE;
    const TOPIC: &'static str = topics::PAYMENT;
}

/// An authorized payment was refunded (voided) after its order was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentRefunded {
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub checkout_id: Uuid,
    pub amount_minor: i64,
    pub currency: String,
    pub refunded_at: DateTime<Utc>,
}

impl EventData for PaymentRefunded {
    const TYPE: &'static str = "dev.orderflow.payment.refunded.v1";
    const SOURCE: &'static str = sources::CHECKOUT_SERVICE;
    const TOPIC: &'static str = topics::PAYMENT;
}

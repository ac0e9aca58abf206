//! Events order-service writes about orders, on `orderflow.order.v1`.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{EventData, sources, topics};

/// Why an order was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    PaymentDeclined,
    CustomerRequested,
    Timeout,
}

impl CancelReason {
    pub const ALL: [Self; 3] = [
        Self::PaymentDeclined,
        Self::CustomerRequested,
        Self::Timeout,
    ];

    /// The reason [`as_str`](Self::as_str) wrote.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PaymentDeclined => "payment_declined",
            Self::CustomerRequested => "customer_requested",
            Self::Timeout => "timeout",
        }
    }
}

/// An order was cancelled; checkout-service voids or refunds its payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderCancelled {
    pub order_id: Uuid,
    pub checkout_id: Uuid,
    pub customer_id: String,
    pub reason: CancelReason,
    /// The status the order left (`PENDING_PAYMENT` or `CONFIRMED`).
    pub previous_status: String,
    pub cancelled_at: DateTime<Utc>,
}

impl EventData for OrderCancelled {
    const TYPE: &'static str = "dev.orderflow.order.cancelled.v1";
    const SOURCE: &'static str = sources::ORDER_SERVICE;
    const TOPIC: &'static str = topics::ORDER;
}

/// order-service created the order of a checkout; checkout-service authorizes its payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderPlaced {
    pub order_id: Uuid,
    pub checkout_id: Uuid,
    pub customer_id: String,
    pub total_minor: i64,
    pub currency: String,
    pub placed_at: DateTime<Utc>,
}

impl EventData for OrderPlaced {
    const TYPE: &'static str = "dev.orderflow.order.placed.v1";
    const SOURCE: &'static str = sources::ORDER_SERVICE;
    const TOPIC: &'static str = topics::ORDER;
}

/// An amount of money in integer minor units (cents) of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: String,
}

/// Version 2 of `order.placed`: the total is one `Money` value instead of two fields. Being
/// rolled out (docs/adr/0008-event-versions.md): order-service writes it beside version 1 as
/// a twin, and checkout-service handles either.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderPlacedV2 {
    pub order_id: Uuid,
    pub checkout_id: Uuid,
    pub customer_id: String,
    pub total: Money,
    pub placed_at: DateTime<Utc>,
}

impl EventData for OrderPlacedV2 {
    const TYPE: &'static str = "dev.orderflow.order.placed.v2";
    const SOURCE: &'static str = sources::ORDER_SERVICE;
    const TOPIC: &'static str = topics::ORDER;
}

impl From<&OrderPlaced> for OrderPlacedV2 {
    fn from(v1: &OrderPlaced) -> Self {
        Self {
            order_id: v1.order_id,
            checkout_id: v1.checkout_id,
            customer_id: v1.customer_id.clone(),
            total: Money {
                amount_minor: v1.total_minor,
                currency: v1.currency.clone(),
            },
            placed_at: v1.placed_at,
        }
    }
}

impl From<OrderPlacedV2> for OrderPlaced {
    fn from(v2: OrderPlacedV2) -> Self {
        Self {
            order_id: v2.order_id,
            checkout_id: v2.checkout_id,
            customer_id: v2.customer_id,
            total_minor: v2.total.amount_minor,
            currency: v2.total.currency,
            placed_at: v2.placed_at,
        }
    }
}

/// The order's payment was authorized: the order is confirmed and the checkout completes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderConfirmed {
    pub order_id: Uuid,
    pub checkout_id: Uuid,
    pub customer_id: String,
    pub confirmed_at: DateTime<Utc>,
}

impl EventData for OrderConfirmed {
    const TYPE: &'static str = "dev.orderflow.order.confirmed.v1";
    const SOURCE: &'static str = sources::ORDER_SERVICE;
    const TOPIC: &'static str = topics::ORDER;
}

#![doc = include_str!("../README.md")]

pub mod asyncapi;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Logical topic names; the relay prepends `KAFKA_TOPIC_PREFIX`.
pub mod topics {
    pub const CHECKOUT: &str = "orderflow.checkout.v1";
    pub const ORDER: &str = "orderflow.order.v1";
    pub const PAYMENT: &str = "orderflow.payment.v1";

    /// The dead-letter topic of `topic`.
    pub fn dlq(topic: &str) -> String {
        format!("{topic}.dlq")
    }
}

/// CloudEvents `source` of each writing service.
pub mod sources {
    pub const CHECKOUT_SERVICE: &str = "/orderflow/checkout-service";
    pub const ORDER_SERVICE: &str = "/orderflow/order-service";
}

/// The data of one kind of event, with where and how it is published.
pub trait EventData: Serialize + DeserializeOwned + JsonSchema {
    /// CloudEvents `type`, major version included.
    const TYPE: &'static str;
    /// CloudEvents `source`: the service that writes it.
    const SOURCE: &'static str;
    /// Logical topic it is published to.
    const TOPIC: &'static str;
}

/// One priced line of a checkout or order. Prices come from the catalog, never the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderLine {
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    /// Integer minor units (cents).
    pub unit_price_minor: i64,
}

/// A customer submitted a checkout; order-service creates the order from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckoutSubmitted {
    pub checkout_id: Uuid,
    pub customer_id: String,
    pub lines: Vec<OrderLine>,
    pub total_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    pub submitted_at: DateTime<Utc>,
}

impl EventData for CheckoutSubmitted {
    const TYPE: &'static str = "dev.orderflow.checkout.submitted.v1";
    const SOURCE: &'static str = sources::CHECKOUT_SERVICE;
    const TOPIC: &'static str = topics::CHECKOUT;
}

/// A checkout with an order is still PENDING past `SAGA_TIMEOUT`: the order's final event
/// never took effect in checkout-service (dead-lettered, say). order-service answers by
/// stating the order's outcome again, cancelling it first if it is still awaiting payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckoutOverdue {
    pub checkout_id: Uuid,
    pub order_id: Uuid,
    /// How many times checkout-service has asked, this one included.
    pub request: u32,
    pub overdue_at: DateTime<Utc>,
}

impl EventData for CheckoutOverdue {
    const TYPE: &'static str = "dev.orderflow.checkout.overdue.v1";
    const SOURCE: &'static str = sources::CHECKOUT_SERVICE;
    const TOPIC: &'static str = topics::CHECKOUT;
}

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

/// One kind of event as the contract describes it.
#[derive(Debug, Clone)]
pub struct EventSpec {
    pub event_type: &'static str,
    pub source: &'static str,
    pub topic: &'static str,
    /// JSON Schema of the data.
    pub schema: serde_json::Value,
}

fn spec<E: EventData>() -> EventSpec {
    EventSpec {
        event_type: E::TYPE,
        source: E::SOURCE,
        topic: E::TOPIC,
        schema: serde_json::to_value(schemars::schema_for!(E)).expect("a schema is JSON"),
    }
}

/// Every event of the system.
pub fn catalog() -> Vec<EventSpec> {
    vec![
        spec::<CheckoutSubmitted>(),
        spec::<CheckoutOverdue>(),
        spec::<OrderPlaced>(),
        spec::<OrderPlacedV2>(),
        spec::<OrderConfirmed>(),
        spec::<OrderCancelled>(),
        spec::<PaymentAuthorized>(),
        spec::<PaymentDeclined>(),
        spec::<PaymentRefunded>(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_placed_v2_carries_what_v1_does() {
        let v1 = OrderPlaced {
            order_id: Uuid::now_v7(),
            checkout_id: Uuid::now_v7(),
            customer_id: "alice".into(),
            total_minor: 4_200,
            currency: "EUR".into(),
            placed_at: Utc::now(),
        };
        let v2 = OrderPlacedV2::from(&v1);
        assert_eq!(v2.total.amount_minor, 4_200);
        assert_eq!(OrderPlaced::from(v2), v1);
    }

    #[test]
    fn cancel_reasons_are_written_in_snake_case() {
        let json = serde_json::to_string(&CancelReason::CustomerRequested).expect("serialise");
        assert_eq!(json, "\"customer_requested\"");
        assert_eq!(CancelReason::PaymentDeclined.as_str(), "payment_declined");
        for reason in CancelReason::ALL {
            assert_eq!(CancelReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(CancelReason::parse("lost"), None);
    }

    #[test]
    fn event_types_follow_the_naming_rule() {
        for ty in [
            CheckoutSubmitted::TYPE,
            CheckoutOverdue::TYPE,
            OrderPlaced::TYPE,
            OrderPlacedV2::TYPE,
            OrderConfirmed::TYPE,
            OrderCancelled::TYPE,
            PaymentAuthorized::TYPE,
            PaymentDeclined::TYPE,
            PaymentRefunded::TYPE,
        ] {
            let version = ty.rsplit_once(".v").map(|(_, v)| v);
            assert!(
                ty.starts_with("dev.orderflow.")
                    && version.is_some_and(|v| v.parse::<u32>().is_ok_and(|v| v > 0)),
                "{ty}"
            );
        }
        assert_eq!(topics::dlq(topics::ORDER), "orderflow.order.v1.dlq");
    }
}

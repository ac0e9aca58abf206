#![doc = include_str!("../README.md")]

pub mod asyncapi;
mod checkout;
mod order;
mod payment;

pub use checkout::{CheckoutOverdue, CheckoutSubmitted, OrderLine};
pub use order::{CancelReason, Money, OrderCancelled, OrderConfirmed, OrderPlaced, OrderPlacedV2};
pub use payment::{PaymentAuthorized, PaymentDeclined, PaymentRefunded};

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Logical topic names; the relay prepends `KAFKA_TOPIC_PREFIX`.
pub mod topics {
    pub const CHECKOUT: &str = "orderflow.checkout.v1";
    pub const ORDER: &str = "orderflow.order.v1";
    pub const PAYMENT: &str = "orderflow.payment.v1";

    /// Every topic of the system.
    pub const ALL: [&str; 3] = [CHECKOUT, ORDER, PAYMENT];

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
    use chrono::Utc;
    use uuid::Uuid;

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

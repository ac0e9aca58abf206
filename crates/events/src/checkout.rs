//! Events checkout-service writes about checkouts, on `orderflow.checkout.v1`.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{EventData, sources, topics};

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

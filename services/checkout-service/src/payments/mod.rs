//! Payments: a simulated provider, the payment records, the saga's payment steps, and
//! `GET /v1/payments/{order_id}`.

pub mod provider;
pub(crate) mod routes;
pub(crate) mod saga;
pub mod store;

use uuid::Uuid;

/// Namespace of payment ids (UUIDv5 of the order id).
const PAYMENT_NAMESPACE: Uuid = Uuid::from_u128(0x6f72_6465_7266_6c6f_7770_6179_6d65_6e74);

/// The payment id of an order: the same on every redelivery, so the provider's idempotency key
/// is too.
pub fn payment_id(order_id: Uuid) -> Uuid {
    Uuid::new_v5(&PAYMENT_NAMESPACE, order_id.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_always_gets_the_same_payment_id_and_two_orders_different_ones() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(payment_id(a), payment_id(a));
        assert_ne!(payment_id(a), payment_id(b));
    }
}

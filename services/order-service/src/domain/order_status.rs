use std::fmt;

/// The order state machine (docs/architecture.md, section 1):
/// PENDING_PAYMENT → CONFIRMED | CANCELLED; CONFIRMED → CANCELLED (customer_requested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    PendingPayment,
    Confirmed,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "PENDING_PAYMENT",
            Self::Confirmed => "CONFIRMED",
            Self::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::PendingPayment, Self::Confirmed, Self::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }

    /// The states a customer may cancel from.
    pub const CANCELLABLE: [Self; 2] = [Self::PendingPayment, Self::Confirmed];

    pub fn can_become(self, next: Self) -> bool {
        matches!(
            (self, next),
            (Self::PendingPayment, Self::Confirmed | Self::Cancelled)
                | (Self::Confirmed, Self::Cancelled)
        )
    }
}

storage::text_column!(OrderStatus);

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_order_can_be_confirmed_or_cancelled() {
        assert!(OrderStatus::PendingPayment.can_become(OrderStatus::Confirmed));
        assert!(OrderStatus::PendingPayment.can_become(OrderStatus::Cancelled));
    }

    #[test]
    fn a_confirmed_order_can_only_be_cancelled() {
        assert!(OrderStatus::Confirmed.can_become(OrderStatus::Cancelled));
        assert!(!OrderStatus::Confirmed.can_become(OrderStatus::PendingPayment));
    }

    #[test]
    fn a_cancelled_order_is_final() {
        for next in [
            OrderStatus::PendingPayment,
            OrderStatus::Confirmed,
            OrderStatus::Cancelled,
        ] {
            assert!(!OrderStatus::Cancelled.can_become(next));
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in [
            OrderStatus::PendingPayment,
            OrderStatus::Confirmed,
            OrderStatus::Cancelled,
        ] {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("pending"), None);
    }
}

//! The checkout state machine (docs/architecture.md, section 1): PENDING until the order's
//! outcome, then COMPLETED or FAILED for good.

/// Where a checkout stands; stored as its name in `checkouts.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutStatus {
    Pending,
    Completed,
    Failed,
}

impl CheckoutStatus {
    pub const ALL: [Self; 3] = [Self::Pending, Self::Completed, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }

    /// The status [`as_str`](Self::as_str) wrote.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }

    /// Whether the saga of a checkout in this status has ended.
    pub fn is_final(self) -> bool {
        self != Self::Pending
    }
}

storage::text_column!(CheckoutStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in CheckoutStatus::ALL {
            assert_eq!(CheckoutStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(CheckoutStatus::parse("pending"), None);
    }

    #[test]
    fn only_pending_is_not_final() {
        assert!(!CheckoutStatus::Pending.is_final());
        assert!(CheckoutStatus::Completed.is_final() && CheckoutStatus::Failed.is_final());
    }
}

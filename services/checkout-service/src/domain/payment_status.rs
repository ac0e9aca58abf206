//! Where a payment stands: AUTHORIZED or DECLINED when decided, REFUNDED once an authorized
//! payment was given back.

use serde::Serialize;
use utoipa::ToSchema;

/// Stored as its name in `payments.status`, and shown as it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    Authorized,
    Declined,
    Refunded,
}

impl PaymentStatus {
    pub const ALL: [Self; 3] = [Self::Authorized, Self::Declined, Self::Refunded];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authorized => "AUTHORIZED",
            Self::Declined => "DECLINED",
            Self::Refunded => "REFUNDED",
        }
    }

    /// The status [`as_str`](Self::as_str) wrote.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

storage::text_column!(PaymentStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names_as_stored_and_shown() {
        for status in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(status.as_str()), Some(status));
            let shown = serde_json::to_value(status).expect("serializable");
            assert_eq!(shown, status.as_str());
        }
        assert_eq!(PaymentStatus::parse("authorized"), None);
    }
}

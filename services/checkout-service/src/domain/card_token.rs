use std::fmt;

/// A payment card token from the (simulated) provider, e.g. `tok_visa`. Tokens stay in
/// checkout-service; they never travel in events.
#[derive(Clone, PartialEq, Eq)]
pub struct CardToken(String);

impl CardToken {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let body = raw.strip_prefix("tok_").unwrap_or_default();
        let valid = !body.is_empty()
            && raw.len() <= 64
            && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(
                "card_token must look like `tok_visa`: `tok_` then up to 60 of A-Z, a-z, 0-9, '_'"
                    .to_owned(),
            )
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Debug shows only the token's kind prefix, so a token never lands whole in a log.
impl fmt::Debug for CardToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardToken({}…)", &self.0[..self.0.len().min(8)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_card_tokens_are_accepted() {
        for raw in [
            "tok_visa",
            "tok_chargeDeclined",
            "tok_insufficientFunds",
            "tok_processingError",
        ] {
            assert!(CardToken::parse(raw).is_ok(), "{raw} rejected");
        }
    }

    #[test]
    fn anything_else_is_rejected() {
        for raw in [
            "",
            "tok_",
            "visa",
            "tok_vi sa",
            "tok_<script>",
            &format!("tok_{}", "a".repeat(61)),
        ] {
            assert!(CardToken::parse(raw).is_err(), "{raw:?} accepted");
        }
    }
}

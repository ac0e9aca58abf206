/// An `Idempotency-Key` header value: 1 to 128 of `A-Z a-z 0-9 - _ . :` (a UUID fits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let valid = !raw.is_empty()
            && raw.len() <= 128
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err("Idempotency-Key must be 1-128 of A-Z, a-z, 0-9, '-', '_', '.', ':'".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_is_a_valid_key() {
        assert!(IdempotencyKey::parse("0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b").is_ok());
    }

    #[test]
    fn empty_long_or_spaced_keys_are_rejected() {
        for raw in ["", "a b", "key\u{e9}", &"k".repeat(129)] {
            assert!(IdempotencyKey::parse(raw).is_err(), "{raw:?} accepted");
        }
    }
}

use std::fmt;

/// A catalog stock-keeping unit: 1 to 32 of `A-Z`, `0-9` and `-`, not starting with `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let valid = !raw.is_empty()
            && raw.len() <= 32
            && !raw.starts_with('-')
            && raw
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("{raw:?} is not a SKU (1-32 of A-Z, 0-9, '-')"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_style_skus_are_accepted() {
        assert_eq!(Sku::parse("KB-001").expect("valid").as_str(), "KB-001");
    }

    #[test]
    fn lower_case_empty_long_or_odd_skus_are_rejected() {
        for raw in ["", "kb-001", "-KB", "KB 001", "KB/001", &"X".repeat(33)] {
            assert!(Sku::parse(raw).is_err(), "{raw:?} accepted");
        }
    }
}

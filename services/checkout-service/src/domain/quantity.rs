/// How many of one SKU a cart holds: 1 to [`Quantity::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(u32);

impl Quantity {
    pub const MAX: i64 = 99;

    pub fn parse(raw: i64) -> Result<Self, String> {
        if (1..=Self::MAX).contains(&raw) {
            Ok(Self(u32::try_from(raw).map_err(|e| e.to_string())?))
        } else {
            Err(format!(
                "quantity must be between 1 and {}, got {raw}",
                Self::MAX
            ))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_to_ninety_nine_are_quantities() {
        assert_eq!(Quantity::parse(1).expect("valid").get(), 1);
        assert_eq!(Quantity::parse(99).expect("valid").get(), 99);
    }

    #[test]
    fn zero_negative_and_absurd_quantities_are_rejected() {
        for raw in [0, -1, 100, i64::MAX, i64::MIN] {
            assert!(Quantity::parse(raw).is_err(), "{raw} accepted");
        }
    }
}

//! Money: an amount in integer minor units (cents) of one ISO 4217 currency. Arithmetic is
//! checked: amounts of two currencies never add up, and an overflow is an error, not a wrap.

/// An amount of one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    amount_minor: i64,
    currency: String,
}

/// Why two amounts could not be combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amounts of two currencies")]
    MixedCurrencies,
    #[error("the amount is too large")]
    TooLarge,
}

impl Money {
    pub fn new(amount_minor: i64, currency: impl Into<String>) -> Self {
        Self {
            amount_minor,
            currency: currency.into(),
        }
    }

    pub fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// This amount `quantity` times (a line's total).
    pub fn times(&self, quantity: u32) -> Result<Self, MoneyError> {
        let amount_minor = self
            .amount_minor
            .checked_mul(i64::from(quantity))
            .ok_or(MoneyError::TooLarge)?;
        Ok(Self::new(amount_minor, self.currency.clone()))
    }

    /// The sum of two amounts of the same currency.
    pub fn plus(&self, other: &Self) -> Result<Self, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::MixedCurrencies);
        }
        let amount_minor = self
            .amount_minor
            .checked_add(other.amount_minor)
            .ok_or(MoneyError::TooLarge)?;
        Ok(Self::new(amount_minor, self.currency.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_of_one_currency_add_and_multiply() {
        let price = Money::new(1_250, "EUR");
        let line = price.times(3).expect("small");
        assert_eq!(line, Money::new(3_750, "EUR"));
        assert_eq!(line.plus(&price), Ok(Money::new(5_000, "EUR")));
    }

    #[test]
    fn two_currencies_never_add_up() {
        let euros = Money::new(100, "EUR");
        assert_eq!(
            euros.plus(&Money::new(100, "USD")),
            Err(MoneyError::MixedCurrencies)
        );
    }

    #[test]
    fn an_overflow_is_an_error_not_a_wrap() {
        let huge = Money::new(i64::MAX / 2 + 1, "EUR");
        assert_eq!(huge.times(2), Err(MoneyError::TooLarge));
        assert_eq!(huge.plus(&huge), Err(MoneyError::TooLarge));
    }
}

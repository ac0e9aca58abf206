//! A built-in simulated payment provider with test card tokens in the style of public payment
//! APIs. Every call carries an idempotency key: the same key always gets the first outcome and
//! never a second charge. It keeps its ledger in `provider_operations` and is called on its own
//! connection, outside the caller's transaction, as an external API would be. The
//! `payment_slow_ms` and `payment_unreachable` fault flags make it slow or silent.

use faults::Faults;
use sqlx::PgPool;
use uuid::Uuid;

/// What the provider answered to an authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    Approved,
    Declined { reason: String },
}

/// A call that did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Worth retrying (`tok_processingError`).
    #[error("transient provider error: {0}")]
    Transient(&'static str),
    #[error("provider unreachable: {0}")]
    Unreachable(#[from] sqlx::Error),
    /// No answer at all (the `payment_unreachable` fault flag): an outage, like `Unreachable`.
    #[error("provider unreachable: {0}")]
    NoAnswer(&'static str),
}

/// The client of the provider: its ledger, and the fault flags.
#[derive(Debug, Clone)]
pub struct Provider {
    db: PgPool,
    faults: Faults,
}

fn outcome_of(card_token: &str) -> Result<Authorization, ProviderError> {
    match card_token {
        "tok_chargeDeclined" => Ok(Authorization::Declined {
            reason: "card_declined".into(),
        }),
        "tok_insufficientFunds" => Ok(Authorization::Declined {
            reason: "insufficient_funds".into(),
        }),
        "tok_processingError" => Err(ProviderError::Transient("processing_error")),
        _ => Ok(Authorization::Approved),
    }
}

impl Provider {
    pub fn new(db: PgPool, faults: Faults) -> Self {
        Self { db, faults }
    }

    /// Authorizes `amount_minor` on `card_token`, idempotently by `payment_id`.
    pub async fn authorize(
        &self,
        payment_id: Uuid,
        card_token: &str,
        amount_minor: i64,
        currency: &str,
    ) -> Result<Authorization, ProviderError> {
        self.injected_faults().await?;
        authorize(&self.db, payment_id, card_token, amount_minor, currency).await
    }

    /// Refunds (voids) the approved authorization of `payment_id`, if there is one,
    /// idempotently. Returns whether an authorization was refunded (now or before).
    pub async fn refund(&self, payment_id: Uuid) -> Result<bool, ProviderError> {
        self.injected_faults().await?;
        refund(&self.db, payment_id).await
    }

    /// What the fault flags do before a call reaches the provider: a delay, or no answer.
    async fn injected_faults(&self) -> Result<(), ProviderError> {
        self.faults.payment_delay().await;
        if self.faults.payment_unreachable() {
            return Err(ProviderError::NoAnswer("payment_unreachable fault flag"));
        }
        Ok(())
    }
}

async fn authorize(
    db: &PgPool,
    payment_id: Uuid,
    card_token: &str,
    amount_minor: i64,
    currency: &str,
) -> Result<Authorization, ProviderError> {
    let fresh = outcome_of(card_token)?;
    let outcome = match &fresh {
        Authorization::Approved => "approved".to_owned(),
        Authorization::Declined { reason } => format!("declined:{reason}"),
    };
    let stored = sqlx::query_scalar!(
        r#"WITH attempt AS (
             INSERT INTO provider_operations (idempotency_key, kind, amount_minor, currency, outcome)
             VALUES ($1, 'authorization', $2, $3, $4) ON CONFLICT DO NOTHING RETURNING outcome
         )
         SELECT outcome AS "outcome!" FROM attempt
         UNION ALL SELECT outcome FROM provider_operations WHERE idempotency_key = $1
         LIMIT 1"#,
        payment_id.to_string(),
        amount_minor,
        currency,
        &outcome,
    )
    .fetch_one(db)
    .await?;
    Ok(match stored.strip_prefix("declined:") {
        Some(reason) => Authorization::Declined {
            reason: reason.to_owned(),
        },
        None => Authorization::Approved,
    })
}

async fn refund(db: &PgPool, payment_id: Uuid) -> Result<bool, ProviderError> {
    let refunded = sqlx::query_scalar!(
        r#"WITH authorization_ AS (
             SELECT amount_minor, currency FROM provider_operations
             WHERE idempotency_key = $1 AND kind = 'authorization' AND outcome = 'approved'
         ), refund AS (
             INSERT INTO provider_operations (idempotency_key, kind, amount_minor, currency, outcome)
             SELECT $2, 'refund', amount_minor, currency, 'refunded' FROM authorization_
             ON CONFLICT DO NOTHING
         )
         SELECT EXISTS (SELECT 1 FROM authorization_) AS "refunded!""#,
        payment_id.to_string(),
        format!("refund:{payment_id}"),
    )
    .fetch_one(db)
    .await?;
    Ok(refunded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_tokens_have_their_documented_outcomes() {
        assert_eq!(outcome_of("tok_visa").ok(), Some(Authorization::Approved));
        assert_eq!(
            outcome_of("tok_chargeDeclined").ok(),
            Some(Authorization::Declined {
                reason: "card_declined".into()
            })
        );
        assert_eq!(
            outcome_of("tok_insufficientFunds").ok(),
            Some(Authorization::Declined {
                reason: "insufficient_funds".into()
            })
        );
        assert!(matches!(
            outcome_of("tok_processingError"),
            Err(ProviderError::Transient(_))
        ));
    }
}

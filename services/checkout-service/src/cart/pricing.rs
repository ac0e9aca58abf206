//! Prices a cart from the catalog: clients never send prices.

use events::OrderLine;
use sqlx::PgExecutor;

use crate::cart::Cart;
use crate::catalog::store as catalog;
use crate::domain::{Money, MoneyError};

/// A cart's lines priced from the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PricedCart {
    pub lines: Vec<OrderLine>,
    /// `None` for an empty cart.
    pub total: Option<Money>,
}

/// Why a cart could not be priced; the routes answer each with its problem.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    #[error("{0} is no longer in the catalog")]
    UnknownSku(String),
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub async fn price(db: impl PgExecutor<'_>, cart: &Cart) -> Result<PricedCart, PricingError> {
    let skus: Vec<&str> = cart.items.keys().map(String::as_str).collect();
    if skus.is_empty() {
        return Ok(PricedCart::default());
    }
    let products = catalog::find(db, &skus).await?;
    let mut priced = PricedCart::default();
    for (sku, &quantity) in &cart.items {
        let product = products
            .iter()
            .find(|p| &p.sku == sku)
            .ok_or_else(|| PricingError::UnknownSku(sku.clone()))?;
        let line = Money::new(product.price_minor, product.currency.as_str()).times(quantity)?;
        priced.total = Some(match &priced.total {
            Some(total) => total.plus(&line)?,
            None => line,
        });
        priced.lines.push(OrderLine {
            sku: sku.clone(),
            name: product.name.clone(),
            quantity,
            unit_price_minor: product.price_minor,
        });
    }
    Ok(priced)
}

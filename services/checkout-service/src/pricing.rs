//! Prices a cart from the catalog: clients never send prices.

use events::OrderLine;
use http_kit::Problem;
use sqlx::PgExecutor;

use crate::error::Result;
use crate::store::carts::Cart;
use crate::store::catalog;

/// A cart's lines priced from the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PricedCart {
    pub lines: Vec<OrderLine>,
    pub total_minor: i64,
    /// `None` for an empty cart.
    pub currency: Option<String>,
}

pub async fn price(db: impl PgExecutor<'_>, cart: &Cart) -> Result<PricedCart> {
    let skus: Vec<&str> = cart.items.keys().map(String::as_str).collect();
    if skus.is_empty() {
        return Ok(PricedCart::default());
    }
    let products = catalog::find(db, &skus).await?;
    let mut priced = PricedCart::default();
    for (sku, &quantity) in &cart.items {
        let product = products.iter().find(|p| &p.sku == sku).ok_or_else(|| {
            Problem::unprocessable(
                "unknown_sku",
                format!("{sku} is no longer in the catalog; remove it from the cart"),
            )
            .field("sku")
        })?;
        match &priced.currency {
            Some(currency) if currency != &product.currency => {
                return Err(Problem::unprocessable(
                    "mixed_currencies",
                    "a cart must be in one currency",
                )
                .into());
            }
            _ => priced.currency = Some(product.currency.clone()),
        }
        priced.total_minor = product
            .price_minor
            .checked_mul(i64::from(quantity))
            .and_then(|line| priced.total_minor.checked_add(line))
            .ok_or_else(|| {
                Problem::unprocessable("total_too_large", "the cart total is too large")
            })?;
        priced.lines.push(OrderLine {
            sku: sku.clone(),
            name: product.name.clone(),
            quantity,
            unit_price_minor: product.price_minor,
        });
    }
    Ok(priced)
}

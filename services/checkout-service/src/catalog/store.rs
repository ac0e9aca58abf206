//! The product catalog, seeded by migration: the only source of prices.

use serde::Serialize;
use sqlx::PgExecutor;
use utoipa::ToSchema;

/// A product and its price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Product {
    pub sku: String,
    pub name: String,
    /// Price in integer minor units (cents).
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

pub async fn all(db: impl PgExecutor<'_>) -> Result<Vec<Product>, sqlx::Error> {
    sqlx::query_as!(
        Product,
        r#"SELECT sku, name, price_minor, currency::text AS "currency!" FROM products ORDER BY sku"#,
    )
    .fetch_all(db)
    .await
}

/// The products among `skus` (unknown ones are simply absent).
pub async fn find(db: impl PgExecutor<'_>, skus: &[&str]) -> Result<Vec<Product>, sqlx::Error> {
    sqlx::query_as!(
        Product,
        r#"SELECT sku, name, price_minor, currency::text AS "currency!"
           FROM products WHERE sku = ANY($1)"#,
        skus as _,
    )
    .fetch_all(db)
    .await
}

pub async fn exists(db: impl PgExecutor<'_>, sku: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM products WHERE sku = $1) AS "exists!""#,
        sku
    )
    .fetch_one(db)
    .await
}

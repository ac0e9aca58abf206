//! checkout-service: sessions and carts (Redis), the catalog, checkouts (Postgres + outbox).

pub mod domain;
pub mod error;
pub mod openapi;
pub mod payments;
pub mod pricing;
pub mod routes;
pub mod saga;
pub mod settings;
pub mod startup;
pub mod state;
pub mod store;

/// The migrations of this service's database (`migrations/checkout`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/checkout");

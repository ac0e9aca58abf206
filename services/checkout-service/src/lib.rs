//! checkout-service: sessions and carts (Redis), the catalog, checkouts and payments
//! (Postgres + outbox). One module per feature, each with its routes and its store; `saga`
//! is the handler of order events, which calls into checkouts and payments.

pub mod cart;
pub mod catalog;
pub mod checkouts;
pub mod domain;
pub mod error;
pub mod openapi;
pub mod payments;
pub mod routes;
pub mod saga;
pub mod sessions;
pub mod settings;
pub mod startup;
pub mod state;

/// The migrations of this service's database (`migrations/checkout`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/checkout");

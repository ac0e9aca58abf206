//! order-service: orders and their status history (Postgres + outbox).

pub mod domain;
pub mod openapi;
pub mod orders;
pub mod routes;
pub mod saga;
pub mod settings;
pub mod startup;
pub mod state;

/// The migrations of this service's database (`migrations/order`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/order");

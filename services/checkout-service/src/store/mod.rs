//! Data access: Postgres (catalog, checkouts, idempotency keys) and Redis (sessions, carts).

pub mod carts;
pub mod catalog;
pub mod checkouts;
pub mod idempotency;
pub mod sessions;

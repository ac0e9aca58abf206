//! Data access (Postgres).

pub mod orders;

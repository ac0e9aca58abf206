//! order-service tests: the data layer directly, and the API on port 0, each test on a fresh
//! Postgres database.

mod admin;
mod authz;
mod cancel;
mod helpers;
mod orders;
mod service;
mod store;
mod tls;

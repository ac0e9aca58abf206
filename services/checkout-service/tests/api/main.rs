//! checkout-service API tests: the real service on port 0, a fresh Postgres database per test,
//! the real Redis with a key prefix per test.

mod authz;
mod cart;
mod checkouts;
mod faults;
mod helpers;
mod limits;
mod outages;
mod provider_tokens;
mod secrets;
mod service;
mod sessions;
mod tls;

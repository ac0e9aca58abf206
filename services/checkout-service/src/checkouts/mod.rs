//! Checkouts: the submit (idempotent by key, priced from the catalog, written with its
//! `checkout.submitted` event), its status, and the sweeper of checkouts that stall.

pub(crate) mod idempotency;
pub(crate) mod routes;
pub(crate) mod store;
pub mod sweeper;

//! Sessions: created anonymous, bound to a customer on first authenticated use, kept only in
//! Redis with a sliding TTL so the pods hold no state.

pub(crate) mod connect;
pub(crate) mod routes;
pub(crate) mod store;

pub use store::SessionStore;

//! The cart of a session, in Redis beside it, and its prices from the catalog.

pub(crate) mod pricing;
pub(crate) mod routes;
pub(crate) mod store;

pub use store::{Cart, CartChange, CartError, MAX_CART_LINES};

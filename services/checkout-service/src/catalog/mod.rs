//! The product catalog: the only source of prices.

pub(crate) mod routes;
pub(crate) mod store;

pub use store::Product;

//! checkout-service answers with the shared error type of `http-kit`.

pub use http_kit::{Error, Result};

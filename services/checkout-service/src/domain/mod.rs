//! Domain values that can only be built valid: handlers parse input into these first.

mod card_token;
mod idempotency_key;
mod quantity;
mod sku;

pub use card_token::CardToken;
pub use idempotency_key::IdempotencyKey;
pub use quantity::Quantity;
pub use sku::Sku;

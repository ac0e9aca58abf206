//! Domain values that can only be built valid (handlers parse input into these first), and
//! the checkout's status.

mod card_token;
mod checkout_status;
mod idempotency_key;
mod quantity;
mod sku;

pub use card_token::CardToken;
pub use checkout_status::CheckoutStatus;
pub use idempotency_key::IdempotencyKey;
pub use quantity::Quantity;
pub use sku::Sku;

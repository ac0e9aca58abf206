//! Domain values that can only be built valid (handlers parse input into these first),
//! money, and the statuses of checkouts and payments.

mod card_token;
mod checkout_status;
mod idempotency_key;
mod money;
mod payment_status;
mod quantity;
mod sku;

pub use card_token::CardToken;
pub use checkout_status::CheckoutStatus;
pub use idempotency_key::IdempotencyKey;
pub use money::{Money, MoneyError};
pub use payment_status::PaymentStatus;
pub use quantity::Quantity;
pub use sku::Sku;

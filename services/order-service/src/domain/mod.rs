//! Domain values that can only be built valid.

mod cursor;
mod order_status;

pub use cursor::Cursor;
pub use order_status::OrderStatus;

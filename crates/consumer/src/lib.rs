#![doc = include_str!("../README.md")]

mod context;
mod inbox;
mod outage;
pub mod parked;
mod received;
mod retry;
mod routing;
mod runtime;
mod stats;

pub use received::Envelope;
pub use runtime::{Consumer, ConsumerConfig};
pub use stats::ConsumerStats;

use std::future::Future;

use messaging::envelope::Poison;
use sqlx::{Postgres, Transaction};

/// Handles the events of one consumer group.
pub trait Handler: Send + Sync + 'static {
    /// The event types handled, each with its major version (`dev.orderflow.order.placed.v1`).
    /// Another major version of one of these is poison; any other type is skipped.
    const TYPES: &'static [&'static str];

    /// Applies `event` inside `tx`, the transaction that also holds its inbox row. Must be
    /// guarded by the expected current state, so that an out-of-order event is a no-op.
    fn handle(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        event: &Envelope,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

/// How handling an event failed, which decides what happens next.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// A dependency is down, or refused in a way that passes (a deadlock, a timeout; see
    /// `storage::transient`): retry without limit, never dead-letter.
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
    /// Anything else: retry with backoff, then dead-letter.
    #[error("{0}")]
    Failed(String),
    /// Can never succeed: dead-letter at once.
    #[error(transparent)]
    Poison(#[from] Poison),
}

impl From<sqlx::Error> for HandlerError {
    fn from(e: sqlx::Error) -> Self {
        if storage::transient::postgres(&e) {
            Self::Unavailable(e.to_string())
        } else {
            Self::Failed(e.to_string())
        }
    }
}

impl From<redis::RedisError> for HandlerError {
    fn from(e: redis::RedisError) -> Self {
        if storage::transient::redis(&e) {
            Self::Unavailable(e.to_string())
        } else {
            Self::Failed(e.to_string())
        }
    }
}

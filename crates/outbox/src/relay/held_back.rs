//! The aggregates whose next row the broker refused: left out of the batches until their wait
//! is over, then tried again (an operator may have fixed the row, or the topic's limit).

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;
use uuid::Uuid;

#[derive(Debug, Default)]
pub struct HeldBack(HashMap<Uuid, Instant>);

impl HeldBack {
    pub fn hold(&mut self, aggregate: Uuid, wait: Duration) {
        self.0.insert(aggregate, Instant::now() + wait);
    }

    /// The aggregates still waiting; those whose wait is over are let go.
    pub fn current(&mut self) -> Vec<Uuid> {
        let now = Instant::now();
        self.0.retain(|_, until| *until > now);
        self.0.keys().copied().collect()
    }
}

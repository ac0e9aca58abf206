//! How a relay runs.

use std::time::Duration;

use faults::Faults;

/// How the relay runs.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Most rows of one lane per batch (a batch covers every owned lane).
    pub batch_per_lane: i64,
    pub poll_interval: Duration,
    /// Published rows older than this are purged.
    pub retention: Duration,
    /// The process's fault flags (`kafka_produce_fail_rate` fires here).
    pub faults: Faults,
    /// Postgres ends the lock session after this long without a query (`idle_session_timeout`,
    /// and TCP keepalives and `tcp_user_timeout` of about the same length): how long the
    /// lanes of a relay that vanished stay locked. More than a publish can take
    /// (`message.timeout.ms`, 30 s), so a relay waiting on a slow broker keeps its lanes.
    pub lock_session_timeout: Duration,
    /// Longest wait for a batch's acks; past it the relay starts a new producer and tries
    /// again (the producer itself never gives a message up: see `batch::publish`).
    pub ack_within: Duration,
    /// How long an aggregate waits after one of its rows was refused before that row is
    /// tried again.
    pub hold_back: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            batch_per_lane: 512,
            poll_interval: Duration::from_secs(1),
            retention: Duration::from_secs(24 * 3600),
            faults: Faults::default(),
            lock_session_timeout: Duration::from_secs(35),
            ack_within: Duration::from_secs(30),
            hold_back: Duration::from_secs(60),
        }
    }
}

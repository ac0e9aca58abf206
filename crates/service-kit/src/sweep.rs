//! Saga sweepers: each service's pass over the sagas of its own that stalled (a step
//! dead-lettered, an event lost), run on a timer while the service serves. The passes differ;
//! what they hold and how they are run does not.

use std::future::Future;
use std::time::Duration;

use prometheus_client::metrics::gauge::Gauge;
use sqlx::PgPool;

/// What every sweeper holds: its database, the saga timeout (`SAGA_TIMEOUT`) and the
/// `sagas_overdue` gauge its passes refresh.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub db: PgPool,
    pub timeout: Duration,
    pub overdue: Gauge,
}

/// One service's sweeper, built by [`crate::app::Base::sweeper`] and run by
/// [`crate::app::Application::sweeping`].
pub trait Sweeper: Clone + Send + Sync + 'static {
    /// What a pass that moved sagas is logged as.
    const WHAT: &'static str;

    fn new(sweep: Sweep) -> Self;

    fn sweep(&self) -> &Sweep;

    /// One pass; returns how many sagas it moved on.
    fn sweep_once(&self) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;
}

/// How often a sweeper for `saga_timeout` looks: a fifth of it, between 200 ms and 30 s.
pub fn interval(saga_timeout: Duration) -> Duration {
    (saga_timeout / 5).clamp(Duration::from_millis(200), Duration::from_secs(30))
}

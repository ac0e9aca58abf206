//! Waiting between attempts.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Exponential backoff with jitter: `base × 2^attempt`, capped at `max`, then scaled by a
/// random factor in [0.5, 1) so that retries of many consumers do not align.
pub(crate) fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let ceiling = base.saturating_mul(1 << attempt.min(16)).min(max);
    ceiling.mul_f64(0.5 + fastrand::f64() / 2.0)
}

/// Sleeps for `duration`; `false` if shutdown came first.
pub(crate) async fn sleep_or_shutdown(duration: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => false,
        () = tokio::time::sleep(duration) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_stays_under_its_cap() {
        let (base, max) = (Duration::from_millis(100), Duration::from_secs(5));
        assert!(backoff(base, max, 1) < Duration::from_millis(200));
        assert!(backoff(base, max, 3) >= Duration::from_millis(400));
        assert!(backoff(base, max, 30) < max);
    }
}

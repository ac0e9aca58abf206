//! Target 1: `POST /v1/checkouts` at its most throughput, against pgbench running the
//! handler's SQL over the same transport with as many connections; then latency at half
//! that rate, open loop.

use serde::Serialize;

use crate::config::Config;
use crate::histogram::Summary;
use crate::http::Driver;
use crate::pgbench;
use crate::procs::Service;

#[derive(Debug, Clone, Serialize)]
pub struct WritePath {
    pub connections: u32,
    pub concurrency: usize,
    pub max_per_second: f64,
    /// How long the closed loop ran (shorter than the phase when the carts ran out).
    pub max_seconds: f64,
    pub max_failed: u64,
    /// Latency while saturated (closed loop: the driver waits, so this is service time).
    pub saturated: Summary,
    pub pgbench_tps: f64,
    /// `max_per_second / pgbench_tps`.
    pub ratio: f64,
    pub half_rate: f64,
    pub half_rate_failed: u64,
    /// Open loop at `half_rate`, corrected for coordinated omission.
    pub half_rate_latency: Summary,
}

pub async fn run(config: &Config, checkout: &Service) -> anyhow::Result<WritePath> {
    let scale = &config.scale;
    let driver = Driver::new(&checkout.base_url, &config.jwt_secret)?;
    let carts = scale.carts;
    eprintln!("write path: filling {carts} carts");
    let sessions = driver.fill_carts(carts, scale.concurrency).await?;
    driver
        .closed_loop(&sessions, scale.concurrency, scale.phase / 10)
        .await?;
    eprintln!(
        "write path: most throughput, {} in flight",
        scale.concurrency
    );
    let max = driver
        .closed_loop(&sessions, scale.concurrency, scale.phase)
        .await?;

    eprintln!("write path: pgbench, {} connections", config.connections);
    let pgbench_tps = pgbench::write_path(config).await?;

    let half_rate = (max.per_second() / 2.0).max(1.0);
    let needed = (half_rate * scale.phase.as_secs_f64()).ceil() as usize + 10;
    let have = sessions.lock().expect("not poisoned").len();
    if have < needed {
        let more = driver.fill_carts(needed - have, scale.concurrency).await?;
        sessions
            .lock()
            .expect("not poisoned")
            .extend(more.lock().expect("not poisoned").drain(..));
    }
    eprintln!("write path: open loop at {half_rate:.0}/s");
    let half = driver.open_loop(&sessions, half_rate, scale.phase).await?;

    Ok(WritePath {
        connections: config.connections,
        concurrency: scale.concurrency,
        max_per_second: max.per_second(),
        max_seconds: max.elapsed.as_secs_f64(),
        max_failed: max.failed,
        saturated: max.latencies.summary(),
        pgbench_tps,
        ratio: max.per_second() / pgbench_tps,
        half_rate,
        half_rate_failed: half.failed,
        half_rate_latency: half.latencies.summary(),
    })
}

//! Target 1: `POST /v1/checkouts` at its most throughput, against pgbench running the
//! handler's SQL over the same transport with as many connections; then latency at half
//! that rate, open loop.

use anyhow::Context;
use serde::Serialize;

use crate::config::{Config, DATABASES};
use crate::histogram::Summary;
use crate::http::Driver;
use crate::procs::Service;

const PGBENCH_SCRIPT: &str = include_str!("../sql/checkout.pgbench");

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
    let pgbench_tps = pgbench(config).await?;

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

/// pgbench with the handler's SQL on a database with the same schema, over TCP to the same
/// server, with the service's pool size as its client count; returns transactions per second.
async fn pgbench(config: &Config) -> anyhow::Result<f64> {
    let script = config.out_dir.join("checkout.pgbench");
    std::fs::write(&script, PGBENCH_SCRIPT)?;
    let output = tokio::process::Command::new("pgbench")
        .args(["--no-vacuum", "--protocol=prepared", "--jobs=2"])
        .arg(format!("--client={}", config.connections))
        .arg(format!("--time={}", config.scale.phase.as_secs().max(1)))
        .arg(format!("--file={}", script.display()))
        .arg(config.database_url(DATABASES[3]))
        .output()
        .await
        .context("running pgbench (Debian package postgresql-contrib or the server's bin)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "pgbench failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse_tps(&stdout).with_context(|| format!("no tps in pgbench's output: {stdout}"))
}

/// The `tps = 1234.5 (without initial connection time)` line of pgbench.
fn parse_tps(output: &str) -> Option<f64> {
    output
        .lines()
        .find(|line| line.starts_with("tps = ") && line.contains("without initial connection"))?
        .trim_start_matches("tps = ")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_tps_without_connection_time() {
        let output =
            "latency average = 0.6 ms\ntps = 6312.481516 (without initial connection time)\n";
        assert_eq!(parse_tps(output), Some(6312.481516));
        assert_eq!(
            parse_tps("tps = 1 (including connections establishing)"),
            None
        );
    }
}

//! pgbench running the services' own SQL, over TCP to the same server with as many
//! connections as a service's pool: the limit each figure is a ratio to.

use anyhow::Context;
use serde::Serialize;

use crate::config::{Config, DATABASES};

const WRITE_PATH: &str = include_str!("../sql/checkout.pgbench");
const SAGA_CHECKOUT: &str = include_str!("../sql/saga-checkout.pgbench");
const SAGA_ORDER: &str = include_str!("../sql/saga-order.pgbench");

/// The write path's one transaction: transactions per second.
pub async fn write_path(config: &Config) -> anyhow::Result<f64> {
    let run = run(config, "checkout.pgbench", WRITE_PATH, DATABASES[3], None).await?;
    Ok(run.tps)
}

/// Both databases' share of whole checkouts, run at once as the saga runs them.
#[derive(Debug, Clone, Serialize)]
pub struct Saga {
    /// Each script is one checkout's every transaction in that database.
    pub checkout_db_tps: f64,
    pub order_db_tps: f64,
    /// Whole checkouts per second: a checkout needs both, so the slower.
    pub per_second: f64,
    /// Whole checkouts run: the fewer of the two scripts' transactions.
    pub checkouts: u64,
}

/// The saga's SQL in both databases at once, for the phase's length; `rate` paces each
/// (`--rate`) instead of running flat out.
pub async fn saga(config: &Config, rate: Option<f64>) -> anyhow::Result<Saga> {
    let (checkout, order) = tokio::try_join!(
        run(
            config,
            "saga-checkout.pgbench",
            SAGA_CHECKOUT,
            DATABASES[3],
            rate
        ),
        run(config, "saga-order.pgbench", SAGA_ORDER, DATABASES[4], rate),
    )?;
    Ok(Saga {
        checkout_db_tps: checkout.tps,
        order_db_tps: order.tps,
        per_second: checkout.tps.min(order.tps),
        checkouts: checkout.transactions.min(order.transactions),
    })
}

struct Run {
    tps: f64,
    transactions: u64,
}

async fn run(
    config: &Config,
    name: &str,
    script: &str,
    database: &str,
    rate: Option<f64>,
) -> anyhow::Result<Run> {
    let path = config.out_dir.join(name);
    std::fs::write(&path, script)?;
    let mut command = tokio::process::Command::new("pgbench");
    command
        .args(["--no-vacuum", "--protocol=prepared", "--jobs=2"])
        .arg(format!("--client={}", config.connections))
        .arg(format!("--time={}", config.scale.phase.as_secs().max(1)))
        .arg(format!("--file={}", path.display()));
    if let Some(rate) = rate {
        command.arg(format!("--rate={rate:.1}"));
    }
    let output = command
        .arg(config.database_url(database))
        .output()
        .await
        .context("running pgbench (Debian package postgresql-contrib or the server's bin)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "pgbench {name} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let transactions = parse_transactions(&stdout)
        .with_context(|| format!("no transaction count in pgbench's output: {stdout}"))?;
    // A paced run too short for one transaction prints no tps at all.
    let tps = match transactions {
        0 => 0.0,
        _ => parse_tps(&stdout).with_context(|| format!("no tps in pgbench's output: {stdout}"))?,
    };
    Ok(Run { tps, transactions })
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

/// The `number of transactions actually processed: 12345` line of pgbench.
fn parse_transactions(output: &str) -> Option<u64> {
    output
        .lines()
        .find_map(|line| line.strip_prefix("number of transactions actually processed: "))?
        .split(['/', ' '])
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

    #[test]
    fn reads_the_transactions_processed() {
        let output = "number of failed transactions: 0 (0.000%)\n\
                      number of transactions actually processed: 63124\n";
        assert_eq!(parse_transactions(output), Some(63124));
        let paced = "number of transactions actually processed: 2994/3000\n";
        assert_eq!(parse_transactions(paced), Some(2994));
    }
}

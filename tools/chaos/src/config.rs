//! What a run does, from `CHAOS_*` variables (scripts/chaos.sh sets the paths).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::schedule::Fault;

#[derive(Debug, Clone)]
pub struct Config {
    /// Checkouts submitted in all.
    pub checkouts: u64,
    /// Checkouts started per second (open loop).
    pub rate: f64,
    /// Seeds the fault schedule and the load's choices: the same seed, the same run.
    pub seed: u64,
    /// The kinds of fault injected (`CHAOS_FAULTS`, comma-separated report names; all by
    /// default).
    pub faults: Vec<Fault>,
    /// Mean time between two injections.
    pub interval: Duration,
    /// Longest wait for the system to settle once the load has ended.
    pub settle_timeout: Duration,
    /// First of the ports this run takes (`world::PORTS` of them): Postgres, Redis, the
    /// brokers, and the replicas of both services and both relays.
    pub port_base: u16,
    /// The built service binaries.
    pub bin_dir: PathBuf,
    /// `scripts/kafka.sh`, which runs one Kafka node.
    pub kafka_script: PathBuf,
    /// Report, logs and the private clusters' data (emptied at start).
    pub out_dir: PathBuf,
}

fn var<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(raw) => raw
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}: {e} (got {raw:?})")),
        Err(_) => Ok(default),
    }
}

fn duration(name: &str, default: &str) -> anyhow::Result<Duration> {
    let raw = std::env::var(name).unwrap_or_else(|_| default.to_owned());
    humantime::parse_duration(raw.trim())
        .with_context(|| format!("{name}: expected e.g. 8s or 5m (got {raw:?})"))
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let config = Self {
            checkouts: var("CHAOS_CHECKOUTS", 10_000)?,
            rate: var("CHAOS_RATE", 40.0)?,
            seed: var("CHAOS_SEED", 1)?,
            faults: match std::env::var("CHAOS_FAULTS") {
                Ok(names) => names
                    .split(',')
                    .map(|n| n.trim().parse())
                    .collect::<Result<_, _>>()
                    .map_err(|e| anyhow::anyhow!("CHAOS_FAULTS: {e}"))?,
                Err(_) => Fault::ALL.to_vec(),
            },
            interval: duration("CHAOS_INTERVAL", "8s")?,
            settle_timeout: duration("CHAOS_SETTLE_TIMEOUT", "5m")?,
            port_base: var("CHAOS_PORT_BASE", 19_100)?,
            bin_dir: var("CHAOS_BIN_DIR", PathBuf::from("target/debug"))?,
            kafka_script: var("CHAOS_KAFKA_SCRIPT", PathBuf::from("scripts/kafka.sh"))?,
            out_dir: var("CHAOS_OUT_DIR", PathBuf::from("target/chaos"))?,
        };
        if config.checkouts == 0 || config.rate.is_nan() || config.rate <= 0.0 {
            bail!("CHAOS_CHECKOUTS and CHAOS_RATE must be above zero");
        }
        // Every kind of fault at least once, or the run proves less than it claims. A fault
        // lasts about 7 s on average (most hold for 10 s, kills take one), and the next one
        // comes at least an interval after it ended.
        let per_fault = config.interval.as_secs_f64() + 7.0;
        let slots = (config.load_duration().as_secs_f64() / per_fault) as usize;
        if slots < config.faults.len() {
            bail!(
                "{} checkouts at {}/s last {:.0} s: room for {slots} injections of about 7 s, \
                 each {:?} after the last, but there are {} kinds of fault; raise \
                 CHAOS_CHECKOUTS or lower CHAOS_INTERVAL",
                config.checkouts,
                config.rate,
                config.load_duration().as_secs_f64(),
                config.interval,
                config.faults.len()
            );
        }
        Ok(config)
    }

    /// How long submitting every checkout takes at `rate`.
    pub fn load_duration(&self) -> Duration {
        Duration::from_secs_f64(self.checkouts as f64 / self.rate)
    }

    /// The `n`th port of this run.
    pub fn port(&self, n: u16) -> u16 {
        self.port_base + n
    }
}

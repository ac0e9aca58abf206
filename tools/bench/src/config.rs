//! What a run measures and against what: read from the environment once.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use messaging::KafkaSettings;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};

use crate::{relay, saga};

/// The sizes of a run. `full` is what BENCHMARKS.md reports; `smoke` proves in seconds, in CI,
/// that every step still runs (its figures mean nothing).
#[derive(Debug, Clone)]
pub struct Scale {
    pub name: &'static str,
    /// Length of each timed write-path phase and of pgbench.
    pub phase: Duration,
    /// Carts filled before the write path's closed loop: more than it can check out.
    pub carts: usize,
    /// Concurrent requests while finding the write path's most throughput.
    pub concurrency: usize,
    /// Outbox rows and bare-producer messages.
    pub relay_messages: usize,
    /// Events per second written while commit-to-ack is measured under load.
    pub relay_load_rate: u32,
    /// Commit-to-ack probes (and broker hop probes) per measurement.
    pub probes: usize,
    pub saga_rate: u32,
    pub saga_duration: Duration,
    /// Length of each step of the capacity search, and of the CPU measurement.
    pub step: Duration,
    /// The capacity search's first rate (checkouts/s), and how many steps it may take.
    pub capacity_start: f64,
    pub capacity_steps: usize,
}

impl Scale {
    fn full() -> Self {
        Self {
            name: "full",
            phase: Duration::from_secs(10),
            carts: 30_000,
            concurrency: 32,
            relay_messages: 100_000,
            relay_load_rate: 2_000,
            probes: 200,
            saga_rate: 100,
            saga_duration: Duration::from_secs(10),
            step: Duration::from_secs(30),
            capacity_start: 60.0,
            capacity_steps: 8,
        }
    }

    fn smoke() -> Self {
        Self {
            name: "smoke",
            phase: Duration::from_secs(1),
            carts: 2_000,
            concurrency: 8,
            relay_messages: 2_000,
            relay_load_rate: 200,
            probes: 10,
            saga_rate: 10,
            saga_duration: Duration::from_secs(2),
            step: Duration::from_secs(2),
            capacity_start: 5.0,
            capacity_steps: 2,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub scale: Scale,
    pub bin_dir: PathBuf,
    pub out_dir: PathBuf,
    /// Server URL without a database, e.g. `postgres://postgres@127.0.0.1:55432`.
    pub pg_url: String,
    pub redis_url: String,
    pub brokers: String,
    pub jwt_secret: String,
    /// Postgres connections of the service's pool, and of pgbench: the same on both sides.
    pub connections: u32,
    /// Events each consumer handles at once (`BENCH_CONSUMER_CONCURRENCY`, the services'
    /// default of 1 unless set): below `connections`.
    pub consumer_concurrency: u32,
    /// Fail the run when a target is missed.
    pub strict: bool,
    /// Unique per run: topics, consumer groups and Redis keys.
    pub run_id: String,
    /// Which parts run (`BENCH_ONLY=write,saga,capacity,relay`; all by default).
    pub only: Option<Vec<String>>,
    /// The build measured (`release`, or `debug` in CI's smoke run).
    pub profile: String,
}

pub const CHECKOUT_ADDR: &str = "127.0.0.1:18080";
pub const ORDER_ADDR: &str = "127.0.0.1:18081";
pub const RELAY_ADDR: &str = "127.0.0.1:18082";
pub const PARTITIONS: i32 = 12;
/// checkout-service's, order-service's, the standalone relay's, and pgbench's: the write
/// path's, and the saga's in both schemas (copies, so that no relay publishes what pgbench
/// writes, and the write path's unpublished rows never slow the saga's relay queries).
pub const DATABASES: [&str; 6] = [
    "orderflow_bench_checkout",
    "orderflow_bench_order",
    "orderflow_bench_relay",
    "orderflow_bench_pgbench",
    "orderflow_bench_pgbench_order",
    "orderflow_bench_pgbench_saga",
];

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let var =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        let scale = match var("BENCH_SCALE", "full").as_str() {
            "full" => Scale::full(),
            "smoke" => Scale::smoke(),
            other => bail!("BENCH_SCALE: expected `full` or `smoke`, got `{other}`"),
        };
        let bin_dir = PathBuf::from(var("BENCH_BIN_DIR", "target/release"));
        let profile = bin_dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self {
            scale,
            bin_dir,
            out_dir: PathBuf::from(var("BENCH_OUT", "target/bench")),
            pg_url: var("PG_URL", "postgres://postgres@127.0.0.1:55432"),
            redis_url: var("SESSION_STORE", "redis://127.0.0.1:56379"),
            brokers: var("KAFKA_BROKERS", "127.0.0.1:9092"),
            jwt_secret: var(
                "AUTH_JWT_SECRET",
                "orderflow-dev-secret-not-for-production-use",
            ),
            connections: var("BENCH_CONNECTIONS", "4")
                .parse()
                .context("BENCH_CONNECTIONS: expected a number")?,
            consumer_concurrency: var("BENCH_CONSUMER_CONCURRENCY", "1")
                .parse()
                .context("BENCH_CONSUMER_CONCURRENCY: expected a number")?,
            strict: var("BENCH_STRICT", "0") == "1",
            run_id: format!("bench{}", chrono::Utc::now().format("%Y%m%d%H%M%S")),
            only: std::env::var("BENCH_ONLY")
                .ok()
                .map(|parts| parts.split(',').map(|p| p.trim().to_owned()).collect()),
            profile,
        })
    }

    pub fn runs(&self, part: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|p| p == part))
    }

    pub fn database_url(&self, database: &str) -> String {
        format!("{}/{database}", self.pg_url)
    }

    pub fn kafka(&self) -> KafkaSettings {
        let mut settings = KafkaSettings::local(&self.brokers, &self.topic_prefix());
        settings.partitions = PARTITIONS;
        settings
    }

    pub fn topic_prefix(&self) -> String {
        format!("{}.", self.run_id)
    }

    /// Fresh databases, migrated by the services' own `migrate`, and this run's topics.
    pub async fn prepare(&self) -> anyhow::Result<()> {
        let mut admin = PgConnection::connect(&self.database_url("postgres")).await?;
        for database in DATABASES {
            admin
                .execute(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
                )))
                .await?;
            admin
                .execute(AssertSqlSafe(format!("CREATE DATABASE {database}")))
                .await?;
        }
        admin.close().await?;
        for (service, database) in [
            ("checkout-service", DATABASES[0]),
            ("order-service", DATABASES[1]),
            ("checkout-service", DATABASES[2]),
            ("checkout-service", DATABASES[3]),
            ("order-service", DATABASES[4]),
            ("checkout-service", DATABASES[5]),
        ] {
            let status = tokio::process::Command::new(self.bin_dir.join(service))
                .arg("migrate")
                .envs(self.common_env(database, CHECKOUT_ADDR))
                .stdout(std::process::Stdio::null())
                .status()
                .await
                .with_context(|| format!("running {service} migrate"))?;
            anyhow::ensure!(status.success(), "{service} migrate failed");
        }
        let kafka = self.kafka();
        messaging::topics::ensure(&kafka).await?;
        let extra: Vec<String> = [relay::BARE_TOPIC, relay::RELAY_TOPIC, saga::HOP_TOPIC]
            .iter()
            .map(|topic| format!("{}{topic}", kafka.topic_prefix))
            .collect();
        messaging::topics::create(&kafka, &extra).await?;
        Ok(())
    }

    fn common_env(&self, database: &str, addr: &str) -> Vec<(String, String)> {
        [
            ("DATABASE_URL", self.database_url(database)),
            ("DB_POOL_MAX", self.connections.to_string()),
            (
                "CONSUMER_CONCURRENCY",
                self.consumer_concurrency.to_string(),
            ),
            ("HTTP_ADDR", addr.to_owned()),
            ("AUTH_JWT_SECRET", self.jwt_secret.clone()),
            ("KAFKA_BROKERS", self.brokers.clone()),
            ("KAFKA_TOPIC_PREFIX", self.topic_prefix()),
            ("KAFKA_PARTITIONS", PARTITIONS.to_string()),
            ("LOG_FORMAT", "json".to_owned()),
            ("RUST_LOG", "info".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    pub fn checkout_env(&self) -> Vec<(String, String)> {
        let mut env = self.common_env(DATABASES[0], CHECKOUT_ADDR);
        env.push(("SESSION_STORE".to_owned(), self.redis_url.clone()));
        env.push(("REDIS_KEY_PREFIX".to_owned(), self.run_id.clone()));
        env
    }

    pub fn order_env(&self) -> Vec<(String, String)> {
        self.common_env(DATABASES[1], ORDER_ADDR)
    }

    /// A standalone relay over the relay database.
    pub fn relay_env(&self) -> Vec<(String, String)> {
        let mut env = self.common_env(DATABASES[2], RELAY_ADDR);
        env.push(("SESSION_STORE".to_owned(), self.redis_url.clone()));
        env.push(("RELAY_MODE".to_owned(), "off".to_owned()));
        env
    }
}

//! Bringing a world up: the private Postgres and its databases, Redis, the brokers and their
//! topics, then every replica with its environment. Apart from the rest of the world because
//! it runs once, before any fault.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use messaging::KafkaSettings;
use sqlx::{Connection, Executor, PgConnection};
use test_support::TcpProxy;

use super::{
    BROKERS, DATABASES, JWT_SECRET, REPLICAS, Replica, Role, SERVICES_FROM, TOPIC_PREFIX, World,
};
use crate::brokers::{self, Broker};
use crate::config::Config;
use crate::procs::{Postgres, Proc, Ready};

impl World {
    /// Makes and starts everything, each part on its own ports from `config.port_base`.
    pub async fn start(config: &Config, pg_bin: &Path) -> anyhow::Result<Self> {
        let logs = config.out_dir.join("logs");
        let pg_dir = std::env::temp_dir().join(format!("orderflow-chaos-pg-{}", config.port(0)));
        let postgres =
            Postgres::init(pg_bin, &pg_dir, &logs.join("postgres.log"), config.port(0)).await?;
        postgres
            .start()
            .await
            .context("starting the private Postgres")?;
        let mut admin = PgConnection::connect(&postgres.url("postgres")).await?;
        for database in DATABASES {
            admin
                .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
                .await?;
        }
        admin.close().await?;
        let pg_proxy = TcpProxy::start(&format!("127.0.0.1:{}", postgres.port)).await;

        let redis_port = config.port(1);
        let redis_dir = config.out_dir.join("redis");
        std::fs::create_dir_all(&redis_dir)?;
        let mut redis = Proc::new(
            "redis",
            "redis-server",
            &[
                "--port",
                &redis_port.to_string(),
                "--bind",
                "127.0.0.1",
                "--dir",
                &redis_dir.display().to_string(),
                "--appendonly",
                "yes",
                "--save",
                "",
            ],
            Vec::new(),
            &logs,
            Ready::Listening(redis_port),
        );
        redis.start().await?;

        let brokers = brokers::start(config, &logs).await?;
        let bootstrap = |proxy: fn(&Broker) -> &TcpProxy| {
            brokers
                .iter()
                .map(|b| proxy(b).addr().to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut kafka = KafkaSettings::local(&bootstrap(|b| &b.proxy), TOPIC_PREFIX);
        kafka.replication_factor = BROKERS as i32;
        kafka.min_insync_replicas = 2;
        brokers::wait_for(&kafka, BROKERS).await?;
        messaging::topics::ensure(&kafka)
            .await
            .context("creating the topics")?;
        let isolated = bootstrap(|b| &b.isolated);

        let service = |role: Role, slot: usize| -> Replica {
            let port = config.port(SERVICES_FROM + slot as u16);
            let brokers = if role == Role::CheckoutService {
                isolated.clone()
            } else {
                kafka.brokers.clone()
            };
            let env: Vec<(String, String)> = [
                (
                    "DATABASE_URL",
                    format!(
                        "postgres://postgres@{}/{}",
                        pg_proxy.addr(),
                        role.database()
                    ),
                ),
                ("HTTP_ADDR", format!("127.0.0.1:{port}")),
                ("AUTH_JWT_SECRET", JWT_SECRET.to_owned()),
                ("KAFKA_BROKERS", brokers),
                ("KAFKA_TOPIC_PREFIX", TOPIC_PREFIX.to_owned()),
                ("SESSION_STORE", format!("redis://127.0.0.1:{redis_port}")),
                ("REDIS_KEY_PREFIX", "chaos".to_owned()),
                ("RELAY_MODE", "off".to_owned()),
                ("LOG_FORMAT", "json".to_owned()),
                ("RUST_LOG", "info".to_owned()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            let number = slot / Role::ALL.len() + 1;
            Replica {
                role,
                proc: Proc::new(
                    &format!("{}-{number}", role.name()),
                    config.bin_dir.join(role.binary()),
                    &[role.command()],
                    env,
                    &logs,
                    Ready::Http(format!("http://127.0.0.1:{port}/health/ready")),
                ),
                url: format!("http://127.0.0.1:{port}"),
            }
        };
        // Dynamic group membership, as the Kubernetes deployments run: a replica that comes
        // or goes is a rebalance, a killed one leaves its partitions until its session ends.
        let mut replicas = Vec::new();
        for slot in 0..REPLICAS * Role::ALL.len() {
            let role = Role::ALL[slot % Role::ALL.len()];
            let mut replica = service(role, slot);
            if slot < Role::ALL.len() && role.command() == "serve" {
                migrate(config, &replica).await?;
            }
            replica.proc.start().await?;
            replicas.push(replica);
        }
        let spare = service(Role::OrderService, REPLICAS * Role::ALL.len() + 1);
        Ok(Self {
            postgres,
            pg_proxy,
            redis,
            brokers,
            replicas,
            spare,
            kafka,
            admin: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            admin_token: http_kit::auth::JwtKeys::hs256(&secrecy::SecretString::from(JWT_SECRET))
                .issue("chaos-operator", true, Duration::from_secs(86_400)),
            unexpected_exits: Vec::new(),
            lost_broker: None,
            kills: 0,
        })
    }
}

async fn migrate(config: &Config, replica: &Replica) -> anyhow::Result<()> {
    let binary = replica.role.binary();
    let status = tokio::process::Command::new(config.bin_dir.join(binary))
        .arg("migrate")
        .envs(replica.proc.env().iter().map(|(k, v)| (k, v)))
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .with_context(|| format!("running {binary} migrate"))?;
    anyhow::ensure!(status.success(), "{binary} migrate failed");
    Ok(())
}

//! Everything a run owns — the private Postgres behind a proxy, Redis, a three-broker Kafka
//! cluster behind proxies (`brokers`), and two replicas of each service and each standalone
//! relay.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use messaging::KafkaSettings;
use sqlx::{Connection, Executor, PgConnection};
use test_support::TcpProxy;

use crate::brokers::{self, Broker};
use crate::config::Config;
use crate::procs::{Postgres, Proc, Ready};

pub const JWT_SECRET: &str = "orderflow-chaos-secret-not-for-production-use";
const TOPIC_PREFIX: &str = "chaos.";
pub(crate) const DATABASES: [&str; 2] = ["orderflow_checkout", "orderflow_order"];
/// The key of the one malformed record sent on purpose: it must end in the dead-letter topic.
pub const POISON_KEY: &str = "chaos-poison";
pub const POISON_TOPIC: &str = events::topics::CHECKOUT;
pub const BROKERS: usize = 3;
/// Replicas of each service and relay (a third order-service replica comes and goes).
pub const REPLICAS: usize = 2;

/// What a service process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    CheckoutService,
    OrderService,
    CheckoutRelay,
    OrderRelay,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::CheckoutService,
        Role::OrderService,
        Role::CheckoutRelay,
        Role::OrderRelay,
    ];

    fn binary(self) -> &'static str {
        match self {
            Role::CheckoutService | Role::CheckoutRelay => "checkout-service",
            Role::OrderService | Role::OrderRelay => "order-service",
        }
    }

    fn command(self) -> &'static str {
        match self {
            Role::CheckoutService | Role::OrderService => "serve",
            Role::CheckoutRelay | Role::OrderRelay => "relay",
        }
    }

    fn database(self) -> &'static str {
        match self {
            Role::CheckoutService | Role::CheckoutRelay => DATABASES[0],
            Role::OrderService | Role::OrderRelay => DATABASES[1],
        }
    }

    fn name(self) -> String {
        match self.command() {
            "serve" => self.binary().to_owned(),
            _ => self.binary().replace("-service", "-relay"),
        }
    }
}

/// One service process and where its HTTP API listens.
#[derive(Debug)]
pub struct Replica {
    pub role: Role,
    pub proc: Proc,
    pub url: String,
}

#[derive(Debug)]
pub struct World {
    pub postgres: Postgres,
    /// Between the services and Postgres: where latency is added.
    pub pg_proxy: TcpProxy,
    pub redis: Proc,
    pub brokers: Vec<Broker>,
    pub replicas: Vec<Replica>,
    /// The order-service replica [`crate::schedule::Fault::ScaleOrderService`] adds.
    pub spare: Replica,
    pub kafka: KafkaSettings,
    pub(crate) admin: reqwest::Client,
    pub(crate) admin_token: String,
    /// Processes found dead that no fault had killed (each one is a breach).
    pub unexpected_exits: Vec<String>,
    /// The broker [`crate::schedule::Fault::LoseBroker`] took down for the rest of the round.
    pub(crate) lost_broker: Option<usize>,
    /// Kills so far, to take the replicas in turn.
    pub(crate) kills: usize,
}

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

    /// The base URLs of the checkout-service replicas: where the load goes, in turn.
    pub fn checkout_urls(&self) -> Vec<String> {
        self.urls_of(Role::CheckoutService)
    }

    /// The consumer groups of both services (each service's name behind the topic prefix).
    pub fn consumer_groups(&self) -> Vec<String> {
        [Role::CheckoutService, Role::OrderService]
            .map(|role| format!("{TOPIC_PREFIX}{}", role.binary()))
            .to_vec()
    }

    pub fn urls_of(&self, role: Role) -> Vec<String> {
        self.replicas
            .iter()
            .filter(|r| r.role == role)
            .map(|r| r.url.clone())
            .collect()
    }

    pub async fn database(&self, n: usize) -> anyhow::Result<sqlx::PgPool> {
        Ok(sqlx::PgPool::connect(&self.postgres.url(DATABASES[n])).await?)
    }

    /// Sends one record that is no CloudEvent to the topic order-service consumes: the audit
    /// expects it, and only it, in the dead-letter topic.
    pub async fn send_poison(&self) -> anyhow::Result<()> {
        let producer = messaging::producer::idempotent(&self.kafka)?;
        let topic = messaging::Topics::new(&self.kafka.topic_prefix).name(POISON_TOPIC);
        let record = rdkafka::producer::FutureRecord::to(&topic)
            .key(POISON_KEY)
            .payload("this is not a CloudEvent");
        producer
            .send(record, Duration::from_secs(30))
            .await
            .map_err(|(e, _)| e)
            .context("sending the poison record")?;
        Ok(())
    }

    /// Every process, for the starts each one had.
    pub fn procs(&self) -> impl Iterator<Item = &Proc> {
        self.replicas
            .iter()
            .map(|r| &r.proc)
            .chain([&self.spare.proc, &self.redis])
            .chain(self.brokers.iter().map(|b| &b.proc))
    }

    /// Starts again any process that exited without being killed, and remembers it.
    pub async fn revive_the_dead(&mut self) {
        let procs = self
            .replicas
            .iter_mut()
            .map(|r| &mut r.proc)
            .chain([&mut self.redis])
            .chain(self.brokers.iter_mut().map(|b| &mut b.proc));
        for proc in procs {
            if let Some(status) = proc.exited() {
                let what = format!("{} exited by itself ({status})", proc.name);
                eprintln!("chaos: {what}; starting it again");
                self.unexpected_exits.push(what);
                if let Err(e) = proc.start().await {
                    eprintln!("chaos: {} did not start again: {e:#}", proc.name);
                }
            }
        }
    }

    /// Stops everything and removes the private Postgres cluster.
    pub async fn shut_down(mut self) {
        for replica in self.replicas.iter_mut().chain([&mut self.spare]) {
            replica.proc.stop().await;
        }
        for broker in &mut self.brokers {
            let _ = broker.proc.signal("CONT").await;
            broker.proc.stop().await;
        }
        self.redis.stop().await;
        if let Err(e) = self.postgres.remove().await {
            eprintln!("chaos: stopping the private Postgres: {e:#}");
        }
    }
}

/// Ports from `port_base`: Postgres, Redis, then four per broker (inter-broker, clients,
/// checkout-service's, controller), then the service replicas and the spare.
pub(crate) const BROKERS_FROM: u16 = 2;
const SERVICES_FROM: u16 = BROKERS_FROM + 4 * BROKERS as u16;
pub const PORTS: u16 = SERVICES_FROM + (REPLICAS * Role::ALL.len()) as u16 + 2;

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

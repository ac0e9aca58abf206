//! Everything a run owns — the private Postgres behind a proxy, Redis, the broker, both
//! services and both standalone relays — and the faults done to it.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use messaging::KafkaSettings;
use serde::Serialize;
use sqlx::{Connection, Executor, PgConnection};
use test_support::TcpProxy;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::procs::{Postgres, Proc, Ready};
use crate::schedule::{self, Fault, Injection};

pub const JWT_SECRET: &str = "orderflow-chaos-secret-not-for-production-use";
const TOPIC_PREFIX: &str = "chaos.";
const DATABASES: [&str; 2] = ["orderflow_checkout", "orderflow_order"];
/// The key of the one malformed record sent on purpose: it must end in the dead-letter topic.
pub const POISON_KEY: &str = "chaos-poison";
pub const POISON_TOPIC: &str = events::topics::CHECKOUT;
/// How long a killed process stays down before it is started again.
const DOWN_FOR: Duration = Duration::from_secs(1);

/// One fault as it was done.
#[derive(Debug, Clone, Serialize)]
pub struct Done {
    pub fault: Fault,
    /// Since the load started.
    pub at_secs: f64,
    /// Until the faulted part served again.
    pub took_secs: f64,
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct World {
    pub postgres: Postgres,
    /// Between the services and Postgres, and between every client and the broker (which
    /// advertises the proxy): where latency is added.
    pub proxies: [TcpProxy; 2],
    pub redis: Proc,
    pub broker: Proc,
    /// checkout-service, order-service, and their relays, in that order.
    pub services: Vec<Proc>,
    pub kafka: KafkaSettings,
    pub checkout_url: String,
    /// The base URL of each of `services`.
    urls: Vec<String>,
    admin: reqwest::Client,
    admin_token: String,
    /// Processes found dead that no fault had killed (each one is a breach).
    pub unexpected_exits: Vec<String>,
}

impl World {
    /// Makes and starts everything, each part on its own port from `config.port_base`.
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
        let proxy = TcpProxy::start(&format!("127.0.0.1:{}", postgres.port)).await;

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

        let broker_port = config.port(2);
        let listener = format!("tcp://127.0.0.1:{broker_port}");
        let broker_proxy = TcpProxy::start(&format!("127.0.0.1:{broker_port}")).await;
        let advertised = format!("tcp://{}", broker_proxy.addr());
        let mut broker = Proc::new(
            "broker",
            "tansu",
            &[
                "broker",
                "--listener-url",
                &listener,
                "--advertised-listener-url",
                &advertised,
                "--storage-engine",
                "memory://tansu/",
            ],
            vec![(
                "RUST_LOG".into(),
                std::env::var("CHAOS_BROKER_LOG").unwrap_or_else(|_| "warn".into()),
            )],
            &logs,
            Ready::Listening(broker_port),
        );
        broker.start().await?;
        let kafka = KafkaSettings::local(&broker_proxy.addr().to_string(), TOPIC_PREFIX);
        messaging::topics::ensure(&kafka)
            .await
            .context("creating the topics")?;

        let env = |database: &str, port: u16| -> Vec<(String, String)> {
            [
                (
                    "DATABASE_URL",
                    format!("postgres://postgres@{}/{database}", proxy.addr()),
                ),
                ("HTTP_ADDR", format!("127.0.0.1:{port}")),
                ("AUTH_JWT_SECRET", JWT_SECRET.to_owned()),
                ("KAFKA_BROKERS", kafka.brokers.clone()),
                ("KAFKA_TOPIC_PREFIX", TOPIC_PREFIX.to_owned()),
                ("SESSION_STORE", format!("redis://127.0.0.1:{redis_port}")),
                ("REDIS_KEY_PREFIX", "chaos".to_owned()),
                ("RELAY_MODE", "off".to_owned()),
                ("LOG_FORMAT", "json".to_owned()),
                ("RUST_LOG", "info".to_owned()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
        };
        let mut services = Vec::new();
        for (n, (binary, command, database)) in [
            ("checkout-service", "serve", DATABASES[0]),
            ("order-service", "serve", DATABASES[1]),
            ("checkout-service", "relay", DATABASES[0]),
            ("order-service", "relay", DATABASES[1]),
        ]
        .into_iter()
        .enumerate()
        {
            let port = config.port(3 + n as u16);
            let mut env = env(database, port);
            // Static membership: a killed service that comes back under the same id takes its
            // partitions back at once. With dynamic membership tansu 0.6.0's coordinator can
            // leave the group without an assignment for good after repeated kills (ADR 0006).
            env.push(("CONSUMER_INSTANCE_ID".into(), format!("chaos-{binary}")));
            if command == "serve" {
                migrate(config, binary, &env).await?;
            }
            let name = if command == "serve" {
                binary.to_owned()
            } else {
                binary.replace("-service", "-relay")
            };
            let mut proc = Proc::new(
                &name,
                config.bin_dir.join(binary),
                &[command],
                env,
                &logs,
                Ready::Http(format!("http://127.0.0.1:{port}/health/ready")),
            );
            proc.start().await?;
            services.push(proc);
        }
        Ok(Self {
            postgres,
            proxies: [proxy, broker_proxy],
            redis,
            broker,
            services,
            kafka,
            checkout_url: format!("http://127.0.0.1:{}", config.port(3)),
            urls: (0..4)
                .map(|n| format!("http://127.0.0.1:{}", config.port(3 + n)))
                .collect(),
            admin: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            admin_token: http_kit::auth::JwtKeys::hs256(&secrecy::SecretString::from(JWT_SECRET))
                .issue("chaos-operator", true, Duration::from_secs(86_400)),
            unexpected_exits: Vec::new(),
        })
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

    /// Injects `schedule` (times from `started`) until it ends or `stop` fires; between
    /// injections, restarts and records any process that died on its own.
    pub async fn inject(
        &mut self,
        schedule: &[Injection],
        started: Instant,
        stop: &CancellationToken,
    ) -> Vec<Done> {
        let mut done = Vec::new();
        for injection in schedule {
            let due = started + injection.at;
            while Instant::now() < due {
                if stop.is_cancelled() {
                    return done;
                }
                self.revive_the_dead().await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let begun = Instant::now();
            eprintln!(
                "chaos: {:>6.1} s  {}",
                injection.at.as_secs_f64(),
                injection.fault
            );
            let error = self
                .apply(injection.fault)
                .await
                .err()
                .map(|e| format!("{e:#}"));
            if let Some(error) = &error {
                eprintln!("chaos: {} failed: {error}", injection.fault);
            }
            done.push(Done {
                fault: injection.fault,
                at_secs: (begun - started).as_secs_f64(),
                took_secs: begun.elapsed().as_secs_f64(),
                error,
            });
        }
        done
    }

    async fn apply(&mut self, fault: Fault) -> anyhow::Result<()> {
        match fault {
            Fault::KillCheckoutService => self.kill_and_start(0).await,
            Fault::KillOrderService => self.kill_and_start(1).await,
            Fault::KillCheckoutRelay => self.kill_and_start(2).await,
            Fault::KillOrderRelay => self.kill_and_start(3).await,
            Fault::PauseBroker => {
                self.broker.signal("STOP").await?;
                tokio::time::sleep(schedule::BROKER_PAUSE).await;
                self.broker.signal("CONT").await
            }
            Fault::RestartPostgres => self.postgres.crash_restart().await,
            Fault::RestartRedis => {
                self.redis.kill().await?;
                tokio::time::sleep(DOWN_FOR).await;
                self.redis.start().await.map(drop)
            }
            Fault::PaymentUnreachable => {
                let flags = serde_json::json!({ "payment_unreachable": true });
                self.flag_for(&[0], flags).await
            }
            Fault::ProduceFailures => {
                let flags =
                    serde_json::json!({ "kafka_produce_fail_rate": schedule::PRODUCE_FAIL_RATE });
                self.flag_for(&[2, 3], flags).await
            }
            Fault::NetworkLatency => {
                for proxy in &self.proxies {
                    proxy.set_latency(schedule::LATENCY);
                }
                tokio::time::sleep(schedule::LATENCY_FOR).await;
                for proxy in &self.proxies {
                    proxy.set_latency(Duration::ZERO);
                }
                Ok(())
            }
        }
    }

    /// Sets fault `flags` on the processes `targets` (indexes into `services`) through their
    /// admin endpoint for [`schedule::FLAG_FOR`], then clears every flag.
    async fn flag_for(&self, targets: &[usize], flags: serde_json::Value) -> anyhow::Result<()> {
        let put = async |flags: &serde_json::Value| -> anyhow::Result<()> {
            for n in targets {
                self.admin
                    .put(format!("{}/v1/admin/faults", self.urls[*n]))
                    .bearer_auth(&self.admin_token)
                    .json(flags)
                    .send()
                    .await?
                    .error_for_status()
                    .with_context(|| {
                        format!("setting fault flags on {}", self.services[*n].name)
                    })?;
            }
            Ok(())
        };
        put(&flags).await?;
        tokio::time::sleep(schedule::FLAG_FOR).await;
        put(&serde_json::json!({})).await
    }

    async fn kill_and_start(&mut self, n: usize) -> anyhow::Result<()> {
        let service = &mut self.services[n];
        service.kill().await?;
        tokio::time::sleep(DOWN_FOR).await;
        service.start().await.map(drop)
    }

    /// Starts again any process that exited without being killed, and remembers it.
    pub async fn revive_the_dead(&mut self) {
        for proc in self
            .services
            .iter_mut()
            .chain([&mut self.redis, &mut self.broker])
        {
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
        for proc in self.services.iter_mut() {
            proc.stop().await;
        }
        self.broker.stop().await;
        self.redis.stop().await;
        if let Err(e) = self.postgres.remove().await {
            eprintln!("chaos: stopping the private Postgres: {e:#}");
        }
    }
}

async fn migrate(config: &Config, binary: &str, env: &[(String, String)]) -> anyhow::Result<()> {
    let status = tokio::process::Command::new(config.bin_dir.join(binary))
        .arg("migrate")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .with_context(|| format!("running {binary} migrate"))?;
    anyhow::ensure!(status.success(), "{binary} migrate failed");
    Ok(())
}

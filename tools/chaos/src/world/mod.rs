//! Everything a run owns — the private Postgres behind a proxy, Redis, a three-broker Kafka
//! cluster behind proxies (`brokers`), and two replicas of each service and each standalone
//! relay. Bringing it all up is in `start`; here, what the storm and the audit use of it.

mod role;
mod start;

use std::time::Duration;

use anyhow::Context;
use messaging::KafkaSettings;
use test_support::TcpProxy;

use crate::brokers::Broker;
use crate::procs::{Postgres, Proc};
pub use role::Role;

pub const JWT_SECRET: &str = "orderflow-chaos-secret-not-for-production-use";
const TOPIC_PREFIX: &str = "chaos.";
pub(crate) const DATABASES: [&str; 2] = ["orderflow_checkout", "orderflow_order"];
/// The key of the one malformed record sent on purpose: it must end in the dead-letter topic.
pub const POISON_KEY: &str = "chaos-poison";
pub const POISON_TOPIC: &str = events::topics::CHECKOUT;
pub const BROKERS: usize = 3;
/// Replicas of each service and relay (a third order-service replica comes and goes).
pub const REPLICAS: usize = 2;

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

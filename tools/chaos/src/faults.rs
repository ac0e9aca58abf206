//! Doing each fault of the schedule to the world, and telling when each one ended.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use sqlx::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;

use crate::brokers;
use crate::schedule::{self, Fault, Injection};
use crate::world::{self, Role, World};

/// How long a killed service process stays down before it is started again.
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
    /// From the end of the fault until the system was back to its steady state (outbox
    /// backlog, consumer lag, submit → COMPLETED p99); `None`: not before the next fault.
    pub recovered_secs: Option<f64>,
}

impl World {
    /// Injects `schedule` (times from `started`) until it ends or `stop` fires, each fault
    /// at least `gap` after the previous one ended, so that its recovery can be told apart;
    /// between injections, restarts and records any process that died on its own. A broker
    /// lost for the round is started again when the next round begins, and at the end.
    pub async fn inject(
        &mut self,
        schedule: &[Injection],
        started: Instant,
        gap: Duration,
        stop: &CancellationToken,
    ) -> Vec<Done> {
        let mut done = Vec::new();
        let mut round = 0;
        let mut last_end = started;
        for injection in schedule {
            let due = (started + injection.at).max(last_end + gap);
            while Instant::now() < due {
                if stop.is_cancelled() {
                    self.bring_back_lost_broker().await;
                    return done;
                }
                self.revive_the_dead().await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            if injection.round != round {
                round = injection.round;
                self.bring_back_lost_broker().await;
            }
            let begun = Instant::now();
            eprintln!(
                "chaos: {:>6.1} s  {}",
                (begun - started).as_secs_f64(),
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
            last_end = Instant::now();
            done.push(Done {
                fault: injection.fault,
                at_secs: (begun - started).as_secs_f64(),
                took_secs: begun.elapsed().as_secs_f64(),
                error,
                recovered_secs: None,
            });
        }
        self.bring_back_lost_broker().await;
        done
    }

    async fn apply(&mut self, fault: Fault) -> anyhow::Result<()> {
        match fault {
            Fault::KillCheckoutService => self.kill_and_start(Role::CheckoutService).await,
            Fault::KillOrderService => self.kill_and_start(Role::OrderService).await,
            Fault::KillCheckoutRelay => self.kill_and_start(Role::CheckoutRelay).await,
            Fault::KillOrderRelay => self.kill_and_start(Role::OrderRelay).await,
            Fault::PauseBroker => {
                let broker = &self.brokers[self.leading_broker().await?].proc;
                broker.signal("STOP").await?;
                tokio::time::sleep(schedule::BROKER_PAUSE).await;
                broker.signal("CONT").await
            }
            Fault::KillBroker => {
                let leader = self.leading_broker().await?;
                let broker = &mut self.brokers[leader].proc;
                broker.kill().await?;
                tokio::time::sleep(schedule::BROKER_DOWN).await;
                broker.start().await.map(drop)
            }
            Fault::LoseBroker => {
                let leader = self.leading_broker().await?;
                self.brokers[leader].proc.kill().await?;
                self.lost_broker = Some(leader);
                Ok(())
            }
            Fault::NetworkPartition => {
                for broker in &self.brokers {
                    broker.isolated.blackhole();
                }
                tokio::time::sleep(schedule::PARTITION_FOR).await;
                for broker in &self.brokers {
                    broker.isolated.heal();
                }
                Ok(())
            }
            Fault::ScaleOrderService => {
                self.spare.proc.start().await?;
                tokio::time::sleep(schedule::FLAG_FOR).await;
                self.spare.proc.stop().await;
                Ok(())
            }
            Fault::RestartPostgres => self.postgres.crash_restart().await,
            Fault::TerminateBackends => self.terminate_backends().await,
            Fault::RestartRedis => {
                self.redis.kill().await?;
                tokio::time::sleep(DOWN_FOR).await;
                self.redis.start().await.map(drop)
            }
            Fault::PaymentUnreachable => {
                let flags = serde_json::json!({ "payment_unreachable": true });
                self.flag_for(&self.urls_of(Role::CheckoutService), flags)
                    .await
            }
            Fault::ProduceFailures => {
                let flags =
                    serde_json::json!({ "kafka_produce_fail_rate": schedule::PRODUCE_FAIL_RATE });
                let mut relays = self.urls_of(Role::CheckoutRelay);
                relays.extend(self.urls_of(Role::OrderRelay));
                self.flag_for(&relays, flags).await
            }
            Fault::NetworkLatency => {
                let proxies = self
                    .brokers
                    .iter()
                    .flat_map(|b| [&b.proxy, &b.isolated])
                    .chain([&self.pg_proxy]);
                for proxy in proxies.clone() {
                    proxy.set_latency(schedule::LATENCY);
                }
                tokio::time::sleep(schedule::LATENCY_FOR).await;
                for proxy in proxies {
                    proxy.set_latency(Duration::ZERO);
                }
                Ok(())
            }
        }
    }

    /// The running broker that leads the partitions in use (partition 0 of the order topic).
    async fn leading_broker(&self) -> anyhow::Result<usize> {
        let topic = messaging::Topics::new(&self.kafka.topic_prefix).name(events::topics::ORDER);
        let leader = brokers::leader(&self.kafka, &topic).await?;
        anyhow::ensure!(
            self.brokers[leader].proc.is_running(),
            "the metadata names broker {} as leader, which is down",
            leader + 1
        );
        Ok(leader)
    }

    async fn bring_back_lost_broker(&mut self) {
        if let Some(lost) = self.lost_broker.take() {
            eprintln!("chaos: the round is over; broker-{} starts again", lost + 1);
            if let Err(e) = self.brokers[lost].proc.start().await {
                eprintln!("chaos: broker-{} did not start again: {e:#}", lost + 1);
            }
        }
    }

    /// Sets fault `flags` on the processes at `urls` through their admin endpoint for
    /// [`schedule::FLAG_FOR`], then clears every flag.
    async fn flag_for(&self, urls: &[String], flags: serde_json::Value) -> anyhow::Result<()> {
        let put = async |flags: &serde_json::Value| -> anyhow::Result<()> {
            for url in urls {
                self.admin
                    .put(format!("{url}/v1/admin/faults"))
                    .bearer_auth(&self.admin_token)
                    .json(flags)
                    .send()
                    .await?
                    .error_for_status()
                    .with_context(|| format!("setting fault flags on {url}"))?;
            }
            Ok(())
        };
        put(&flags).await?;
        tokio::time::sleep(schedule::FLAG_FOR).await;
        put(&serde_json::json!({})).await
    }

    /// Ends every session of both databases but its own.
    pub async fn terminate_backends(&self) -> anyhow::Result<()> {
        let mut admin = PgConnection::connect(&self.postgres.url("postgres")).await?;
        let ended: i64 = sqlx::query_scalar(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = ANY($1) AND pid <> pg_backend_pid()",
        )
        .bind(&world::DATABASES[..])
        .fetch_one(&mut admin)
        .await?;
        admin.close().await?;
        eprintln!("chaos: {ended} database sessions terminated");
        Ok(())
    }

    /// SIGKILLs one replica of `role` (each in turn), and starts it again.
    async fn kill_and_start(&mut self, role: Role) -> anyhow::Result<()> {
        self.kills += 1;
        let of_role: Vec<usize> = (0..self.replicas.len())
            .filter(|&n| self.replicas[n].role == role)
            .collect();
        let proc = &mut self.replicas[of_role[self.kills % of_role.len()]].proc;
        proc.kill().await?;
        tokio::time::sleep(DOWN_FOR).await;
        proc.start().await.map(drop)
    }
}

//! Saga capacity: the highest arrival rate at which whole checkouts keep completing, found by
//! a step search of open-loop steps. A step holds when at least 99.9 % of its checkouts reach
//! COMPLETED, submit → COMPLETED p99 stays within 300 ms, and the saga's backlog (outbox rows
//! not yet published in both databases, plus checkouts submitted but not final, which holds
//! every consumer's lag) does not grow over the step. Beside it: pgbench running every
//! transaction one checkout causes, in both databases at once, and the CPU one checkout costs
//! each process at half the capacity.

use std::time::{Duration, Instant};

use serde::Serialize;
use sqlx::PgPool;

use crate::config::{Config, DATABASES};
use crate::cpu::{Processes, Share};
use crate::histogram::Summary;
use crate::http::Driver;
use crate::pgbench;
use crate::procs::Service;
use crate::saga::audit;

/// The latency target a step must hold (docs/architecture.md, section 8).
const P99_MS: f64 = 300.0;
const COMPLETED_AT_LEAST: f64 = 0.999;

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub rate: f64,
    pub submitted: u64,
    pub submit_failed: u64,
    pub completed: u64,
    pub unfinished: u64,
    pub submit_to_completed: Summary,
    /// Mean backlog over the first and the second half of the step.
    pub backlog_first_half: f64,
    pub backlog_second_half: f64,
    pub held: bool,
    /// Why it did not hold (empty when it did).
    pub broke: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Capacity {
    pub step_seconds: u64,
    pub steps: Vec<Step>,
    /// The highest rate that held (checkouts/s).
    pub capacity: f64,
    pub pgbench: pgbench::Saga,
    /// `capacity / pgbench.per_second`.
    pub ratio_to_pgbench: f64,
    /// The open-loop rate the CPU was measured at: half the capacity.
    pub cpu_rate: f64,
    pub cpu_checkouts: u64,
    pub cpu: Vec<Share>,
    /// CPU per checkout of pgbench running the saga's SQL at the same rate.
    pub pgbench_cpu: Vec<Share>,
}

pub async fn run(config: &Config, checkout: &Service, order: &Service) -> anyhow::Result<Capacity> {
    let scale = &config.scale;
    let driver = Driver::new(&checkout.base_url, &config.jwt_secret)?;
    let dbs = Databases::connect(config).await?;
    let mut steps: Vec<Step> = Vec::new();
    let mut rate = scale.capacity_start;
    // Up by a third while steps hold; down by half while none has; once one breaks after one
    // held, a last step halfway into the gap.
    let mut gap_tried = false;
    while steps.len() < scale.capacity_steps && rate >= 1.0 && !gap_tried {
        let step = run_step(config, &driver, &dbs, rate).await?;
        eprintln!(
            "capacity: {rate:.0}/s {} (p99 {:.0} ms, {} of {} completed, backlog {:.0} → {:.0})",
            if step.held { "held" } else { "broke" },
            step.submit_to_completed.p99_ms,
            step.completed,
            step.submitted,
            step.backlog_first_half,
            step.backlog_second_half
        );
        let held = step.held;
        let in_gap = steps.iter().any(|s| s.held) && steps.iter().any(|s| !s.held);
        steps.push(step);
        let best = highest_held(&steps);
        gap_tried = in_gap;
        rate = if held {
            rate * 4.0 / 3.0
        } else if best == 0.0 {
            rate / 2.0
        } else {
            (best + rate) / 2.0
        };
    }
    let capacity = highest_held(&steps);

    eprintln!("capacity: pgbench with the saga's SQL in both databases");
    let pgbench = pgbench::saga(config, None).await?;

    let cpu_rate = (capacity / 2.0).max(1.0);
    eprintln!("capacity: CPU per checkout at {cpu_rate:.0}/s");
    let processes = Processes {
        own: vec![
            (
                "checkout-service (relay embedded)".to_owned(),
                checkout.pid(),
            ),
            ("order-service (relay embedded)".to_owned(), order.pid()),
        ],
    };
    let carts = driver
        .fill_carts(checkouts_in(cpu_rate, scale.step) + 10, scale.concurrency)
        .await?;
    let before = processes.sample();
    let submitted = driver.open_loop(&carts, cpu_rate, scale.step).await?;
    let outcome = audit(&dbs.checkout, &submitted.checkout_ids).await?;
    let after = processes.sample();
    let cpu = only(before.per_checkout(&after, outcome.completed), |p| {
        p != "pgbench"
    });

    eprintln!("capacity: CPU per checkout of pgbench at {cpu_rate:.0}/s");
    let pgbench_processes = Processes { own: Vec::new() };
    let before = pgbench_processes.sample();
    let paced = pgbench::saga(config, Some(cpu_rate)).await?;
    let after = pgbench_processes.sample();
    // What pgbench's saga costs: the server's work and the client's, not the idle rest.
    let pgbench_cpu = only(before.per_checkout(&after, paced.checkouts), |p| {
        p == "postgres" || p == "pgbench"
    });

    Ok(Capacity {
        step_seconds: scale.step.as_secs(),
        steps,
        capacity,
        ratio_to_pgbench: capacity / pgbench.per_second,
        pgbench,
        cpu_rate,
        cpu_checkouts: outcome.completed,
        cpu,
        pgbench_cpu,
    })
}

/// The shares of the processes `keep` names, with their total redone.
fn only(shares: Vec<Share>, keep: impl Fn(&str) -> bool) -> Vec<Share> {
    let mut shares: Vec<Share> = shares
        .into_iter()
        .filter(|s| s.process != "total" && keep(&s.process))
        .collect();
    let total = shares.iter().map(|s| s.ms_per_checkout).sum();
    shares.push(Share {
        process: "total".to_owned(),
        ms_per_checkout: total,
    });
    shares
}

fn highest_held(steps: &[Step]) -> f64 {
    steps
        .iter()
        .filter(|s| s.held)
        .map(|s| s.rate)
        .fold(0.0, f64::max)
}

fn checkouts_in(rate: f64, step: Duration) -> usize {
    (rate * step.as_secs_f64()).ceil() as usize
}

/// Both services' databases, for the audit and the backlog.
struct Databases {
    checkout: PgPool,
    order: PgPool,
}

impl Databases {
    async fn connect(config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            checkout: PgPool::connect(&config.database_url(DATABASES[0])).await?,
            order: PgPool::connect(&config.database_url(DATABASES[1])).await?,
        })
    }

    /// Outbox rows not yet published, in both databases, plus checkouts not final.
    async fn backlog(&self) -> anyhow::Result<i64> {
        let unpublished = "SELECT count(*) FROM outbox WHERE published_at IS NULL";
        let checkout: i64 = sqlx::query_scalar(unpublished)
            .fetch_one(&self.checkout)
            .await?;
        let order: i64 = sqlx::query_scalar(unpublished)
            .fetch_one(&self.order)
            .await?;
        let pending: i64 =
            sqlx::query_scalar("SELECT count(*) FROM checkouts WHERE status = 'PENDING'")
                .fetch_one(&self.checkout)
                .await?;
        Ok(checkout + order + pending)
    }
}

async fn run_step(
    config: &Config,
    driver: &Driver,
    dbs: &Databases,
    rate: f64,
) -> anyhow::Result<Step> {
    let step = config.scale.step;
    let carts = driver
        .fill_carts(checkouts_in(rate, step) + 10, config.scale.concurrency)
        .await?;
    let sampling = async {
        let mut samples = Vec::new();
        let started = Instant::now();
        let mut tick = tokio::time::interval(step / 20);
        while started.elapsed() < step {
            tick.tick().await;
            samples.push(dbs.backlog().await.unwrap_or(0) as f64);
        }
        samples
    };
    let (submitted, samples) = tokio::join!(driver.open_loop(&carts, rate, step), sampling);
    let submitted = submitted?;
    let outcome = audit(&dbs.checkout, &submitted.checkout_ids).await?;
    let (first, second) = samples.split_at(samples.len() / 2);
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len().max(1) as f64;
    let (first, second) = (mean(first), mean(second));
    let verdict = judge(
        rate,
        submitted.accepted,
        submitted.failed,
        outcome.completed,
        outcome.latencies.p99_ms,
        (first, second),
    );
    Ok(Step {
        rate,
        submitted: submitted.accepted,
        submit_failed: submitted.failed,
        completed: outcome.completed,
        unfinished: outcome.unfinished,
        submit_to_completed: outcome.latencies,
        backlog_first_half: first,
        backlog_second_half: second,
        held: verdict.is_empty(),
        broke: verdict,
    })
}

/// Why a step did not hold; empty when it held. The backlog grows when its second half's mean
/// exceeds the first's by more than a tenth of a second of arrivals (noise at low rates) and
/// by half again (a steady backlog at a high rate).
fn judge(
    rate: f64,
    accepted: u64,
    submit_failed: u64,
    completed: u64,
    p99_ms: f64,
    (first, second): (f64, f64),
) -> String {
    let mut why = Vec::new();
    let offered = (accepted + submit_failed).max(1) as f64;
    if (completed as f64) < COMPLETED_AT_LEAST * offered {
        why.push(format!("{completed} of {offered:.0} completed"));
    }
    if p99_ms > P99_MS {
        why.push(format!("p99 {p99_ms:.0} ms"));
    }
    if second > first + rate / 10.0 && second > first * 1.5 {
        why.push(format!("backlog grew {first:.0} → {second:.0}"));
    }
    why.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_holds_only_when_every_condition_does() {
        assert_eq!(judge(100.0, 1000, 0, 1000, 80.0, (10.0, 11.0)), "");
        assert_eq!(
            judge(100.0, 1000, 0, 998, 80.0, (10.0, 11.0)),
            "998 of 1000 completed"
        );
        assert_eq!(
            judge(100.0, 1000, 0, 1000, 301.0, (10.0, 11.0)),
            "p99 301 ms"
        );
        assert_eq!(
            judge(100.0, 1000, 0, 1000, 80.0, (10.0, 200.0)),
            "backlog grew 10 → 200"
        );
        // A failed submit is a checkout that did not complete.
        assert_eq!(
            judge(100.0, 998, 2, 998, 80.0, (10.0, 11.0)),
            "998 of 1000 completed"
        );
    }
}

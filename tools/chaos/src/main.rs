//! `make chaos`: a bounded stream of checkouts against processes this driver owns — two
//! replicas of each service and standalone relay, a three-broker Kafka cluster, a private
//! Postgres cluster and Redis — while it kills, pauses, partitions, scales, restarts and slows
//! them on a seeded schedule. Then it waits for the system to settle, audits every guarantee
//! from the databases and the topics (docs/guarantees.md), and reports how long the system
//! took to recover from each kind of fault. Exits non-zero on any breach.

mod audit;
mod brokers;
mod config;
mod faults;
mod load;
mod procs;
mod recovery;
mod report;
mod schedule;
mod topic;
mod world;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::Config;
use crate::report::Report;
use crate::world::World;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let _ = std::fs::remove_dir_all(&config.out_dir);
    std::fs::create_dir_all(config.out_dir.join("logs"))?;
    let pg_bin = PathBuf::from(
        std::env::var("CHAOS_PG_BIN")
            .context("CHAOS_PG_BIN: the folder of initdb and pg_ctl (scripts/chaos.sh finds it)")?,
    );

    let mut world = World::start(&config, &pg_bin).await?;
    eprintln!(
        "chaos: {} checkouts at {}/s, seed {}, a fault about every {:?}; ports {}-{}; logs in {}",
        config.checkouts,
        config.rate,
        config.seed,
        config.interval,
        config.port(0),
        config.port(world::PORTS - 1),
        config.out_dir.join("logs").display()
    );
    let result = storm(&config, &mut world).await;
    world.shut_down().await;
    let report = result?;
    let markdown = report.markdown();
    std::fs::write(config.out_dir.join("report.md"), &markdown)?;
    std::fs::write(
        config.out_dir.join("report.json"),
        serde_json::to_vec_pretty(&report)?,
    )?;
    print!("{markdown}");
    anyhow::ensure!(report.breaches() == 0, "{} breaches", report.breaches());
    Ok(())
}

/// The load and the faults at once, then the wait for quiescence and the audit.
async fn storm(config: &Config, world: &mut World) -> anyhow::Result<Report> {
    let schedule = schedule::plan(
        config.seed,
        &config.faults,
        config.load_duration(),
        config.interval,
    );
    let client = load::Client::new(world.checkout_urls(), world::JWT_SECRET)?;
    world.send_poison().await?;
    let checkout_db = world.database(0).await?;
    let order_db = world.database(1).await?;
    let stop = CancellationToken::new();
    let sampling = CancellationToken::new();
    let sampler = tokio::spawn(recovery::sample(
        [checkout_db.clone(), order_db.clone()],
        world.kafka.clone(),
        world.consumer_groups(),
        sampling.clone(),
    ));
    let (started, load_started) = (Instant::now(), SystemTime::now());
    let load = {
        let (client, stop, config) = (client.clone(), stop.clone(), config.clone());
        tokio::spawn(async move {
            let results = client.run(config.checkouts, config.rate, config.seed).await;
            stop.cancel();
            results
        })
    };
    let mut injections = world
        .inject(&schedule, started, config.interval, &stop)
        .await;
    let results = load.await.context("the load task")?;
    world.revive_the_dead().await;
    let mut report = Report::new(config, &results);
    report.never_injected = config
        .faults
        .iter()
        .filter(|f| !injections.iter().any(|d| d.fault == **f))
        .map(ToString::to_string)
        .collect();
    eprintln!(
        "chaos: load done ({} accepted); waiting for quiescence",
        report.accepted
    );

    let accepted = results.accepted();
    let load_ended = Instant::now();
    report.settled_after_secs = settle(&checkout_db, &order_db, &accepted, config.settle_timeout)
        .await?
        .then(|| load_ended.elapsed().as_secs_f64());
    sampling.cancel();
    let samples = sampler.await.context("the sampler task")?;
    let steady = recovery::steady(&samples, load_started, &injections);
    let latencies = recovery::latencies(&checkout_db).await?;
    recovery::measure(&mut injections, load_started, &samples, &latencies, steady);
    recovery::dump(&samples, &config.out_dir.join("samples.tsv"))?;
    report.recovery = recovery::per_kind(&injections);
    report.injections = injections;
    world.revive_the_dead().await;
    report.checks = audit::run(
        &audit::Sources {
            checkout_db: &checkout_db,
            order_db: &order_db,
            kafka: &world.kafka,
            out_dir: &config.out_dir,
        },
        &accepted,
    )
    .await?;
    report.unexpected_exits = world.unexpected_exits.clone();
    report.restarts = world.procs().map(|p| (p.name.clone(), p.starts)).collect();
    Ok(report)
}

/// Waits until every accepted checkout is final, both outboxes are drained and the inboxes
/// stop growing (the saga's last events are applied); `false` if `timeout` passes first.
async fn settle(
    checkout_db: &PgPool,
    order_db: &PgPool,
    accepted: &[Uuid],
    timeout: Duration,
) -> anyhow::Result<bool> {
    let deadline = Instant::now() + timeout;
    let mut last_inboxes = (-1, -1);
    let mut steady_since = Instant::now();
    while Instant::now() < deadline {
        let pending: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM checkouts WHERE id = ANY($1) AND status = 'PENDING'",
        )
        .bind(accepted)
        .fetch_one(checkout_db)
        .await
        .unwrap_or(i64::MAX);
        let mut unpublished = 0;
        let mut inboxes = (0, 0);
        for (db, inbox) in [(checkout_db, &mut inboxes.0), (order_db, &mut inboxes.1)] {
            let (left, applied): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL),
                        (SELECT count(*) FROM inbox)",
            )
            .fetch_one(db)
            .await
            .unwrap_or((i64::MAX, -1));
            unpublished += left.min(i64::MAX / 2);
            *inbox = applied;
        }
        if inboxes != last_inboxes {
            last_inboxes = inboxes;
            steady_since = Instant::now();
        }
        if pending == 0 && unpublished == 0 && steady_since.elapsed() > Duration::from_secs(5) {
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(false)
}

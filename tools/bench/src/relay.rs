//! Target 2: the relay draining a pre-filled outbox, against a bare idempotent producer
//! sending as many messages of the same size to the same broker; and commit-to-ack latency,
//! idle and while events are written.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::FutureRecord;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::config::{Config, DATABASES, PARTITIONS, RELAY_ADDR};
use crate::histogram::{Latencies, Summary};
use crate::procs::Service;

/// Logical topics of this bench (the run's prefix is added).
pub const BARE_TOPIC: &str = "bench.bare";
pub const RELAY_TOPIC: &str = "bench.relay";
const PAYLOAD_BYTES: usize = 300;
/// Commit-to-ack probes per second.
const PROBE_RATE: f64 = 20.0;

#[derive(Debug, Clone, Serialize)]
pub struct Relay {
    pub messages: usize,
    pub payload_bytes: usize,
    pub partitions: i32,
    pub bare_per_second: f64,
    pub relay_per_second: f64,
    /// `relay_per_second / bare_per_second`.
    pub ratio: f64,
    pub commit_to_ack_idle: Summary,
    pub load_rate: u32,
    pub commit_to_ack_loaded: Summary,
    /// Where the drain's time went: seconds per relay step (`relay_step_seconds`), in the
    /// relay's order.
    pub drain_steps: Vec<(String, f64)>,
    /// Relay process, for the memory table.
    pub ready_ms: f64,
    pub idle_rss: u64,
    pub peak_rss: u64,
}

pub async fn run(config: &Config) -> anyhow::Result<Relay> {
    let messages = config.scale.relay_messages;
    eprintln!("relay: bare producer, {messages} × {PAYLOAD_BYTES} B");
    let bare_per_second = bare_producer(config, messages).await?;

    let db = PgPool::connect(&config.database_url(DATABASES[2])).await?;
    let mut relay = Service::spawn(config, "checkout-service", "relay", config.relay_env()).await?;
    relay.settle_idle().await;

    eprintln!("relay: commit-to-ack, idle");
    let idle = probe(&db, config.scale.probes, 0).await?;
    eprintln!(
        "relay: commit-to-ack while writing {}/s",
        config.scale.relay_load_rate
    );
    let loaded = probe(&db, config.scale.probes, config.scale.relay_load_rate).await?;

    eprintln!("relay: draining {messages} pre-filled rows");
    let before = step_seconds().await?;
    let relay_per_second = drain(&db, messages).await?;
    let after = step_seconds().await?;
    let drain_steps = after
        .into_iter()
        .map(|(step, total)| {
            let earlier = before
                .iter()
                .find(|(s, _)| *s == step)
                .map_or(0.0, |(_, t)| *t);
            (step, total - earlier)
        })
        .collect();
    let result = Relay {
        messages,
        payload_bytes: PAYLOAD_BYTES,
        partitions: PARTITIONS,
        bare_per_second,
        relay_per_second,
        ratio: relay_per_second / bare_per_second,
        commit_to_ack_idle: idle,
        load_rate: config.scale.relay_load_rate,
        commit_to_ack_loaded: loaded,
        drain_steps,
        ready_ms: relay.ready_after.as_secs_f64() * 1000.0,
        idle_rss: relay.idle_rss,
        peak_rss: relay.peak_rss(),
    };
    relay.stop().await;
    Ok(result)
}

/// The relay process's `relay_step_seconds_total` counters, in the relay's order.
async fn step_seconds() -> anyhow::Result<Vec<(String, f64)>> {
    const ORDER: [&str; 5] = ["lanes", "load", "enqueue", "ack", "mark"];
    let text = reqwest::get(format!("http://{RELAY_ADDR}/metrics"))
        .await?
        .error_for_status()?
        .text()
        .await?;
    Ok(ORDER
        .iter()
        .map(|step| {
            let prefix = format!("relay_step_seconds_total{{step=\"{step}\"}} ");
            let seconds = text
                .lines()
                .find_map(|line| line.strip_prefix(&prefix))
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(0.0);
            ((*step).to_owned(), seconds)
        })
        .collect())
}

/// The limit: the project's own producer configuration with nothing else around it.
async fn bare_producer(config: &Config, messages: usize) -> anyhow::Result<f64> {
    let kafka = config.kafka();
    let producer = messaging::producer::idempotent(&kafka)?;
    let topic = format!("{}{BARE_TOPIC}", kafka.topic_prefix);
    let payload = vec![b'x'; PAYLOAD_BYTES];
    let keys: Vec<String> = (0..messages).map(|_| Uuid::now_v7().to_string()).collect();
    let started = Instant::now();
    let mut deliveries = Vec::with_capacity(messages);
    for key in &keys {
        loop {
            let record = FutureRecord::to(&topic).key(key.as_str()).payload(&payload);
            match producer.send_result(record) {
                Ok(delivery) => break deliveries.push(delivery),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err((e, _)) => return Err(e.into()),
            }
        }
    }
    for delivery in deliveries {
        delivery
            .await?
            .map_err(|(e, _)| anyhow::anyhow!("bare producer: {e}"))?;
    }
    Ok(messages as f64 / started.elapsed().as_secs_f64())
}

/// Inserts `rows` unpublished rows in one transaction (one NOTIFY), then returns events per
/// second from that commit to the last row's `published_at`.
async fn drain(db: &PgPool, rows: usize) -> anyhow::Result<f64> {
    let mut tx = db.begin().await?;
    insert_rows(&mut tx, i64::try_from(rows)?).await?;
    tx.commit().await?;
    let committed = Utc::now();
    loop {
        let left: i64 =
            sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                .fetch_one(db)
                .await?;
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let last: DateTime<Utc> = sqlx::query_scalar("SELECT max(published_at) FROM outbox")
        .fetch_one(db)
        .await?;
    let seconds = (last - committed).as_seconds_f64().max(0.001);
    Ok(rows as f64 / seconds)
}

/// Rows as the services write them: one aggregate each, its lane from its last byte, a JSON
/// payload of `PAYLOAD_BYTES`, and the NOTIFY the writer sends. Returns their ids.
async fn insert_rows(tx: &mut sqlx::PgConnection, rows: i64) -> Result<Vec<Uuid>, sqlx::Error> {
    let padding = "x".repeat(PAYLOAD_BYTES - r#"{"pad":""}"#.len());
    let ids = sqlx::query_scalar(
        "INSERT INTO outbox (id, topic, event_type, source, aggregate_id, subject, lane, sequence, payload)
         SELECT id, $2, 'dev.orderflow.bench.v1', '/bench', id, id::text,
                get_byte(uuid_send(id), 15) % 16, 1, jsonb_build_object('pad', $3::text)
         FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $1)) AS fresh
         RETURNING id",
    )
    .bind(rows)
    .bind(RELAY_TOPIC)
    .bind(&padding)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(outbox::NOTIFY_CHANNEL)
        .execute(&mut *tx)
        .await?;
    Ok(ids)
}

/// `count` single-row commits at `PROBE_RATE`/s while `load_rate` rows/s are written beside
/// them; the latency of each is its `published_at` (set right after the broker's ack) minus
/// the moment its commit returned.
async fn probe(db: &PgPool, count: usize, load_rate: u32) -> anyhow::Result<Summary> {
    let stop = Stop::default();
    let background =
        (load_rate > 0).then(|| tokio::spawn(write_load(db.clone(), load_rate, stop.clone())));
    let mut probes: Vec<(Uuid, DateTime<Utc>)> = Vec::with_capacity(count);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / PROBE_RATE));
    for _ in 0..count {
        tick.tick().await;
        let mut tx = db.begin().await?;
        let ids = insert_rows(&mut tx, 1).await?;
        tx.commit().await?;
        probes.push((ids[0], Utc::now()));
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(background) = background {
        background.await??;
    }
    let ids: Vec<Uuid> = probes.iter().map(|(id, _)| *id).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let published: Vec<(Uuid, Option<DateTime<Utc>>)> =
            sqlx::query_as("SELECT id, published_at FROM outbox WHERE id = ANY($1)")
                .bind(&ids)
                .fetch_all(db)
                .await?;
        if published.iter().all(|(_, at)| at.is_some()) {
            let mut latencies = Latencies::default();
            for (id, committed) in &probes {
                let at = published
                    .iter()
                    .find(|(p, _)| p == id)
                    .and_then(|(_, at)| *at)
                    .expect("all published");
                latencies.record((at - *committed).to_std().unwrap_or_default());
            }
            return Ok(latencies.summary());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "probes still unpublished after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

type Stop = Arc<AtomicBool>;

/// `rate` rows per second in commits of `rate / 100` rows every 10 ms, until `stop`.
async fn write_load(db: PgPool, rate: u32, stop: Stop) -> anyhow::Result<()> {
    let per_commit = i64::from((rate / 100).max(1));
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let mut tx = db.begin().await?;
        insert_rows(&mut tx, per_commit).await?;
        tx.commit().await?;
    }
    Ok(())
}

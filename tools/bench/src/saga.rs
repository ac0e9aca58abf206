//! Target 3: the whole saga, submit → COMPLETED from database timestamps, at a fixed rate of
//! checkouts; beside it the broker's own produce → consume hop, which the saga takes four
//! times (checkout.submitted, order.placed, payment.authorized, order.confirmed).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::config::{Config, DATABASES, PARTITIONS};
use crate::histogram::{Latencies, Summary};
use crate::http::Driver;
use crate::procs::Service;

pub const HOP_TOPIC: &str = "bench.hop";
/// Hop probes per second.
const HOP_RATE: f64 = 20.0;

#[derive(Debug, Clone, Serialize)]
pub struct Saga {
    pub rate: u32,
    pub submitted: u64,
    pub submit_failed: u64,
    pub completed: u64,
    pub failed: u64,
    pub unfinished: u64,
    /// Submit → COMPLETED, from the checkout's `created_at` and `updated_at`.
    pub submit_to_completed: Summary,
    /// `POST /v1/checkouts` latency at this rate (open loop).
    pub submit_latency: Summary,
    /// One produce → consume hop on the same broker, consumer settings as the services'.
    pub broker_hop: Summary,
}

pub async fn run(config: &Config, checkout: &Service, order: &Service) -> anyhow::Result<Saga> {
    eprintln!("saga: broker hop, idle");
    let broker_hop = broker_hop(config, config.scale.probes).await?;

    let scale = &config.scale;
    let driver = Driver::new(&checkout.base_url, &config.jwt_secret)?;
    let count = (f64::from(scale.saga_rate) * scale.saga_duration.as_secs_f64()) as usize;
    let sessions = driver.fill_carts(count + 10, scale.concurrency).await?;
    checkout.reset_peak();
    order.reset_peak();
    eprintln!("saga: {count} checkouts at {}/s", scale.saga_rate);
    let submitted = driver
        .open_loop(&sessions, f64::from(scale.saga_rate), scale.saga_duration)
        .await?;

    let db = PgPool::connect(&config.database_url(DATABASES[0])).await?;
    let audit = audit(&db, &submitted.checkout_ids).await?;
    Ok(Saga {
        rate: scale.saga_rate,
        submitted: submitted.accepted,
        submit_failed: submitted.failed,
        completed: audit.completed,
        failed: audit.failed,
        unfinished: audit.unfinished,
        submit_to_completed: audit.latencies,
        submit_latency: submitted.latencies.summary(),
        broker_hop,
    })
}

/// How the checkouts `ids` ended, once none is PENDING (or two minutes passed).
#[derive(Debug, Clone)]
pub struct Audit {
    pub completed: u64,
    pub failed: u64,
    pub unfinished: u64,
    /// Submit → COMPLETED, from the checkout's `created_at` and `updated_at`.
    pub latencies: Summary,
}

pub async fn audit(db: &PgPool, ids: &[Uuid]) -> anyhow::Result<Audit> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let rows = loop {
        let rows: Vec<(String, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
            "SELECT status, created_at, updated_at FROM checkouts WHERE id = ANY($1)",
        )
        .bind(ids)
        .fetch_all(db)
        .await?;
        if rows.iter().all(|(status, ..)| status != "PENDING") || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut latencies = Latencies::default();
    let (mut completed, mut failed, mut unfinished) = (0, 0, 0);
    for (status, created, updated) in &rows {
        match status.as_str() {
            "COMPLETED" => {
                completed += 1;
                latencies.record((*updated - *created).to_std().unwrap_or_default());
            }
            "FAILED" => failed += 1,
            _ => unfinished += 1,
        }
    }
    // A checkout that is not there at all did not finish either.
    unfinished += (ids.len() - rows.len().min(ids.len())) as u64;
    Ok(Audit {
        completed,
        failed,
        unfinished,
        latencies: latencies.summary(),
    })
}

/// `count` messages at `HOP_RATE`/s, each carrying its send time; the latency of each is when
/// a consumer with the services' fetch settings received it. A first message, not measured,
/// waits until the consumer fetches: the hop of a running consumer, not its start.
async fn broker_hop(config: &Config, count: usize) -> anyhow::Result<Summary> {
    let kafka = config.kafka();
    let topic = format!("{}{HOP_TOPIC}", kafka.topic_prefix);
    let consumer: StreamConsumer = kafka
        .client_config()
        .set("group.id", format!("{}hop", kafka.topic_prefix))
        .set("enable.auto.commit", "false")
        .create()?;
    let mut partitions = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        partitions.add_partition_offset(&topic, partition, Offset::Beginning)?;
    }
    consumer.assign(&partitions)?;
    let producer: FutureProducer = messaging::producer::idempotent(&kafka)?;
    let (warm, warmed) = tokio::sync::oneshot::channel();
    let receiver = tokio::spawn(async move {
        consumer.recv().await?;
        let _ = warm.send(());
        let mut latencies = Latencies::default();
        for _ in 0..count {
            let message = consumer.recv().await?;
            let sent: i64 = std::str::from_utf8(message.payload().unwrap_or_default())?.parse()?;
            let micros = (Utc::now().timestamp_micros() - sent).max(0);
            latencies.record(Duration::from_micros(micros.unsigned_abs()));
        }
        anyhow::Ok(latencies)
    });
    producer
        .send(
            FutureRecord::to(&topic).key("warm-up").payload("0"),
            Duration::from_secs(10),
        )
        .await
        .map_err(|(e, _)| e)?;
    tokio::time::timeout(Duration::from_secs(30), warmed).await??;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / HOP_RATE));
    for _ in 0..count {
        tick.tick().await;
        let key = Uuid::now_v7().to_string();
        let sent = Utc::now().timestamp_micros().to_string();
        producer
            .send(
                FutureRecord::to(&topic).key(&key).payload(&sent),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| e)?;
    }
    let latencies = tokio::time::timeout(Duration::from_secs(60), receiver).await???;
    Ok(latencies.summary())
}

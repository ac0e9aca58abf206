//! Reads a whole topic back for the audit: every partition from its low watermark up to its
//! high watermark, and says so when a partition could not be read that far (a silent short
//! read would hide lost events).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use messaging::KafkaSettings;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

/// One record as read back.
#[derive(Debug)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    /// The CloudEvent id (`ce_id` header).
    pub event_id: String,
    pub key: Option<String>,
}

const TIMEOUT: Duration = Duration::from_secs(10);
const READ_FOR_AT_MOST: Duration = Duration::from_secs(120);

pub async fn read(kafka: &KafkaSettings, topic: &str) -> anyhow::Result<Vec<Record>> {
    let (kafka, topic) = (kafka.clone(), topic.to_owned());
    tokio::task::spawn_blocking(move || read_blocking(&kafka, &topic)).await?
}

fn read_blocking(kafka: &KafkaSettings, topic: &str) -> anyhow::Result<Vec<Record>> {
    let consumer: BaseConsumer = kafka
        .client_config()
        .set(
            "group.id",
            format!("orderflow-chaos-audit-{}", uuid::Uuid::now_v7()),
        )
        .set("enable.auto.commit", "false")
        .create()?;
    let metadata = consumer.fetch_metadata(Some(topic), TIMEOUT)?;
    let mut ends: HashMap<i32, i64> = HashMap::new();
    let mut assignment = TopicPartitionList::new();
    for partition in metadata.topics().iter().flat_map(|t| t.partitions()) {
        let (low, high) = consumer.fetch_watermarks(topic, partition.id(), TIMEOUT)?;
        if high > low {
            assignment.add_partition_offset(topic, partition.id(), Offset::Offset(low))?;
            ends.insert(partition.id(), high);
        }
    }
    let mut records = Vec::new();
    if ends.is_empty() {
        return Ok(records);
    }
    consumer.assign(&assignment)?;
    let started = Instant::now();
    while !ends.is_empty() {
        if started.elapsed() > READ_FOR_AT_MOST {
            bail!("{topic}: partitions {ends:?} not read to their end in {READ_FOR_AT_MOST:?}");
        }
        let Some(message) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = message.with_context(|| format!("reading {topic}"))?;
        let event_id = message
            .headers()
            .and_then(|h| h.iter().find(|h| h.key == "ce_id").and_then(|h| h.value))
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        records.push(Record {
            key: message
                .key()
                .map(|k| String::from_utf8_lossy(k).into_owned()),
            partition: message.partition(),
            offset: message.offset(),
            event_id,
        });
        if ends
            .get(&message.partition())
            .is_some_and(|high| message.offset() + 1 >= *high)
        {
            ends.remove(&message.partition());
        }
    }
    Ok(records)
}

/// Writes `partition offset event_id` lines, in the order read.
pub fn dump(records: &[Record], path: &std::path::Path) -> std::io::Result<()> {
    let lines: String = records
        .iter()
        .map(|r| format!("{}\t{}\t{}\n", r.partition, r.offset, r.event_id))
        .collect();
    std::fs::write(path, lines)
}

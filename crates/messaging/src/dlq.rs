//! Dead letters: the `dlq-*` headers written with them, and the tools to list, show and
//! replay them back to their original topic.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use serde::Serialize;

use crate::KafkaSettings;

pub const ERROR: &str = "dlq-error";
pub const CONSUMER_GROUP: &str = "dlq-consumer-group";
pub const ATTEMPTS: &str = "dlq-attempts";
pub const ORIGINAL_TOPIC: &str = "dlq-original-topic";
pub const ORIGINAL_PARTITION: &str = "dlq-original-partition";
pub const ORIGINAL_OFFSET: &str = "dlq-original-offset";
pub const FAILED_AT: &str = "dlq-failed-at";

/// Why and where a message failed.
#[derive(Debug, Clone)]
pub struct Failure<'a> {
    pub error: &'a str,
    pub consumer_group: &'a str,
    pub attempts: u32,
}

/// The headers of a dead letter: the original ones (minus earlier `dlq-*`) and the `dlq-*` ones.
pub fn headers(original: &impl Message, failure: &Failure<'_>) -> OwnedHeaders {
    let mut headers = copy_without_dlq(original.headers());
    let now = chrono::Utc::now().to_rfc3339();
    let fields = [
        (ERROR, failure.error.to_owned()),
        (CONSUMER_GROUP, failure.consumer_group.to_owned()),
        (ATTEMPTS, failure.attempts.to_string()),
        (ORIGINAL_TOPIC, original.topic().to_owned()),
        (ORIGINAL_PARTITION, original.partition().to_string()),
        (ORIGINAL_OFFSET, original.offset().to_string()),
        (FAILED_AT, now),
    ];
    for (key, value) in &fields {
        headers = headers.insert(Header {
            key,
            value: Some(value.as_str()),
        });
    }
    headers
}

fn copy_without_dlq<H: Headers>(source: Option<&H>) -> OwnedHeaders {
    let mut headers = OwnedHeaders::new();
    for h in source.into_iter().flat_map(|h| h.iter()) {
        if !h.key.starts_with("dlq-") {
            headers = headers.insert(Header {
                key: h.key,
                value: h.value,
            });
        }
    }
    headers
}

/// One dead letter as the tools show it.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    /// Every header, values as text.
    pub headers: Vec<(String, String)>,
    /// The payload as text (CloudEvent data is JSON; other bytes are shown lossily).
    pub payload: Option<String>,
    /// The payload's exact bytes, which a replay sends.
    #[serde(skip)]
    pub payload_bytes: Option<Vec<u8>>,
}

impl DeadLetter {
    fn from_message(message: &impl Message) -> Self {
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        Self {
            topic: message.topic().to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            key: message.key().map(text),
            headers: message
                .headers()
                .into_iter()
                .flat_map(|h| h.iter())
                .map(|h| (h.key.to_owned(), h.value.map(text).unwrap_or_default()))
                .collect(),
            payload: message.payload().map(text),
            payload_bytes: message.payload().map(<[u8]>::to_vec),
        }
    }

    /// The value of header `key`.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn reader(settings: &KafkaSettings) -> KafkaResult<BaseConsumer> {
    settings
        .client_config()
        .set(
            "group.id",
            format!("orderflow-dlq-reader-{}", uuid::Uuid::now_v7()),
        )
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .create()
}

const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Up to `limit` dead letters of `topic` (a real `*.dlq` topic name), oldest first per partition.
pub async fn list(
    settings: &KafkaSettings,
    topic: &str,
    limit: usize,
) -> KafkaResult<Vec<DeadLetter>> {
    let (settings, topic) = (settings.clone(), topic.to_owned());
    tokio::task::spawn_blocking(move || {
        let consumer = reader(&settings)?;
        let metadata = consumer.fetch_metadata(Some(&topic), READ_TIMEOUT)?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        let mut letters = Vec::new();
        for partition in partitions {
            let (low, high) =
                crate::topics::watermarks(&consumer, &topic, partition, READ_TIMEOUT)?;
            if high <= low {
                continue;
            }
            let mut assignment = TopicPartitionList::new();
            assignment.add_partition_offset(&topic, partition, Offset::Offset(low))?;
            consumer.assign(&assignment)?;
            while letters.len() < limit {
                match consumer.poll(READ_TIMEOUT) {
                    Some(Ok(message)) => {
                        letters.push(DeadLetter::from_message(&message));
                        if message.offset() + 1 >= high {
                            break;
                        }
                    }
                    Some(Err(e)) => return Err(e),
                    None => break,
                }
            }
        }
        Ok(letters)
    })
    .await
    .map_err(|_| KafkaError::Canceled)?
}

/// The dead letter at `partition`/`offset` of `topic`, if there is one.
pub async fn show(
    settings: &KafkaSettings,
    topic: &str,
    partition: i32,
    offset: i64,
) -> KafkaResult<Option<DeadLetter>> {
    // No partition has a negative number; librdkafka reads -1 as "any partition".
    if partition < 0 {
        return Ok(None);
    }
    let (settings, topic) = (settings.clone(), topic.to_owned());
    tokio::task::spawn_blocking(move || {
        let consumer = reader(&settings)?;
        // A topic or partition that does not exist holds no dead letter: not found, not an
        // outage (asking the broker for its watermarks would fail as if Kafka were down).
        let metadata = consumer.fetch_metadata(Some(&topic), READ_TIMEOUT)?;
        let exists = metadata
            .topics()
            .iter()
            .any(|t| t.partitions().iter().any(|p| p.id() == partition));
        if !exists {
            return Ok(None);
        }
        let (low, high) = crate::topics::watermarks(&consumer, &topic, partition, READ_TIMEOUT)?;
        if offset < low || offset >= high {
            return Ok(None);
        }
        let mut assignment = TopicPartitionList::new();
        assignment.add_partition_offset(&topic, partition, Offset::Offset(offset))?;
        consumer.assign(&assignment)?;
        match consumer.poll(READ_TIMEOUT) {
            Some(Ok(message)) if message.offset() == offset => {
                Ok(Some(DeadLetter::from_message(&message)))
            }
            Some(Err(e)) => Err(e),
            _ => Ok(None),
        }
    })
    .await
    .map_err(|_| KafkaError::Canceled)?
}

/// Produces a dead letter back to its original topic, with its original key and headers, so
/// the consumers try it again (they skip it if it was in fact handled: the inbox remembers).
pub async fn replay(producer: &FutureProducer, letter: &DeadLetter) -> KafkaResult<String> {
    let original = letter
        .header(ORIGINAL_TOPIC)
        .ok_or(KafkaError::MessageProduction(
            RDKafkaErrorCode::InvalidRecord,
        ))?
        .to_owned();
    let mut headers = OwnedHeaders::new();
    for (key, value) in letter
        .headers
        .iter()
        .filter(|(k, _)| !k.starts_with("dlq-"))
    {
        headers = headers.insert(Header {
            key,
            value: Some(value.as_bytes()),
        });
    }
    let payload = letter.payload_bytes.as_deref().unwrap_or_default();
    let mut record = FutureRecord::to(&original)
        .payload(payload)
        .headers(headers);
    if let Some(key) = &letter.key {
        record = record.key(key.as_str());
    }
    producer
        .send(record, Duration::from_secs(30))
        .await
        .map_err(|(e, _)| e)?;
    Ok(original)
}

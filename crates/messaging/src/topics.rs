//! Topic names: logical (`orderflow.order.v1`, as stored in the outbox) and real (prefixed).

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::types::RDKafkaErrorCode;

use crate::KafkaSettings;

/// Maps logical topic names to the real ones of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    prefix: String,
}

impl Topics {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// The real name of a logical topic.
    pub fn name(&self, logical: &str) -> String {
        format!("{}{logical}", self.prefix)
    }

    /// The real name of a logical topic's dead-letter topic.
    pub fn dlq(&self, logical: &str) -> String {
        self.name(&events::topics::dlq(logical))
    }

    /// Every real topic: the event topics and their dead-letter topics.
    pub fn all(&self) -> Vec<String> {
        events::topics::ALL
            .iter()
            .flat_map(|t| [self.name(t), self.dlq(t)])
            .collect()
    }
}

/// Creates every topic of the system (existing ones are left as they are).
pub async fn ensure(settings: &KafkaSettings) -> KafkaResult<()> {
    create(settings, &Topics::new(&settings.topic_prefix).all()).await
}

/// Creates topics by real name with the partitions, replicas and `min.insync.replicas` of
/// `settings` (existing ones are left as they are), and returns once every partition of them
/// answers its leader's ListOffsets: CreateTopics returns before the brokers have settled the
/// new partitions' leaders, and a read in that moment fails with NotLeaderForPartition.
pub async fn create(settings: &KafkaSettings, names: &[String]) -> KafkaResult<()> {
    let admin: AdminClient<DefaultClientContext> = settings.client_config().create()?;
    let min_insync = settings.min_insync_replicas.to_string();
    let new_topics: Vec<NewTopic<'_>> = names
        .iter()
        .map(|name| {
            NewTopic::new(
                name,
                settings.partitions,
                TopicReplication::Fixed(settings.replication_factor),
            )
            .set("min.insync.replicas", &min_insync)
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    for result in admin.create_topics(&new_topics, &options).await? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                tracing::error!(topic, ?code, "topic creation failed");
                return Err(KafkaError::AdminOp(code));
            }
        }
    }
    let (settings, names) = (settings.clone(), names.to_vec());
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = settings.client_config().create()?;
        for name in &names {
            let metadata = consumer.fetch_metadata(Some(name), SETTLE_TIMEOUT)?;
            for topic in metadata.topics() {
                for partition in topic.partitions() {
                    watermarks(&consumer, name, partition.id(), SETTLE_TIMEOUT)?;
                }
            }
        }
        Ok(())
    })
    .await
    .map_err(|_| KafkaError::Canceled)?
}

const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// The low and high watermarks of a partition, asked again while its leadership is moving (a
/// new topic, a broker restarting) until `timeout` has passed.
pub(crate) fn watermarks(
    consumer: &BaseConsumer,
    topic: &str,
    partition: i32,
    timeout: Duration,
) -> KafkaResult<(i64, i64)> {
    let deadline = Instant::now() + timeout;
    loop {
        match consumer.fetch_watermarks(topic, partition, timeout) {
            Err(e) if leadership_moving(&e) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            answer => return answer,
        }
    }
}

fn leadership_moving(error: &KafkaError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::NotLeaderForPartition
                | RDKafkaErrorCode::LeaderNotAvailable
                | RDKafkaErrorCode::UnknownTopicOrPartition
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_names_carry_the_prefix_and_dead_letters_the_dlq_suffix() {
        let topics = Topics::new("test-1.");
        assert_eq!(
            topics.name("orderflow.order.v1"),
            "test-1.orderflow.order.v1"
        );
        assert_eq!(
            topics.dlq("orderflow.order.v1"),
            "test-1.orderflow.order.v1.dlq"
        );
        assert_eq!(topics.all().len(), 6);
    }
}

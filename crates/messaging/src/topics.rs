//! Topic names: logical (`orderflow.order.v1`, as stored in the outbox) and real (prefixed).

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaResult;
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
/// `settings` (existing ones are left as they are).
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
                return Err(rdkafka::error::KafkaError::AdminOp(code));
            }
        }
    }
    Ok(())
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

//! How a consumer runs.

use std::time::Duration;

use messaging::KafkaSettings;
use rdkafka::consumer::StreamConsumer;
use rdkafka::error::KafkaResult;

use crate::context::LagContext;

/// How a consumer runs.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// The consumer group (the service), also written in `dlq-consumer-group`.
    pub group: String,
    /// Logical topics to subscribe to.
    pub topics: Vec<&'static str>,
    /// Attempts at a failing event before it is dead-lettered (outages do not count).
    pub max_attempts: u32,
    /// Events handled at once, each of another key (`CONSUMER_CONCURRENCY`).
    pub concurrency: usize,
    /// First retry delay; doubles with each attempt, with jitter, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Inbox rows older than this are purged.
    pub inbox_retention: Duration,
    /// Static group membership (`group.instance.id`, KIP-345): a process that restarts under
    /// the same id takes its partitions back at once, instead of waiting for a rebalance
    /// after its old member's session expires. `None`: dynamic membership.
    pub instance_id: Option<String>,
    /// Without a heartbeat for this long the member is taken for dead (`session.timeout.ms`).
    pub session_timeout: Duration,
    /// Without a poll for this long the member leaves its group (`max.poll.interval.ms`):
    /// bounds how long one event may be handled. An outage is waited out with the partitions
    /// paused and the consumer polled, so it never counts here.
    pub max_poll_interval: Duration,
    /// How long a dead letter may go unacked through errors that pass (a broker away, too
    /// few in-sync replicas) before it is parked in the service's database instead; one the
    /// broker refuses for good is parked at once. Keep it well below `max_poll_interval`:
    /// while a dead letter waits, so do the later messages of its key, and a consumer that
    /// holds as many messages as it takes ahead stops polling. The services use 60 s.
    pub dead_letter_timeout: Duration,
}

impl ConsumerConfig {
    /// The librdkafka consumer of this group member. Offsets are stored by hand once an event
    /// is done with, and committed from the store every 500 ms.
    pub(super) fn client(
        &self,
        kafka: &KafkaSettings,
        context: LagContext,
    ) -> KafkaResult<StreamConsumer<LagContext>> {
        kafka
            .client_config()
            .set("statistics.interval.ms", "5000")
            .set("group.id", &self.group)
            .set("enable.auto.commit", "true")
            .set("auto.commit.interval.ms", "500")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            // Incremental rebalances: a member that joins or leaves moves only the partitions
            // that change hands; the others go on being consumed meanwhile (ADR 0007).
            .set("partition.assignment.strategy", "cooperative-sticky")
            .set("session.timeout.ms", millis(self.session_timeout))
            .set("max.poll.interval.ms", millis(self.max_poll_interval))
            .set_if("group.instance.id", self.instance_id.as_deref())
            .create_with_context(context)
    }
}

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}

/// Sets a property only when it has a value.
trait SetIf {
    fn set_if(&mut self, key: &str, value: Option<&str>) -> &mut Self;
}

impl SetIf for rdkafka::ClientConfig {
    fn set_if(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.set(key, value);
        }
        self
    }
}

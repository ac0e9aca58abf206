//! Waiting out a dependency outage without leaving the group: the partitions are paused, so
//! nothing more is fetched, while the run loop keeps polling the consumer, so
//! `max.poll.interval.ms` never ends the membership however long the outage lasts.

use rdkafka::TopicPartitionList;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::message::{Message, OwnedMessage};

use crate::context::LagContext;

type Kafka = StreamConsumer<LagContext>;

/// Pauses every assigned partition: a dependency outage stops them all, and librdkafka
/// fetches nothing for a paused partition. Its fetch position goes back to just after the
/// last message taken, so what had been fetched ahead comes again after the resume.
pub(crate) fn pause_assignment(kafka: &Kafka) {
    match kafka.assignment() {
        Ok(assignment) => {
            if let Err(e) = kafka.pause(&assignment) {
                tracing::warn!(error = %e, "cannot pause the partitions");
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the assignment to pause it"),
    }
}

pub(crate) fn resume(kafka: &Kafka) {
    let resumed = kafka
        .assignment()
        .and_then(|assignment| kafka.resume(&assignment));
    if let Err(e) = resumed {
        tracing::warn!(error = %e, "cannot resume the partitions");
    }
}

/// Pauses the partition `message` came from: during an outage, one assigned meanwhile.
pub(crate) fn pause_partition(kafka: &Kafka, message: &OwnedMessage) {
    let mut partition = TopicPartitionList::new();
    partition.add_partition(message.topic(), message.partition());
    if let Err(e) = kafka.pause(&partition) {
        tracing::warn!(error = %e, "cannot pause a partition");
    }
}

//! Waiting out a dependency outage without leaving the group: the partitions are paused, so
//! nothing more is fetched, and the consumer is polled, so `max.poll.interval.ms` never ends
//! the membership however long the outage lasts.

use std::collections::VecDeque;
use std::time::Duration;

use rdkafka::TopicPartitionList;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::message::{Message, OwnedMessage};
use tokio_util::sync::CancellationToken;

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

/// Sleeps `delay` while polling the consumer (`max.poll.interval.ms` counts from the last
/// poll). A message can only come from a partition assigned meanwhile: it is kept in `held`
/// to be handled after the outage, and its partition is paused too. `false`: shutdown came
/// first.
pub(crate) async fn wait_out(
    kafka: &Kafka,
    delay: Duration,
    held: &mut VecDeque<OwnedMessage>,
    shutdown: &CancellationToken,
) -> bool {
    let until = tokio::time::Instant::now() + delay;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return false,
            () = tokio::time::sleep_until(until) => return true,
            message = kafka.recv() => match message {
                Ok(message) => {
                    let message = message.detach();
                    let mut partition = TopicPartitionList::new();
                    partition.add_partition(message.topic(), message.partition());
                    if let Err(e) = kafka.pause(&partition) {
                        tracing::warn!(error = %e, "cannot pause a partition");
                    }
                    held.push_back(message);
                }
                Err(e) => tracing::debug!(error = %e, "kafka consumer error during an outage"),
            },
        }
    }
}

//! Parking: a dead letter the broker will not take is kept in the service's own database, so
//! that one undeliverable letter never stops its partition (nor, once the member stops
//! polling, its group).

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;

use super::{Consumer, Outcome};
use crate::Handler;
use crate::parked::{self, Parking};

/// Why the broker, or the producer checking as the broker would, refuses a dead letter for
/// good: no retry of the same bytes to the same topic can succeed before an operator changes
/// something. `None` for an error that passes (a broker away, a leader moving, too few
/// in-sync replicas, a timeout, a producer that hit a fatal error and was replaced).
pub(super) fn refused_for_good(error: &KafkaError) -> Option<&'static str> {
    use RDKafkaErrorCode::*;
    let KafkaError::MessageProduction(code) = error else {
        return None;
    };
    Some(match code {
        // The original plus its `dlq-*` headers is larger than the producer's
        // `message.max.bytes` (checked before sending) or the topic's or broker's limit; the
        // same bytes are as large next time.
        MessageSizeTooLarge | MessageBatchTooLarge => "too large",
        // The broker's own checks of the record (a compacted topic wants a key, say).
        InvalidRecord => "the broker finds the record invalid",
        // Not a legal topic name (`<topic>.dlq` longer than 249 characters): it can never exist.
        InvalidTopic => "not a legal topic name",
        // No WRITE on the topic (or IDEMPOTENT_WRITE on the cluster) for this principal.
        TopicAuthorizationFailed | ClusterAuthorizationFailed => "not authorized",
        // librdkafka says so only after `topic.metadata.propagation.max.ms` (30 s) without the
        // topic, so a topic just made is not mistaken for a missing one.
        UnknownTopic | UnknownTopicOrPartition => "no such topic",
        _ => return None,
    })
}

impl<H: Handler> Consumer<H> {
    /// Keeps `letter` in the database: done with, so its offset moves on. A database that
    /// refuses it too is an outage: the message waits with the others, and is tried again
    /// (handler first) once the outage is over.
    pub(super) async fn park(&self, letter: Parking<'_>) -> Outcome {
        let original = letter.original;
        match parked::park(&self.db, &letter).await {
            Ok(id) => {
                self.stats.dead_letters_parked();
                tracing::error!(
                    parked_id = id,
                    topic = original.topic(),
                    partition = original.partition(),
                    offset = original.offset(),
                    dead_letter_topic = letter.dead_letter_topic,
                    error = letter.error,
                    refusal = letter.refusal.as_str(),
                    refused_for_good = letter.refused_for_good,
                    "the broker would not take the dead letter; parked in the database"
                );
                Outcome::Done
            }
            Err(e) => {
                tracing::error!(
                    topic = original.topic(),
                    partition = original.partition(),
                    offset = original.offset(),
                    refusal = letter.refusal.as_str(),
                    error = %e,
                    "the broker would not take the dead letter, nor the database; waiting as for an outage"
                );
                Outcome::Unavailable
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn produce(code: RDKafkaErrorCode) -> KafkaError {
        KafkaError::MessageProduction(code)
    }

    #[test]
    fn a_letter_too_large_unauthorized_or_to_a_missing_topic_is_refused_for_good() {
        for code in [
            RDKafkaErrorCode::MessageSizeTooLarge,
            RDKafkaErrorCode::MessageBatchTooLarge,
            RDKafkaErrorCode::InvalidRecord,
            RDKafkaErrorCode::InvalidTopic,
            RDKafkaErrorCode::TopicAuthorizationFailed,
            RDKafkaErrorCode::UnknownTopic,
            RDKafkaErrorCode::UnknownTopicOrPartition,
        ] {
            assert!(refused_for_good(&produce(code)).is_some(), "{code:?}");
        }
    }

    #[test]
    fn a_broker_away_a_timeout_or_a_fatal_producer_error_passes() {
        for code in [
            RDKafkaErrorCode::MessageTimedOut,
            RDKafkaErrorCode::AllBrokersDown,
            RDKafkaErrorCode::NotEnoughReplicas,
            RDKafkaErrorCode::NotLeaderForPartition,
            RDKafkaErrorCode::QueueFull,
            RDKafkaErrorCode::Fatal,
        ] {
            assert_eq!(refused_for_good(&produce(code)), None, "{code:?}");
        }
        assert_eq!(refused_for_good(&KafkaError::Canceled), None);
    }
}

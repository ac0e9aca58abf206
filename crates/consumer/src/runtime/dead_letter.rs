//! Dead letters: the message, with why, to `<topic>.dlq`, before its offset moves on; or, when
//! the broker will not take it, to the service's database (`parking.rs`).

use messaging::dlq::{self, Failure};
use rdkafka::error::KafkaError;
use rdkafka::message::{Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::FutureRecord;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::parking::refused_for_good;
use super::{Consumer, Outcome};
use crate::Handler;
use crate::parked::Parking;
use crate::retry::sleep_or_shutdown;

impl<H: Handler> Consumer<H> {
    /// Produces the message to `<topic>.dlq` and waits for the ack. Errors that pass are tried
    /// again until `dead_letter_timeout` has gone by since the first send; past it, or at once
    /// when the broker refuses the dead letter for good, it is parked in the database instead.
    /// Either way the offset moves on only once the dead letter is safe somewhere, and its key
    /// waits on it for at most `dead_letter_timeout` (and the insert).
    pub(super) async fn dead_letter(
        &self,
        message: &OwnedMessage,
        error: &str,
        attempts: u32,
        shutdown: &CancellationToken,
    ) -> Outcome {
        let failure = Failure {
            error,
            consumer_group: &self.config.group,
            attempts,
        };
        let headers = dlq::headers(message, &failure);
        let topic = format!("{}.dlq", message.topic());
        let deadline = Instant::now() + self.config.dead_letter_timeout;
        let mut last_error = None;
        let mut tries = 0;
        loop {
            // A send still waiting at the deadline is given up on; the dead letter may yet be
            // delivered, which leaves it in the DLQ and parked: a duplicate, never a loss.
            let sent = tokio::select! {
                () = shutdown.cancelled() => return Outcome::Abandoned,
                sent = tokio::time::timeout_at(deadline, self.send(&topic, message, &headers)) => sent,
            };
            match sent {
                Ok(Ok(())) => {
                    self.stats.dead_lettered();
                    tracing::error!(
                        topic = message.topic(),
                        partition = message.partition(),
                        offset = message.offset(),
                        error,
                        "message dead-lettered"
                    );
                    return Outcome::Done;
                }
                Ok(Err(e)) => {
                    // A producer that hit a fatal error fails every later send: replaced.
                    self.producer.recover();
                    if let Some(why) = refused_for_good(&e) {
                        let refusal = format!("{why}: {e}");
                        return self
                            .park(parking(message, &topic, &headers, &failure, refusal, true))
                            .await;
                    }
                    tracing::warn!(error = %e, "dead letter not acked; retrying");
                    last_error = Some(e);
                }
                Err(_elapsed) => {}
            }
            tries += 1;
            let backoff = self.backoff(tries);
            if Instant::now() + backoff >= deadline {
                let refusal = format!(
                    "not acked within {:?}; last error: {}",
                    self.config.dead_letter_timeout,
                    last_error.map_or_else(
                        || "none, the send was still waiting".to_owned(),
                        |e| e.to_string()
                    ),
                );
                return self
                    .park(parking(message, &topic, &headers, &failure, refusal, false))
                    .await;
            }
            if !sleep_or_shutdown(backoff, shutdown).await {
                return Outcome::Abandoned;
            }
        }
    }

    /// One send of the dead letter, until its ack or its error.
    async fn send(
        &self,
        topic: &str,
        message: &OwnedMessage,
        headers: &OwnedHeaders,
    ) -> Result<(), KafkaError> {
        let mut record: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(topic).headers(headers.clone());
        if let Some(payload) = message.payload() {
            record = record.payload(payload);
        }
        if let Some(key) = message.key() {
            record = record.key(key);
        }
        let producer = self.producer.current();
        producer
            .send(record, std::time::Duration::from_secs(30))
            .await
            .map(drop)
            .map_err(|(e, _)| e)
    }
}

/// The dead letter as it is parked, with what the broker answered.
fn parking<'a>(
    original: &'a OwnedMessage,
    dead_letter_topic: &'a str,
    headers: &'a OwnedHeaders,
    failure: &Failure<'a>,
    refusal: String,
    refused_for_good: bool,
) -> Parking<'a> {
    Parking {
        group: failure.consumer_group,
        original,
        dead_letter_topic,
        headers,
        error: failure.error,
        attempts: failure.attempts,
        refusal,
        refused_for_good,
    }
}

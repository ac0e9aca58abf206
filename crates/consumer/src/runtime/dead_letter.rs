//! Dead letters: the message, with why, to `<topic>.dlq`, before its offset moves on.

use std::time::Duration;

use messaging::dlq::{self, Failure};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::producer::FutureRecord;
use tokio_util::sync::CancellationToken;

use super::{Consumer, Outcome};
use crate::Handler;
use crate::retry::sleep_or_shutdown;

impl<H: Handler> Consumer<H> {
    /// Produces the message to `<topic>.dlq` and waits for the ack, retrying without limit
    /// (the offset must not move on before the dead letter is safe).
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
        let mut tries = 0;
        loop {
            let mut record: FutureRecord<'_, [u8], [u8]> =
                FutureRecord::to(&topic).headers(headers.clone());
            if let Some(payload) = message.payload() {
                record = record.payload(payload);
            }
            if let Some(key) = message.key() {
                record = record.key(key);
            }
            let producer = self.producer.current();
            match producer.send(record, Duration::from_secs(30)).await {
                Ok(_) => {
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
                Err((e, _)) => {
                    tries += 1;
                    tracing::warn!(error = %e, "dead letter not acked; retrying");
                    self.producer.recover();
                    if !sleep_or_shutdown(self.backoff(tries), shutdown).await {
                        return Outcome::Abandoned;
                    }
                }
            }
        }
    }
}

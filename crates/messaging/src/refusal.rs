//! What a first contact with the brokers says of the `KAFKA_*` settings: whether they refuse
//! this process for good (a certificate that does not verify, SASL credentials they reject),
//! as opposed to being down or slow, which a service rides out.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, DeliveryResult, Producer, ProducerContext};

use crate::KafkaSettings;

/// What librdkafka reported: the first refusal, and how many connections failed.
#[derive(Default)]
struct Reports(Mutex<(Option<(RDKafkaErrorCode, String)>, u32)>);

impl ClientContext for Reports {
    fn error(&self, error: KafkaError, reason: &str) {
        let mut reports = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match error.rdkafka_error_code() {
            Some(code @ (RDKafkaErrorCode::SSL | RDKafkaErrorCode::Authentication)) => {
                reports.0.get_or_insert_with(|| (code, reason.to_owned()));
            }
            Some(RDKafkaErrorCode::BrokerTransportFailure | RDKafkaErrorCode::AllBrokersDown) => {
                reports.1 += 1;
            }
            _ => {}
        }
    }
}

/// Nothing is sent: the producer is only a client whose main queue `poll` serves.
impl ProducerContext for Reports {
    type DeliveryOpaque = ();
    fn delivery(&self, _: &DeliveryResult<'_>, _: ()) {}
}

/// `Err((setting, why))` when the brokers refuse these settings for good. Brokers that are
/// down or unreachable, or do not answer within `within`, are not a settings error: `Ok`, and the service
/// starts and rides the outage out. librdkafka never shows the SASL password in what it
/// reports, so `why` holds no secret.
pub async fn refused_for_good(
    settings: &KafkaSettings,
    within: Duration,
) -> Result<(), (&'static str, String)> {
    if settings.security_protocol == "plaintext" {
        // Nothing to verify and no one to authenticate: plaintext can only be down.
        return Ok(());
    }
    let config = settings.client_config();
    let mechanism = settings.sasl_mechanism.clone();
    let check = tokio::task::spawn_blocking(move || {
        let producer: BaseProducer<Reports> = match config.create_with_context(Reports::default()) {
            Ok(producer) => producer,
            Err(e) => return Err(("KAFKA_BROKERS", format!("not usable: {e}"))),
        };
        let started = Instant::now();
        while started.elapsed() < within {
            let wait = within
                .saturating_sub(started.elapsed())
                .min(Duration::from_millis(250));
            if producer.client().fetch_metadata(None, wait).is_ok() {
                return Ok(());
            }
            // Errors reach the context from the client's main queue, which polling serves (an
            // event at a time, until the deadline).
            producer.poll(Duration::from_millis(50));
            // A refused handshake is reported as such first; failures with none before it are
            // brokers that are down or unreachable.
            let (refusal, failures) = {
                let reports = producer
                    .context()
                    .0
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                (reports.0.clone(), reports.1)
            };
            match refusal {
                Some((RDKafkaErrorCode::SSL, why)) => {
                    return Err((
                        "KAFKA_SSL_CA_FILE",
                        format!(
                            "TLS to the brokers failed (check KAFKA_SSL_CA_FILE and the brokers' \
                             names in KAFKA_BROKERS): {why}"
                        ),
                    ));
                }
                Some((_, why)) => {
                    return Err((
                        "KAFKA_SASL_PASSWORD",
                        format!(
                            "the brokers refused KAFKA_SASL_USERNAME with KAFKA_SASL_PASSWORD \
                             ({mechanism}): {why}"
                        ),
                    ));
                }
                None if failures >= 2 => return Ok(()),
                None => {}
            }
        }
        Ok(())
    });
    check.await.unwrap_or(Ok(()))
}

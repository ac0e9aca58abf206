//! The one producer configuration: idempotent, `acks=all`, gapless, with a bounded queue.

use rdkafka::error::KafkaResult;
use rdkafka::producer::FutureProducer;

use crate::KafkaSettings;

/// An idempotent producer: no duplicates or reordering from its own retries, and a gap in a
/// partition's sequence is a fatal error instead of a silent loss.
pub fn idempotent(settings: &KafkaSettings) -> KafkaResult<FutureProducer> {
    settings
        .client_config()
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("enable.gapless.guarantee", "true")
        .set("queue.buffering.max.kbytes", "65536")
        .set("linger.ms", "2")
        .set("message.timeout.ms", "30000")
        .create()
}

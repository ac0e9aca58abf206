//! The producer configurations: idempotent, `acks=all`, gapless, with a bounded queue.

use rdkafka::ClientConfig;
use rdkafka::error::KafkaResult;
use rdkafka::producer::FutureProducer;

use crate::KafkaSettings;

/// An idempotent producer: no duplicates or reordering from its own retries, and a gap in a
/// partition's sequence is a fatal error instead of a silent loss. A message not acked within
/// 30 s fails (dead letters, replays: one message at a time).
pub fn idempotent(settings: &KafkaSettings) -> KafkaResult<FutureProducer> {
    base(settings).set("message.timeout.ms", "30000").create()
}

/// The consumers' dead-letter producer: as [`idempotent`], but it never asks the broker to
/// create a missing topic. A `<topic>.dlq` made on the fly would have the broker's defaults
/// (partitions, replicas, retention), and the deployed brokers refuse to make one anyway
/// (`auto.create.topics.enable=false`): a missing dead-letter topic is reported as such, on
/// every broker, once librdkafka has waited `topic.metadata.propagation.max.ms` (30 s) for
/// one just made.
pub fn for_dead_letters(settings: &KafkaSettings) -> KafkaResult<FutureProducer> {
    base(settings)
        .set("message.timeout.ms", "30000")
        .set("allow.auto.create.topics", "false")
        .create()
}

/// The outbox relay's producer: as [`idempotent`], but it never gives a message up by itself
/// (`message.timeout.ms` 0). `enable.gapless.guarantee` does not cover a message that times
/// out locally while a later one of its partition is acked, which would put an aggregate's
/// later event first; the relay bounds its wait for acks instead, and replaces the producer
/// past it.
pub fn for_relay(settings: &KafkaSettings) -> KafkaResult<FutureProducer> {
    base(settings).set("message.timeout.ms", "0").create()
}

fn base(settings: &KafkaSettings) -> ClientConfig {
    let mut config = settings.client_config();
    config
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("enable.gapless.guarantee", "true")
        .set("queue.buffering.max.kbytes", "65536")
        .set("linger.ms", "2");
    config
}

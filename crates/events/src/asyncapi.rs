//! The AsyncAPI 3 document of every topic, generated from the event structs, so the two can
//! never disagree. `orderflowctl asyncapi` writes it to `docs/asyncapi.json`; a test checks
//! the committed file is what the code generates.

use serde_json::{Map, Value, json};

use crate::{EventSpec, catalog, topics};

/// Names the message of an event type: `dev.orderflow.order.placed.v1` → `OrderPlacedV1`.
fn message_name(event_type: &str) -> String {
    event_type
        .trim_start_matches("dev.orderflow.")
        .split('.')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn channel_name(topic: &str) -> String {
    topic.replace('.', "_")
}

/// CloudEvents binary-mode headers every message carries.
fn headers(spec: &EventSpec) -> Value {
    json!({
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_partitionkey", "ce_sequence", "content-type"],
        "properties": {
            "ce_specversion": { "const": "1.0" },
            "ce_id": { "type": "string", "description": "UUIDv7 of the outbox row" },
            "ce_source": { "const": spec.source },
            "ce_type": { "const": spec.event_type },
            "ce_subject": { "type": "string", "description": "The aggregate id (the payment id for payment events)" },
            "ce_time": { "type": "string", "format": "date-time", "description": "Creation time of the outbox row (database clock)" },
            "ce_partitionkey": { "type": "string", "description": "The Kafka key: the aggregate id (the order id for payment events)" },
            "ce_sequence": { "type": "string", "description": "Per-aggregate, gapless sequence number" },
            "ce_traceparent": { "type": "string", "description": "W3C trace context (CloudEvents distributed tracing)" },
            "ce_tracestate": { "type": "string" },
            "content-type": { "const": "application/json" }
        }
    })
}

/// The document.
pub fn document() -> Value {
    let specs = catalog();
    let mut channels = Map::new();
    let mut messages = Map::new();
    let mut schemas = Map::new();
    let mut operations = Map::new();
    for topic in [topics::CHECKOUT, topics::ORDER, topics::PAYMENT] {
        let mut channel_messages = Map::new();
        for spec in specs.iter().filter(|s| s.topic == topic) {
            let name = message_name(spec.event_type);
            channel_messages.insert(
                name.clone(),
                json!({ "$ref": format!("#/components/messages/{name}") }),
            );
            schemas.insert(name.clone(), spec.schema.clone());
            messages.insert(
                name.clone(),
                json!({
                    "name": spec.event_type,
                    "title": spec.event_type,
                    "contentType": "application/json",
                    "headers": headers(spec),
                    "payload": { "$ref": format!("#/components/schemas/{name}") },
                    "bindings": { "kafka": { "key": { "type": "string", "format": "uuid" } } },
                }),
            );
        }
        let channel = channel_name(topic);
        let senders: Vec<&str> = specs
            .iter()
            .filter(|s| s.topic == topic)
            .map(|s| s.source)
            .collect();
        channels.insert(channel.clone(), json!({
            "address": topic,
            "description": format!("Events published by {}; KAFKA_TOPIC_PREFIX is prepended.", senders.first().copied().unwrap_or_default()),
            "messages": channel_messages,
        }));
        channels.insert(format!("{channel}_dlq"), json!({
            "address": topics::dlq(topic),
            "description": "Dead letters: the original record with dlq-error, dlq-consumer-group, dlq-attempts, dlq-original-topic, dlq-original-partition, dlq-original-offset and dlq-failed-at headers.",
            "messages": {},
        }));
        operations.insert(
            format!("publish_{channel}"),
            json!({
                "action": "send",
                "channel": { "$ref": format!("#/channels/{channel}") },
            }),
        );
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "orderflow events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 in Kafka binary mode. Types are versioned by major (`.v1`); additive changes keep it."
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": { "messages": messages, "schemas": schemas },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_come_from_event_types() {
        assert_eq!(
            message_name("dev.orderflow.order.placed.v1"),
            "OrderPlacedV1"
        );
    }

    #[test]
    fn every_event_has_a_message_on_its_topic_and_a_schema() {
        let doc = document();
        for spec in catalog() {
            let name = message_name(spec.event_type);
            let channel = &doc["channels"][channel_name(spec.topic)];
            assert!(
                channel["messages"][&name].is_object(),
                "{name} missing from {}",
                spec.topic
            );
            assert!(
                doc["components"]["schemas"][&name]["properties"].is_object(),
                "{name} has no schema"
            );
        }
    }

    #[test]
    fn the_committed_document_is_the_one_the_code_generates() {
        let committed: Value = serde_json::from_str(include_str!("../../../docs/asyncapi.json"))
            .expect("docs/asyncapi.json is JSON");
        assert!(
            committed == document(),
            "docs/asyncapi.json is stale: run `cargo run -q -p orderflowctl -- asyncapi > docs/asyncapi.json`"
        );
    }
}

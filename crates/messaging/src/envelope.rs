//! CloudEvents on Kafka in binary mode: `ce_*` headers, `content-type: application/json`,
//! the event data as the payload, the aggregate id as the key.

use cloudevents::binding::rdkafka::{MessageExt, MessageRecord};
use cloudevents::{AttributesReader, Data, Event};
use rdkafka::Message;
use rdkafka::message::Headers;

/// Why a received record can never be handled, however often it is retried: it goes to the
/// dead-letter topic at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Poison {
    #[error("undecodable record: {0}")]
    Undecodable(String),
    #[error("missing CloudEvents attribute `{0}`")]
    MissingAttribute(&'static str),
    #[error("data does not match the schema of {event_type}: {reason}")]
    InvalidData { event_type: String, reason: String },
    #[error("unknown major version of {0}")]
    UnknownVersion(String),
}

/// Headers a binary-mode CloudEvent must carry.
const REQUIRED: [(&str, &str); 4] = [
    ("ce_specversion", "specversion"),
    ("ce_id", "id"),
    ("ce_source", "source"),
    ("ce_type", "type"),
];

/// Encodes `event` as a Kafka record in binary mode.
pub fn encode(event: Event) -> Result<MessageRecord, cloudevents::message::Error> {
    MessageRecord::from_event(event)
}

/// Decodes a received record into a CloudEvent, refusing anything not well-formed.
pub fn decode<M: Message + MessageExt>(message: &M) -> Result<Event, Poison> {
    let headers = message
        .headers()
        .ok_or(Poison::MissingAttribute("specversion"))?;
    if let Some(bad) = headers.iter().find(|h| h.value.is_none()) {
        return Err(Poison::Undecodable(format!(
            "header `{}` has no value",
            bad.key
        )));
    }
    for (header, attribute) in REQUIRED {
        if !headers.iter().any(|h| h.key == header) {
            return Err(Poison::MissingAttribute(attribute));
        }
    }
    message
        .to_event()
        .map_err(|e| Poison::Undecodable(e.to_string()))
}

/// The event's data as JSON.
pub fn data_json(event: &Event) -> Result<serde_json::Value, Poison> {
    let invalid = |reason: String| Poison::InvalidData {
        event_type: event.ty().to_owned(),
        reason,
    };
    match event.data() {
        Some(Data::Json(value)) => Ok(value.clone()),
        Some(Data::Binary(bytes)) => {
            serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))
        }
        Some(Data::String(text)) => serde_json::from_str(text).map_err(|e| invalid(e.to_string())),
        None => Err(invalid("no data".to_owned())),
    }
}

/// Splits `dev.orderflow.order.placed.v1` into (`dev.orderflow.order.placed`, 1). Only a
/// canonical version counts: `v01` or `v+1` is not version 1 (`u32::from_str` would say so).
pub fn split_type(event_type: &str) -> Option<(&str, u32)> {
    let (name, version) = event_type.rsplit_once(".v")?;
    let canonical = version.bytes().all(|b| b.is_ascii_digit())
        && !(version.len() > 1 && version.starts_with('0'));
    if !canonical {
        return None;
    }
    Some((name, version.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_type_splits_into_its_name_and_major_version() {
        assert_eq!(
            split_type("dev.orderflow.order.placed.v1"),
            Some(("dev.orderflow.order.placed", 1))
        );
        assert_eq!(
            split_type("dev.orderflow.order.placed.v12"),
            Some(("dev.orderflow.order.placed", 12))
        );
        assert_eq!(split_type("dev.orderflow.order.placed"), None);
        assert_eq!(split_type("dev.orderflow.order.placed.vX"), None);
    }

    #[test]
    fn only_a_canonical_version_counts() {
        // Found while writing tests/decode_properties.rs: `u32::from_str` reads these as 1.
        for raw in ["a.v01", "a.v+1", "a.v 1", "a.v"] {
            assert_eq!(split_type(raw), None, "{raw}");
        }
        assert_eq!(split_type("a.v0"), Some(("a", 0)));
    }
}

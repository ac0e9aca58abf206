use cloudevents::{AttributesReader, Event};
use messaging::envelope::{self, Poison};
use serde::de::DeserializeOwned;

use crate::HandlerError;

/// A received event, checked, as handlers see it.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub id: String,
    pub event_type: String,
    pub source: String,
    pub subject: Option<String>,
    /// The per-aggregate `sequence` extension, when present.
    pub sequence: Option<i64>,
    /// The W3C trace context and baggage it carries (CloudEvents extensions).
    pub trace: telemetry::propagation::TraceContext,
    /// Set when the event is published in several major versions side by side: the id they
    /// share (docs/adr/0008-event-versions.md).
    pub twin: Option<String>,
    pub data: serde_json::Value,
}

impl Envelope {
    pub fn from_event(event: &Event) -> Result<Self, Poison> {
        let extension = |name: &str| event.extension(name).map(ToString::to_string);
        Ok(Self {
            id: event.id().to_owned(),
            event_type: event.ty().to_owned(),
            source: event.source().to_string(),
            subject: event.subject().map(str::to_owned),
            sequence: extension("sequence").and_then(|s| s.parse().ok()),
            trace: telemetry::propagation::TraceContext {
                traceparent: extension("traceparent"),
                tracestate: extension("tracestate"),
                baggage: extension("baggage"),
            },
            twin: extension("twin"),
            data: envelope::data_json(event)?,
        })
    }

    /// What the inbox remembers the event by: the id its versions share, if it has several,
    /// so that whichever of them comes first is the one applied.
    pub fn inbox_key(&self) -> &str {
        self.twin.as_deref().unwrap_or(&self.id)
    }

    /// The data as `T`; data that does not fit is poison.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, HandlerError> {
        serde_json::from_value(self.data.clone()).map_err(|e| {
            HandlerError::Poison(Poison::InvalidData {
                event_type: self.event_type.clone(),
                reason: e.to_string(),
            })
        })
    }
}

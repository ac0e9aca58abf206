//! W3C Trace Context and W3C Baggage in and out of the current `tracing` span.

use std::collections::HashMap;

use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::TraceContextExt;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// What a request or an event carries on to what it causes: W3C `traceparent`, `tracestate`
/// and `baggage`, in their header forms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceContext {
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
    pub baggage: Option<String>,
}

impl TraceContext {
    /// The trace id of `traceparent` (32 lowercase hex digits), when it carries a valid one.
    pub fn trace_id(&self) -> Option<&str> {
        let id = self.traceparent.as_deref()?.split('-').nth(1)?;
        let valid = id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && id.bytes().any(|b| b != b'0');
        valid.then_some(id)
    }

    /// The context of the current span: what an event written now carries (`traceparent` is
    /// `None` only when no trace is recorded).
    pub fn current() -> Self {
        let context = Span::current().context();
        let mut carrier = HashMap::new();
        opentelemetry::global::get_text_map_propagator(|p| {
            p.inject_context(&context, &mut carrier);
        });
        let mut take = |name: &str| carrier.remove(name).filter(|s| !s.is_empty());
        Self {
            traceparent: take("traceparent"),
            tracestate: take("tracestate"),
            baggage: take("baggage"),
        }
    }
}

/// Continues the trace and the baggage `carried` in `span`, and records the span's `trace_id`,
/// `span_id` and `baggage` fields (declared `Empty` by the caller) for the spans and the logs.
/// Baggage beyond the specification's limits (64 entries, 8192 bytes) or malformed is dropped.
pub fn continue_trace(span: &Span, carried: &TraceContext) {
    let mut carrier = HashMap::new();
    for (name, value) in [
        ("traceparent", &carried.traceparent),
        ("tracestate", &carried.tracestate),
        ("baggage", &carried.baggage),
    ] {
        if let Some(value) = value {
            carrier.insert(name.to_owned(), value.clone());
        }
    }
    if !carrier.is_empty() {
        let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
        if parent.span().span_context().is_valid() || !parent.baggage().is_empty() {
            let _ = span.set_parent(parent);
        }
    }
    record_ids(span);
}

/// Records `trace_id`, `span_id` and `baggage` on `span` (no-op for what it lacks).
pub fn record_ids(span: &Span) {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    if span_context.is_valid() {
        span.record("trace_id", tracing::field::display(span_context.trace_id()));
        span.record("span_id", tracing::field::display(span_context.span_id()));
    }
    let baggage = context.baggage();
    if !baggage.is_empty() {
        let mut entries: Vec<String> = baggage
            .iter()
            .map(|(key, (value, _))| format!("{key}={value}"))
            .collect();
        entries.sort();
        span.record("baggage", entries.join(","));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_valid_traceparent_names_a_trace_id() {
        let context = |traceparent: &str| TraceContext {
            traceparent: Some(traceparent.to_owned()),
            ..TraceContext::default()
        };
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(
            context(&format!("00-{id}-00f067aa0ba902b7-01")).trace_id(),
            Some(id)
        );
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f35-00f067aa0ba902b7-01",
            "garbage",
        ] {
            assert_eq!(context(bad).trace_id(), None, "{bad}");
        }
        assert_eq!(TraceContext::default().trace_id(), None);
    }

    #[test]
    fn baggage_beyond_the_specifications_limits_is_cut_and_the_trace_kept() {
        crate::set_propagator();
        let entries: Vec<String> = (0..100).map(|i| format!("k{i}=v{i}")).collect();
        let carrier = HashMap::from([
            ("baggage".to_owned(), entries.join(",")),
            (
                "traceparent".to_owned(),
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
            ),
        ]);
        let context = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
        assert_eq!(context.baggage().len(), 64, "at most 64 entries");
        assert!(context.span().span_context().is_valid());
        let huge = HashMap::from([("baggage".to_owned(), format!("big={}", "x".repeat(9000)))]);
        let context = opentelemetry::global::get_text_map_propagator(|p| p.extract(&huge));
        assert!(
            context.baggage().is_empty(),
            "an entry over 8192 bytes is dropped"
        );
    }
}

//! W3C Trace Context in and out of the current `tracing` span.

use std::collections::HashMap;

use opentelemetry::trace::TraceContextExt;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// `traceparent` and `tracestate` of the current span (`None` when no trace is recorded).
pub fn current() -> (Option<String>, Option<String>) {
    let context = Span::current().context();
    let mut carrier = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&context, &mut carrier));
    (
        carrier.remove("traceparent"),
        carrier.remove("tracestate").filter(|s| !s.is_empty()),
    )
}

/// Continues the trace of `traceparent`/`tracestate` in `span`, and records the span's
/// `trace_id` and `span_id` fields (declared `Empty` by the caller) for the logs.
pub fn continue_trace(span: &Span, traceparent: Option<&str>, tracestate: Option<&str>) {
    if let Some(traceparent) = traceparent {
        let mut carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
        if let Some(tracestate) = tracestate {
            carrier.insert("tracestate".to_owned(), tracestate.to_owned());
        }
        let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
        if parent.span().span_context().is_valid() {
            let _ = span.set_parent(parent);
        }
    }
    record_ids(span);
}

/// Records `trace_id` and `span_id` on `span` (no-op when tracing is off).
pub fn record_ids(span: &Span) {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    if span_context.is_valid() {
        span.record("trace_id", tracing::field::display(span_context.trace_id()));
        span.record("span_id", tracing::field::display(span_context.span_id()));
    }
}

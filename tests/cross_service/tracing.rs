//! One checkout is one trace: across HTTP, the relay, Kafka and the consumers of both services,
//! and in the log lines of every step.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::trace::SpanId;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use orderflow_tests::System;
use serde_json::Value;

/// Log lines, captured.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

#[tokio::test]
async fn one_checkout_is_one_trace_across_both_services_the_relay_and_the_consumers() {
    let exporter = InMemorySpanExporter::default();
    let logs = Logs::default();
    let _telemetry = telemetry::init_capturing("orderflow-tests", exporter.clone(), logs.clone());
    let system = System::start().await;

    let (_, checkout_id) = system.submit_checkout("alice", "tok_visa").await;
    let view = system
        .wait_final("alice", &checkout_id, Duration::from_secs(30))
        .await;
    assert_eq!(view["status"], "COMPLETED");
    tokio::time::sleep(Duration::from_millis(300)).await; // the last spans end after the commit

    let spans = exporter.get_finished_spans().expect("spans");
    let submit = spans
        .iter()
        .find(|s| s.name == "POST /v1/checkouts")
        .expect("the checkout request span");
    let trace = submit.span_context.trace_id();
    let of_trace: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.span_context.trace_id() == trace)
        .collect();
    let topic_spans = |topic: &str, kind: &str| -> Vec<&SpanData> {
        of_trace
            .iter()
            .copied()
            .filter(|s| {
                s.name.ends_with(kind)
                    && attribute(s, "messaging.destination.name")
                        .is_some_and(|t| t.ends_with(topic))
            })
            .collect()
    };

    // The relay's publish and order-service's processing of checkout.submitted are children of
    // the request span that wrote the event.
    let published = topic_spans(events::topics::CHECKOUT, "publish");
    let processed = topic_spans(events::topics::CHECKOUT, "process");
    assert_eq!(
        published.len(),
        1,
        "the relay's produce span is in the trace"
    );
    assert_eq!(
        processed.len(),
        1,
        "order-service's process span is in the trace"
    );
    assert_eq!(published[0].parent_span_id, submit.span_context.span_id());
    assert_eq!(processed[0].parent_span_id, submit.span_context.span_id());
    assert_eq!(
        attribute(processed[0], "messaging.system").as_deref(),
        Some("kafka")
    );
    // ...and the saga goes on in the same trace, through checkout-service and back.
    let order_events = topic_spans(events::topics::ORDER, "process");
    assert!(
        order_events.len() >= 2,
        "checkout-service processed order.placed and order.confirmed in this trace"
    );
    assert_eq!(
        topic_spans(events::topics::PAYMENT, "process").len(),
        1,
        "order-service processed payment.authorized in this trace"
    );
    for span in order_events {
        assert_ne!(
            span.parent_span_id,
            SpanId::INVALID,
            "a process span continues its event's trace"
        );
    }

    // A log line of each step carries the trace id.
    let trace_hex = trace.to_string();
    let text = String::from_utf8(logs.0.lock().expect("lock").clone()).expect("utf-8");
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    for message in orderflow_tests::SAGA_STEP_LOG_LINES {
        let line = lines
            .iter()
            .find(|l| l["message"] == message)
            .unwrap_or_else(|| panic!("no `{message}` log line"));
        assert_eq!(
            line["span"]["trace_id"],
            trace_hex.as_str(),
            "`{message}` carries the trace id: {line}"
        );
    }
}

//! With span export off (no `OTEL_EXPORTER_OTLP_ENDPOINT`), the W3C trace context is still
//! made, continued and passed on: a consumer of another team must be able to continue the
//! trace of any event, whoever exports spans.

use std::time::Duration;

use orderflow_tests::System;

/// `00-<trace id>-<span id>-<flags>`, lower-case hex, neither id all zeros.
fn trace_id_of(traceparent: &str) -> Option<&str> {
    let parts: Vec<&str> = traceparent.split('-').collect();
    let hex = |s: &str, len: usize| {
        s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    let valid = parts.len() == 4
        && parts[0] == "00"
        && hex(parts[1], 32)
        && hex(parts[2], 16)
        && hex(parts[3], 2)
        && parts[1].bytes().any(|b| b != b'0')
        && parts[2].bytes().any(|b| b != b'0');
    valid.then(|| parts[1])
}

/// The type and the trace id of every event on every topic of `system`; fails on an event
/// without a valid `traceparent`.
async fn event_traces(system: &System) -> Vec<(String, String)> {
    let mut traces = Vec::new();
    for topic in events::topics::ALL {
        let records = system.records(topic).await;
        assert!(!records.is_empty(), "no event on {topic}");
        for record in records {
            let header = |name: &str| {
                record
                    .headers
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, value)| value.clone())
            };
            let (event_type, traceparent) = (header("ce_type"), header("ce_traceparent"));
            let trace = traceparent.as_deref().and_then(trace_id_of);
            assert!(
                trace.is_some(),
                "{event_type:?} on {topic} has no valid traceparent: {traceparent:?}"
            );
            traces.push((
                event_type.unwrap_or_default(),
                trace.unwrap_or_default().to_owned(),
            ));
        }
    }
    traces
}

#[tokio::test]
async fn with_export_off_every_event_of_a_checkout_carries_its_one_trace() {
    let _telemetry = telemetry::init(
        &telemetry::OtelSettings::local("orderflow-tests"),
        telemetry::LogFormat::Json,
    );
    let system = System::start().await;

    let (_, checkout_id) = system.submit_checkout("alice", "tok_visa").await;
    let view = system
        .wait_final("alice", &checkout_id, Duration::from_secs(30))
        .await;
    assert_eq!(view["status"], "COMPLETED");

    let traces = event_traces(&system).await;
    let first = traces[0].1.clone();
    assert!(
        traces.iter().all(|(_, trace)| *trace == first),
        "one checkout is one trace: {traces:#?}"
    );
}

#[tokio::test]
async fn with_export_off_the_callers_trace_goes_on_in_every_event_of_its_checkout() {
    let _telemetry = telemetry::init(
        &telemetry::OtelSettings::local("orderflow-tests"),
        telemetry::LogFormat::Json,
    );
    let system = System::start().await;
    let caller = "4bf92f3577b34da6a3ce929d0e0e4736";

    let traceparent = format!("00-{caller}-00f067aa0ba902b7-01");
    let (_, checkout_id) = system
        .submit_checkout_with("alice", "tok_visa", &[("traceparent", &traceparent)])
        .await;
    let view = system
        .wait_final("alice", &checkout_id, Duration::from_secs(30))
        .await;
    assert_eq!(view["status"], "COMPLETED");

    let traces = event_traces(&system).await;
    assert!(
        traces.iter().all(|(_, trace)| trace == caller),
        "every event continues the caller's trace: {traces:#?}"
    );
    // The order names the trace, for an operator to open it from the console.
    let order_id = view["order_id"].as_str().expect("order id");
    let (_, order) = system
        .get_json(&system.order(&format!("/v1/orders/{order_id}")), "alice")
        .await;
    assert_eq!(order["trace_id"], caller, "{order}");
}

#[test]
fn only_a_well_formed_traceparent_names_a_trace() {
    let id = "4bf92f3577b34da6a3ce929d0e0e4736";
    assert_eq!(
        trace_id_of(&format!("00-{id}-00f067aa0ba902b7-01")),
        Some(id)
    );
    for bad in [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    ] {
        assert_eq!(trace_id_of(bad), None, "{bad}");
    }
}

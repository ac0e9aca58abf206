//! Both services as their own processes, configured only by the OpenTelemetry SDK's standard
//! variables, exporting to an OTLP receiver the test runs: one checkout is one trace across
//! them over gRPC and over HTTP, the variables change what they should, and a `baggage` sent
//! with the checkout reaches the spans and logs of every saga step.

use std::collections::HashSet;
use std::time::Duration;

use orderflow_tests::{Options, System};
use serde_json::Value;
use test_support::otlp::{Receiver, Span};

const WITHIN: Duration = Duration::from_secs(30);
const BAGGAGE: &str = "tenant=acme,test.run=otlp-42";
/// The batch processor's delay (the SDK reads it from the process environment): spans arrive
/// in a fraction of a second rather than five.
const QUICK_BATCHES: (&str, &str) = ("OTEL_BSP_SCHEDULE_DELAY", "200");

/// The spans of the trace the checkout request started, once both services' consumers have
/// exported theirs (each processes at least two events of a completed saga).
async fn trace_of_checkout(receiver: &Receiver) -> Vec<Span> {
    let of_trace = |spans: &[Span]| -> Vec<Span> {
        let Some(submit) = spans.iter().find(|s| s.name == "POST /v1/checkouts") else {
            return Vec::new();
        };
        spans
            .iter()
            .filter(|s| s.trace_id == submit.trace_id)
            .cloned()
            .collect()
    };
    let processed_by = |spans: &[Span], service: &str| {
        spans
            .iter()
            .filter(|s| s.service == service && s.name.ends_with(" process"))
            .count()
    };
    let spans = receiver
        .spans_when(WITHIN, |spans| {
            let trace = of_trace(spans);
            processed_by(&trace, "checkout-service") >= 2
                && processed_by(&trace, "order-service") >= 2
        })
        .await;
    let trace = of_trace(&spans);
    assert!(
        processed_by(&trace, "checkout-service") >= 2 && processed_by(&trace, "order-service") >= 2,
        "both services' consumers are in the checkout's trace: {:#?}",
        trace
            .iter()
            .map(|s| (&s.service, &s.name))
            .collect::<Vec<_>>()
    );
    trace
}

/// Both services as processes with these extra variables, once one checkout has completed.
async fn processes_after_a_checkout(
    checkout: &[(&'static str, &str)],
    order: &[(&'static str, &str)],
) -> System {
    let system = System::start_with(Options {
        checkout_extra: checkout,
        order_extra: order,
        processes: true,
        ..Options::default()
    })
    .await;
    complete_a_checkout(&system).await;
    system
}

async fn complete_a_checkout(system: &System) {
    let (_, checkout_id) = system
        .submit_checkout_with("alice", "tok_visa", &[("baggage", BAGGAGE)])
        .await;
    let view = system.wait_final("alice", &checkout_id, WITHIN).await;
    assert_eq!(view["status"], "COMPLETED");
}

fn spans_named<'a>(trace: &'a [Span], service: &str, suffix: &str) -> Vec<&'a Span> {
    trace
        .iter()
        .filter(|s| s.service == service && s.name.ends_with(suffix))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn over_grpc_one_checkout_is_one_trace_with_its_baggage_on_every_step() {
    let receiver = Receiver::grpc().await;
    let otel = [
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-collector-key=key%201%2C2"),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment=ci,team=payments",
        ),
        QUICK_BATCHES,
    ];
    let system = processes_after_a_checkout(&otel, &otel).await;
    let trace = trace_of_checkout(&receiver).await;

    let services: HashSet<&str> = trace.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(
        services,
        HashSet::from(["checkout-service", "order-service"])
    );
    for span in &trace {
        assert_eq!(
            span.resource
                .get("deployment.environment")
                .map(String::as_str),
            Some("ci")
        );
        assert_eq!(
            span.resource.get("team").map(String::as_str),
            Some("payments")
        );
    }
    for export in receiver.exports() {
        assert_eq!(
            export.headers.get("x-collector-key").map(String::as_str),
            Some("key 1,2"),
            "OTEL_EXPORTER_OTLP_HEADERS is sent, percent-decoded"
        );
    }

    // The baggage is on the request span, on every publish and on every consumer's process
    // span: each saga step, in both services.
    let carrying: Vec<&Span> = trace
        .iter()
        .filter(|s| {
            s.name.starts_with("POST ")
                || s.name.ends_with(" process")
                || s.name.ends_with(" publish")
        })
        .collect();
    assert!(
        carrying.len() >= 9,
        "request, 4 publishes, 4 process spans at least"
    );
    for span in carrying {
        assert_eq!(
            span.attributes.get("baggage").map(String::as_str),
            Some(BAGGAGE),
            "{} of {} carries the baggage",
            span.name,
            span.service
        );
    }
    // ...and on the log line of every saga step.
    let lines: Vec<Value> = [&system.checkout_service, &system.order_service]
        .iter()
        .flat_map(|s| s.log_lines())
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect();
    for message in orderflow_tests::SAGA_STEP_LOG_LINES {
        let line = lines
            .iter()
            .find(|l| l["message"] == message)
            .unwrap_or_else(|| panic!("no `{message}` log line"));
        assert_eq!(line["span"]["baggage"], BAGGAGE, "`{message}`: {line}");
        assert_eq!(
            line["span"]["trace_id"],
            trace[0].trace_id.as_str(),
            "`{message}`: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn over_http_the_endpoints_follow_the_specifications_path_rules() {
    let receiver = Receiver::http().await;
    // checkout-service: a base URL with a path of its own gets `/v1/traces` appended; order-service:
    // the signal's own URL is used as it is.
    let base = format!("{}/gateway", receiver.endpoint);
    let exact = format!("{}/exactly/here", receiver.endpoint);
    let checkout = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", base.as_str()),
        QUICK_BATCHES,
    ];
    let order = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", exact.as_str()),
        ("OTEL_SERVICE_NAME", "orders-eu"),
        QUICK_BATCHES,
    ];
    let _running = processes_after_a_checkout(&checkout, &order).await;
    let processed = |spans: &[Span], service: &str| {
        let Some(submit) = spans.iter().find(|s| s.name == "POST /v1/checkouts") else {
            return 0;
        };
        spans
            .iter()
            .filter(|s| s.trace_id == submit.trace_id && s.service == service)
            .filter(|s| s.name.ends_with(" process"))
            .count()
    };
    let spans = receiver
        .spans_when(WITHIN, |spans| {
            processed(spans, "orders-eu") >= 2 && processed(spans, "checkout-service") >= 2
        })
        .await;
    let submit = spans
        .iter()
        .find(|s| s.name == "POST /v1/checkouts")
        .expect("checkout-service's request span");
    let trace: Vec<Span> = spans
        .iter()
        .filter(|s| s.trace_id == submit.trace_id)
        .cloned()
        .collect();
    assert!(spans_named(&trace, "checkout-service", " process").len() >= 2);
    assert!(
        spans_named(&trace, "orders-eu", " process").len() >= 2,
        "OTEL_SERVICE_NAME names it"
    );

    for export in receiver.exports() {
        let service = export.service();
        let expected = if service == "orders-eu" {
            "/exactly/here"
        } else {
            "/gateway/v1/traces"
        };
        assert_eq!(export.path, expected, "the export of {service}");
        assert_eq!(
            export.headers.get("content-type").map(String::as_str),
            Some("application/x-protobuf")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sampler_ratio_of_0_sends_nothing_and_the_saga_still_completes() {
    let receiver = Receiver::http().await;
    let otel = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint.as_str()),
        ("OTEL_TRACES_SAMPLER", "traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "0"),
        QUICK_BATCHES,
    ];
    let system = processes_after_a_checkout(&otel, &otel).await;
    // Stopping the processes flushes whatever they hold.
    drop(system);
    assert_eq!(receiver.exports().len(), 0, "nothing sampled, nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_pushed_over_grpc_and_http_with_the_names_metrics_shows() {
    let grpc = Receiver::grpc().await;
    let http = Receiver::http().await;
    let push = [
        ("OTEL_METRICS_EXPORTER", "otlp"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "300"),
        ("OTEL_TRACES_EXPORTER", "none"),
    ];
    let mut checkout = push.to_vec();
    checkout.extend([
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", grpc.endpoint.as_str()),
    ]);
    let mut order = push.to_vec();
    order.push(("OTEL_EXPORTER_OTLP_ENDPOINT", http.endpoint.as_str()));
    let system = processes_after_a_checkout(&checkout, &order).await;
    tokio::time::sleep(Duration::from_millis(800)).await; // two more pushes after the saga

    for (receiver, service, url) in [
        (&grpc, "checkout-service", system.checkout("/metrics")),
        (&http, "order-service", system.order("/metrics")),
    ] {
        let pushes = receiver.pushes();
        let last = pushes
            .last()
            .unwrap_or_else(|| panic!("{service} pushed nothing"));
        assert_eq!(last.service(), service);
        assert!(
            receiver.spans().is_empty(),
            "OTEL_TRACES_EXPORTER=none sends no span"
        );
        let scraped = system.get_text(&url).await;
        let scraped_names: HashSet<&str> = scraped
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split(['{', ' ']).next())
            .collect();
        let pushed = last.names();
        for name in [
            "http_requests_total",
            "http_request_duration_seconds",
            "consumer_processed_total",
            "relay_published_total",
            "process_cpu_seconds_total",
            "db_pool_acquire_wait_seconds",
        ] {
            assert!(
                pushed.iter().any(|n| n == name),
                "{service} pushes {name}: {pushed:?}"
            );
        }
        for name in &pushed {
            let histogram = format!("{name}_count");
            assert!(
                scraped_names.contains(name.as_str()) || scraped_names.contains(histogram.as_str()),
                "{service} pushes {name}, which /metrics does not show"
            );
        }
    }
    let order_push = http.pushes();
    assert!(
        order_push.iter().all(|p| p.path == "/v1/metrics"),
        "the general endpoint gets /v1/metrics"
    );
}

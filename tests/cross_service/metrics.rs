//! `GET /metrics` after traffic: the route histograms, the outbox and the consumer series move.

use std::time::Duration;

use orderflow_tests::System;

/// The value of the first sample of `metric` whose line contains every one of `labels`.
fn sample(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split(['{', ' ']).next() == Some(metric))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_show_the_event_backbone_moving() {
    let system = System::start().await;
    let (_, checkout_id) = system.submit_checkout("alice", "tok_visa").await;
    assert_eq!(
        system
            .wait_final("alice", &checkout_id, Duration::from_secs(30))
            .await["status"],
        "COMPLETED"
    );
    system
        .client
        .get(system.checkout("/v1/no-such-route"))
        .send()
        .await
        .expect("request");

    let checkout = system
        .client
        .get(system.checkout("/metrics"))
        .send()
        .await
        .expect("request");
    assert!(
        checkout.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/openmetrics-text")
    );
    let checkout = checkout.text().await.expect("text");
    let order = system
        .client
        .get(system.order("/metrics"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");

    let posted = [
        "method=\"POST\"",
        "route=\"/v1/checkouts\"",
        "status=\"202\"",
    ];
    assert_eq!(
        sample(&checkout, "http_requests_total", &posted),
        Some(1.0),
        "{checkout}"
    );
    let timed = ["method=\"POST\"", "route=\"/v1/checkouts\""];
    assert_eq!(
        sample(&checkout, "http_request_duration_seconds_count", &timed),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &checkout,
            "http_requests_total",
            &["route=\"unmatched\"", "status=\"404\""]
        ),
        Some(1.0),
        "unmatched paths share one label"
    );
    assert!(
        !checkout.contains(&checkout_id),
        "a path parameter must never become a label"
    );
    // checkout-service published checkout.submitted and payment.authorized, and handled
    // order.placed and order.confirmed; order-service the other way round.
    for text in [&checkout, &order] {
        assert!(
            sample(text, "relay_published_total", &[]).is_some_and(|n| n >= 2.0),
            "{text}"
        );
        assert!(
            sample(text, "consumer_processed_total", &[]).is_some_and(|n| n >= 2.0),
            "{text}"
        );
        assert_eq!(sample(text, "consumer_dead_lettered_total", &[]), Some(0.0));
        assert_eq!(sample(text, "outbox_unpublished", &[]), Some(0.0));
        assert!(sample(text, "db_pool_connections", &["state=\"idle\""]).is_some());
        assert!(sample(text, "consumer_lag", &[]).is_some());
        // USE: what each process uses of its CPU, memory, descriptors, runtime and pool.
        let positive = |name: &str| sample(text, name, &[]).is_some_and(|v| v > 0.0);
        for name in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_open_fds",
            "process_max_fds",
            "tokio_workers",
            "tokio_alive_tasks",
            "tokio_worker_busy_seconds_total",
            "db_pool_max_connections",
            "db_pool_acquire_wait_seconds",
        ] {
            assert!(positive(name), "{name} is above 0: {text}");
        }
        for name in [
            "tokio_global_queue_depth",
            "relay_producer_queue_messages",
            "otel_export_failures_total",
        ] {
            assert!(sample(text, name, &[]).is_some(), "{name}: {text}");
        }
        assert_eq!(
            sample(text, "consumer_in_flight", &[]),
            Some(0.0),
            "nothing left handling"
        );
    }
}

/// Metric names an expression file uses (tokens with one of our metric prefixes).
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    const PREFIXES: [&str; 9] = [
        "http_",
        "outbox_",
        "relay_",
        "consumer_",
        "db_",
        "redis_",
        "process_",
        "tokio_",
        "otel_",
    ];
    text.split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        .filter(|token| PREFIXES.iter().any(|p| token.starts_with(p)))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn every_metric_the_alerts_and_the_dashboard_use_is_exported() {
    let system = System::start().await;
    system
        .client
        .get(system.checkout("/v1/products"))
        .send()
        .await
        .expect("request");
    let mut exported = String::new();
    for url in [system.checkout("/metrics"), system.order("/metrics")] {
        exported.push_str(&system.get_text(&url).await);
    }
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../docker");
    for file in ["prometheus/alerts.yml", "grafana/dashboards/orderflow.json"] {
        let used =
            metric_names(&std::fs::read_to_string(format!("{root}/{file}")).expect("config file"));
        assert!(!used.is_empty(), "{file} uses no metric");
        for name in used {
            let present = exported
                .lines()
                .any(|l| l.split(['{', ' ']).next() == Some(name.as_str()));
            assert!(present, "{file} uses {name}, which no service exports");
        }
    }
}

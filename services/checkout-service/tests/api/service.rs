use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn liveness_and_readiness_report_ok_when_dependencies_are_up() {
    let app = spawn_app().await;

    let live = app.get("/health/live").send().await.expect("request");
    let ready = app.get("/health/ready").send().await.expect("request");

    assert_eq!(live.status(), 200);
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["checks"]["postgres"], "up");
    assert_eq!(body["checks"]["redis"], "up");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_every_route() {
    let app = spawn_app().await;

    let doc = app.openapi().await;

    assert!(
        doc["openapi"].as_str().expect("version").starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/v1/sessions",
        "/v1/products",
        "/v1/cart",
        "/v1/cart/items/{sku}",
        "/v1/checkouts",
        "/v1/checkouts/{id}",
        "/health/ready",
        "/v1/admin/faults",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

/// The document states the rules the handlers enforce on SKUs, quantities, card tokens and
/// idempotency keys, so a client (and `make fuzz-api`) can send valid input; it declares every
/// parameter where it is really read; and no two operations share an operationId, or a
/// generated client (and the fuzzer's links) would take one operation for another.
#[tokio::test]
async fn the_openapi_document_states_the_input_rules() {
    let app = spawn_app().await;
    let doc = app.openapi().await;

    test_support::assert_path_parameters_are_in_their_templates(&doc);
    test_support::assert_operation_ids_are_unique(&doc);
    for method in ["put", "delete"] {
        let sku = test_support::openapi_parameter(&doc, method, "/v1/cart/items/{sku}", "sku");
        assert_eq!(sku["schema"]["pattern"], "^[A-Z0-9][A-Z0-9-]{0,31}$");
    }
    let key = test_support::openapi_parameter(&doc, "post", "/v1/checkouts", "Idempotency-Key");
    assert_eq!(key["schema"]["pattern"], "^[A-Za-z0-9._:-]{1,128}$");
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["SetQuantity"]["properties"]["quantity"]["minimum"],
        1
    );
    assert_eq!(
        schemas["SetQuantity"]["properties"]["quantity"]["maximum"],
        99
    );
    assert_eq!(
        schemas["PaymentInput"]["properties"]["card_token"]["pattern"],
        "^tok_[A-Za-z0-9_]{1,60}$"
    );
}

#[tokio::test]
async fn a_request_id_is_generated_when_absent_and_echoed_when_sent() {
    let app = spawn_app().await;

    let generated = app.get("/health/live").send().await.expect("request");
    let echoed = app
        .get("/health/live")
        .header("x-request-id", "req-123")
        .send()
        .await
        .expect("request");

    let id = generated.headers()["x-request-id"].to_str().expect("ascii");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_eq!(echoed.headers()["x-request-id"], "req-123");
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let app = spawn_app().await;

    let missing = app.get("/v1/nothing-here").send().await.expect("request");
    let wrong_method = app
        .client
        .patch(app.url("/v1/products"))
        .send()
        .await
        .expect("request");

    assert_problem(missing, 404, "route_not_found").await;
    assert_problem(wrong_method, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn an_otlp_endpoint_that_is_down_never_breaks_a_request_and_is_counted() {
    // Nothing listens on port 9 of loopback: every export fails, off the request path.
    let otel = telemetry::OtelSettings::read(
        &mut settings::Env::from_pairs([("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")]),
        "checkout-service",
    )
    .expect("settings");
    let telemetry = telemetry::init(&otel, telemetry::LogFormat::Json);
    let app = spawn_app().await;

    for _ in 0..20 {
        let response = app.get("/v1/products").send().await.expect("request");
        assert_eq!(response.status(), 200);
    }
    let session = app.create_session(Some("alice")).await;
    let cart = app
        .put_item(
            session,
            Some("alice"),
            "KB-001",
            serde_json::json!({ "quantity": 1 }),
        )
        .await;
    assert_eq!(cart.status(), 200);
    let before = telemetry::failed_exports();
    tokio::task::spawn_blocking(move || telemetry.flush())
        .await
        .expect("flush");
    assert!(
        telemetry::failed_exports() > before,
        "the failed export is counted"
    );
}

/// The answers the middleware gives before any handler runs are in the document too: 431 and
/// 414 everywhere, 413 and 429 with `Retry-After` on every write (admin ones included), 415
/// where a JSON body is expected (`PUT /v1/admin/faults` included).
#[tokio::test]
async fn the_openapi_document_declares_the_size_and_rate_limits() {
    let app = spawn_app().await;
    let doc = app.openapi().await;
    let paths = doc["paths"].as_object().expect("paths");
    let mut writes = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            let responses = &operation["responses"];
            for status in ["414", "431"] {
                assert!(
                    responses.get(status).is_some(),
                    "{method} {path}: no {status}"
                );
            }
            if method != "get" {
                writes += 1;
                assert!(responses.get("413").is_some(), "{method} {path}: no 413");
                if operation.get("requestBody").is_some() {
                    assert!(responses.get("415").is_some(), "{method} {path}: no 415");
                }
                assert!(
                    responses["429"]["headers"].get("Retry-After").is_some(),
                    "{method} {path}: no 429 with Retry-After"
                );
            }
        }
    }
    assert!(writes >= 5, "only {writes} writes in the document");
    assert_refs_resolve(&doc, &doc);
}

/// Every `$ref` of the document names a schema it has (a dangling one made the fuzzer skip
/// the parts behind it).
fn assert_refs_resolve(doc: &Value, node: &Value) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                let name = target
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("unexpected $ref {target}"));
                assert!(
                    doc["components"]["schemas"].get(name).is_some(),
                    "$ref {target} names no schema"
                );
            }
            map.values().for_each(|v| assert_refs_resolve(doc, v));
        }
        Value::Array(items) => items.iter().for_each(|v| assert_refs_resolve(doc, v)),
        _ => {}
    }
}

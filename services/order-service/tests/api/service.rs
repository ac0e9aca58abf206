use std::time::Duration;

use test_support::TcpProxy;

use crate::helpers::{assert_problem, spawn_app, spawn_app_on};

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_every_route() {
    let app = spawn_app().await;

    let doc = app.openapi().await;

    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    for path in [
        "/v1/orders",
        "/v1/orders/{id}",
        "/v1/orders/{id}/cancel",
        "/health/live",
        "/health/ready",
        "/v1/admin/faults",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    let responses = &doc["paths"]["/v1/orders/{id}"]["get"]["responses"];
    for status in ["200", "400", "401", "404", "503"] {
        assert!(
            responses[status].is_object(),
            "GET /v1/orders/{{id}} does not document {status}"
        );
    }
    assert_eq!(
        responses["401"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
}

/// The query parameters of `GET /v1/orders` and of the dead-letter list are documented as
/// query parameters (a path parameter in no path tells no client of them), and every operation
/// has its own operationId, so a generated client (and the fuzzer's links) never takes one
/// for another.
#[tokio::test]
async fn query_parameters_are_documented_in_the_query_and_operation_ids_are_unique() {
    let app = spawn_app().await;
    let doc = app.openapi().await;

    test_support::assert_path_parameters_are_in_their_templates(&doc);
    test_support::assert_operation_ids_are_unique(&doc);
    for (path, name, required) in [
        ("/v1/orders", "limit", false),
        ("/v1/orders", "cursor", false),
        ("/v1/admin/dead-letters", "topic", true),
        ("/v1/admin/dead-letters", "limit", false),
    ] {
        let parameter = test_support::openapi_parameter(&doc, "get", path, name);
        assert_eq!(parameter["in"], "query", "{path} {name}");
        assert_eq!(parameter["required"], required, "{path} {name}");
    }
    let limit = test_support::openapi_parameter(&doc, "get", "/v1/orders", "limit");
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], 100);
}

async fn ready_status(app: &crate::helpers::TestApp) -> u16 {
    app.client
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

async fn wait_ready(app: &crate::helpers::TestApp, want: u16) {
    for _ in 0..150 {
        if ready_status(app).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("readiness never became {want}");
}

#[tokio::test]
async fn postgres_down_is_a_503_and_the_service_recovers_by_itself() {
    let database_url = test_support::fresh_database().await;
    let postgres = TcpProxy::start(&test_support::postgres_addr()).await;
    let proxied =
        database_url.replace(&test_support::postgres_addr(), &postgres.addr().to_string());
    let app = spawn_app_on(&proxied, &database_url).await;
    let id = app.place_order("alice").await;
    wait_ready(&app, 200).await;

    postgres.cut();
    wait_ready(&app, 503).await;
    let response = app
        .get_as("alice", &format!("/v1/orders/{id}"))
        .send()
        .await
        .expect("request");

    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 503, "dependency_unavailable").await;
    postgres.restore();
    wait_ready(&app, 200).await;
    let response = app
        .get_as("alice", &format!("/v1/orders/{id}"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_fail_readiness_flag_set_by_an_admin_fails_readiness_until_cleared() {
    let app = spawn_app().await;
    let put = |token: String, body: serde_json::Value| {
        app.client
            .put(app.url("/v1/admin/faults"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };

    let refused = put(
        app.token("alice"),
        serde_json::json!({ "fail_readiness": true }),
    )
    .await
    .expect("request");
    let ready_after_refusal = ready_status(&app).await;
    let set = put(
        app.admin_token(),
        serde_json::json!({ "fail_readiness": true }),
    )
    .await
    .expect("request");
    let failing = ready_status(&app).await;
    let cleared = put(app.admin_token(), serde_json::json!({}))
        .await
        .expect("request");
    let restored = ready_status(&app).await;

    assert_problem(refused, 403, "admin_required").await;
    assert_eq!(ready_after_refusal, 200);
    assert_eq!(set.status(), 200);
    assert_eq!(failing, 503);
    assert_eq!(cleared.status(), 200);
    assert_eq!(restored, 200);
}

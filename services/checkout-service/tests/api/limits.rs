//! Size limits of a request and the per-client write limit, each a problem+json.

use http_kit::limits::{HEADER_LIMIT_BYTES, URI_LIMIT_BYTES};

use crate::helpers::{Deps, TestApp, assert_problem, spawn_app, spawn_app_with};

/// Two writes per client, then (practically) never another token: no test waits on a clock.
async fn spawn_app_with_a_burst_of_two() -> TestApp {
    let deps = Deps {
        database_url: test_support::fresh_database().await,
        redis_url: test_support::redis_url(),
    };
    spawn_app_with(
        deps,
        &[
            ("RATE_LIMIT_WRITES_PER_SECOND", "0.001"),
            ("RATE_LIMIT_BURST", "2"),
        ],
    )
    .await
}

async fn create_session(app: &TestApp, bearer: Option<&str>) -> reqwest::Response {
    let mut request = app.client.post(app.url("/v1/sessions"));
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

#[tokio::test]
async fn header_fields_over_the_limit_are_a_431_problem() {
    let app = spawn_app().await;

    let response = app
        .get("/v1/products")
        .header("X-Filler", "a".repeat(HEADER_LIMIT_BYTES))
        .send()
        .await
        .expect("request");

    assert_problem(response, 431, "headers_too_large").await;
}

#[tokio::test]
async fn header_fields_just_under_the_limit_are_served() {
    let app = spawn_app().await;

    let response = app
        .get("/v1/products")
        .header("X-Filler", "a".repeat(HEADER_LIMIT_BYTES / 2))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn more_header_fields_than_hyper_parses_are_refused_with_431() {
    let app = spawn_app().await;
    let mut request = app.get("/v1/products");
    for i in 0..101 {
        request = request.header(format!("x-field-{i}"), "1");
    }

    let response = request.send().await.expect("request");

    // hyper's own answer, before any middleware: no problem body here.
    assert_eq!(response.status(), 431);
}

#[tokio::test]
async fn a_request_target_over_the_limit_is_a_414_problem() {
    let app = spawn_app().await;
    let query = "a".repeat(URI_LIMIT_BYTES);

    let response = app
        .get(&format!("/v1/products?q={query}"))
        .send()
        .await
        .expect("request");

    assert_problem(response, 414, "uri_too_long").await;
}

#[tokio::test]
async fn a_client_over_its_write_burst_gets_a_429_problem_with_retry_after() {
    let app = spawn_app_with_a_burst_of_two().await;
    let alice = app.token("alice");
    for _ in 0..2 {
        let response = create_session(&app, Some(&alice)).await;
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["ratelimit-limit"], "2");
    }

    let response = create_session(&app, Some(&alice)).await;

    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("whole seconds");
    assert!(retry_after >= 1);
    assert_eq!(response.headers()["ratelimit-remaining"], "0");
    assert_problem(response, 429, "rate_limited").await;
}

#[tokio::test]
async fn one_client_being_limited_leaves_others_and_reads_alone() {
    let app = spawn_app_with_a_burst_of_two().await;
    let alice = app.token("alice");
    for _ in 0..3 {
        create_session(&app, Some(&alice)).await;
    }
    assert_eq!(create_session(&app, Some(&alice)).await.status(), 429);

    let bob = create_session(&app, Some(&app.token("bob"))).await;
    let anonymous = create_session(&app, None).await;
    let read = app.get("/v1/products").bearer_auth(&alice).send().await;

    assert_eq!(bob.status(), 201);
    assert_eq!(anonymous.status(), 201);
    assert_eq!(read.expect("request").status(), 200);
}

#[tokio::test]
async fn anonymous_writes_share_their_address_and_bad_tokens_count_against_it() {
    let app = spawn_app_with_a_burst_of_two().await;
    assert_eq!(create_session(&app, None).await.status(), 201);
    // A forged token is no identity: it is refused, and takes the address's token.
    assert_eq!(create_session(&app, Some("forged")).await.status(), 401);

    let response = create_session(&app, None).await;

    assert_problem(response, 429, "rate_limited").await;
}

#[tokio::test]
async fn refused_writes_are_counted_in_the_metrics() {
    let app = spawn_app_with_a_burst_of_two().await;
    for _ in 0..3 {
        create_session(&app, None).await;
    }

    let refused =
        test_support::metric(&app.client, &app.url("/metrics"), "http_rate_limited_total").await;
    assert_eq!(refused, 1.0);
}

//! Postgres or Redis down: 503 with Retry-After, readiness false, and back by itself.

use std::time::Duration;

use reqwest::Response;
use serde_json::Value;
use test_support::TcpProxy;

use crate::helpers::{Deps, TestApp, assert_problem, spawn_app_with};

async fn app_behind_proxies() -> (TestApp, TcpProxy, TcpProxy) {
    let database_url = test_support::fresh_database().await;
    let postgres = TcpProxy::start(&test_support::postgres_addr()).await;
    let redis = TcpProxy::start(&test_support::redis_addr()).await;
    let proxied_db =
        database_url.replace(&test_support::postgres_addr(), &postgres.addr().to_string());
    let deps = Deps {
        database_url: proxied_db,
        redis_url: format!("redis://{}", redis.addr()),
    };
    (spawn_app_with(deps, &[]).await, postgres, redis)
}

async fn ready(app: &TestApp) -> (u16, Value) {
    let response = app.get("/health/ready").send().await.expect("request");
    (
        response.status().as_u16(),
        response.json().await.expect("json"),
    )
}

/// Polls readiness until it is `want`, for at most 15 s (reconnection is not instant).
async fn wait_ready(app: &TestApp, want: u16) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        let (status, body) = ready(app).await;
        if status == want {
            return body;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("readiness never became {want}: {last}");
}

fn assert_retry_after(response: &Response) {
    assert!(
        response.headers().contains_key("retry-after"),
        "503 without Retry-After"
    );
}

#[tokio::test]
async fn postgres_down_is_a_503_with_retry_after_and_the_service_recovers_by_itself() {
    let (app, postgres, _redis) = app_behind_proxies().await;
    wait_ready(&app, 200).await;

    postgres.cut();
    let body = wait_ready(&app, 503).await;
    let products = app.get("/v1/products").send().await.expect("request");

    assert_eq!(body["checks"]["postgres"], "down");
    assert_eq!(body["checks"]["redis"], "up");
    assert_retry_after(&products);
    assert_problem(products, 503, "dependency_unavailable").await;

    postgres.restore();
    wait_ready(&app, 200).await;
    let products = app.get("/v1/products").send().await.expect("request");
    assert_eq!(products.status(), 200);
}

#[tokio::test]
async fn redis_down_is_a_503_with_retry_after_and_the_service_recovers_by_itself() {
    let (app, _postgres, redis) = app_behind_proxies().await;
    wait_ready(&app, 200).await;

    redis.cut();
    let body = wait_ready(&app, 503).await;
    let session = app
        .client
        .post(app.url("/v1/sessions"))
        .send()
        .await
        .expect("request");

    assert_eq!(body["checks"]["redis"], "down");
    assert_retry_after(&session);
    assert_problem(session, 503, "dependency_unavailable").await;

    redis.restore();
    wait_ready(&app, 200).await;
    let session = app
        .client
        .post(app.url("/v1/sessions"))
        .send()
        .await
        .expect("request");
    assert_eq!(session.status(), 201);
}

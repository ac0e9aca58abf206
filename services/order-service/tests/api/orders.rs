use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn a_customer_reads_its_order_with_its_history() {
    let app = spawn_app().await;
    let id = app.place_order("alice").await;

    let response = app
        .get_as("alice", &format!("/v1/orders/{id}"))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["order_id"], id.to_string());
    assert_eq!(body["status"], "PENDING_PAYMENT");
    assert_eq!(body["history"][0]["status"], "PENDING_PAYMENT");
    assert_eq!(body["lines"][0]["sku"], "KB-001");
}

#[tokio::test]
async fn another_customers_order_is_not_found_but_an_admin_sees_it() {
    let app = spawn_app().await;
    let id = app.place_order("alice").await;

    let by_bob = app
        .get_as("bob", &format!("/v1/orders/{id}"))
        .send()
        .await
        .expect("request");
    let by_admin = app
        .client
        .get(app.url(&format!("/v1/orders/{id}")))
        .bearer_auth(app.admin_token())
        .send()
        .await
        .expect("request");

    assert_problem(by_bob, 404, "order_not_found").await;
    assert_eq!(by_admin.status(), 200);
}

#[tokio::test]
async fn reading_orders_needs_a_token_and_a_uuid() {
    let app = spawn_app().await;

    let anonymous = app
        .client
        .get(app.url("/v1/orders"))
        .send()
        .await
        .expect("request");
    let bad_id = app
        .get_as("alice", "/v1/orders/42")
        .send()
        .await
        .expect("request");
    let unknown = app
        .get_as("alice", &format!("/v1/orders/{}", Uuid::now_v7()))
        .send()
        .await
        .expect("request");

    assert_problem(anonymous, 401, "missing_token").await;
    assert_problem(bad_id, 400, "invalid_path_parameter").await;
    assert_problem(unknown, 404, "order_not_found").await;
}

async fn page(app: &crate::helpers::TestApp, token: &str, query: &str) -> Value {
    let response = app
        .client
        .get(app.url(&format!("/v1/orders{query}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["order_id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_customer_pages_through_its_own_orders_newest_first() {
    let app = spawn_app().await;
    let mut alices = Vec::new();
    for _ in 0..5 {
        alices.push(app.place_order("alice").await.to_string());
    }
    app.place_order("bob").await;
    alices.reverse();
    let token = app.token("alice");

    let first = page(&app, &token, "?limit=2").await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = page(&app, &token, &format!("?limit=2&cursor={cursor}")).await;
    let cursor = second["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let last = page(&app, &token, &format!("?limit=2&cursor={cursor}")).await;

    assert_eq!(ids(&first), alices[0..2]);
    assert_eq!(ids(&second), alices[2..4]);
    assert_eq!(ids(&last), alices[4..5]);
    assert_eq!(last["next_cursor"], Value::Null);
    assert!(
        first["items"][0].get("history").is_none(),
        "lists carry no history"
    );
}

#[tokio::test]
async fn an_admin_lists_every_customers_orders() {
    let app = spawn_app().await;
    app.place_order("alice").await;
    app.place_order("bob").await;

    let all = page(&app, &app.admin_token(), "").await;

    assert_eq!(ids(&all).len(), 2);
}

#[tokio::test]
async fn a_bad_limit_or_cursor_is_a_400_naming_it() {
    let app = spawn_app().await;

    for (query, code, field) in [
        ("?limit=0", "invalid_limit", Some("limit")),
        ("?limit=101", "invalid_limit", Some("limit")),
        ("?limit=ten", "invalid_query_parameter", None),
        ("?cursor=not-a-cursor", "invalid_cursor", Some("cursor")),
    ] {
        let response = app
            .get_as("alice", &format!("/v1/orders{query}"))
            .send()
            .await
            .expect("request");
        let body = assert_problem(response, 400, code).await;
        if let Some(field) = field {
            assert_eq!(body["field"], field);
        }
    }
}

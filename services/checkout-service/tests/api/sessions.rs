use redis::AsyncCommands;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn creating_a_session_returns_its_id_and_an_http_only_cookie() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/v1/sessions"))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), 201);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body: Value = response.json().await.expect("json");
    let id = body["session_id"].as_str().expect("session_id");
    assert!(cookie.starts_with(&format!("session_id={id};")), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(body["expires_in_seconds"], 7200);
}

#[tokio::test]
async fn the_session_cookie_works_like_the_header() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;

    let response = app
        .get("/v1/cart")
        .header("Cookie", format!("theme=dark; session_id={session}"))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["session_id"], session.to_string());
}

#[tokio::test]
async fn a_session_and_its_cart_live_in_redis_with_a_sliding_ttl() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;
    let mut redis = app
        .redis
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let session_key = format!("{}:session:{{{session}}}", app.prefix);
    let cart_key = format!("{}:cart:{{{session}}}", app.prefix);
    let _: () = redis.expire(&session_key, 60).await.expect("shorten ttl");

    let response = app
        .put_item(session, None, "KB-001", json!({ "quantity": 1 }))
        .await;

    assert_eq!(response.status(), 200);
    let session_ttl: i64 = redis.ttl(&session_key).await.expect("ttl");
    let cart_ttl: i64 = redis.ttl(&cart_key).await.expect("ttl");
    assert!(
        session_ttl > 7000,
        "use must extend the session, ttl {session_ttl}"
    );
    assert!(
        cart_ttl > 7000,
        "the cart expires with its session, ttl {cart_ttl}"
    );
}

#[tokio::test]
async fn an_expired_session_is_not_found() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;
    let mut redis = app
        .redis
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    // An expiry time in the past expires the key now, exactly as its TTL running out would.
    let _: () = redis
        .expire_at(format!("{}:session:{{{session}}}", app.prefix), 1)
        .await
        .expect("expire");

    let response = app
        .get("/v1/cart")
        .header("X-Session-Id", session.to_string())
        .send()
        .await
        .expect("request");

    assert_problem(response, 404, "session_not_found").await;
}

#[tokio::test]
async fn a_session_is_bound_to_the_first_customer_that_uses_it() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;
    let first = app
        .put_item(session, Some("alice"), "KB-001", json!({ "quantity": 1 }))
        .await;
    assert_eq!(first.status(), 200);

    let by_bob = app
        .put_item(session, Some("bob"), "KB-001", json!({ "quantity": 5 }))
        .await;
    let anonymous = app
        .put_item(session, None, "KB-001", json!({ "quantity": 5 }))
        .await;

    assert_problem(by_bob, 403, "session_of_another_customer").await;
    assert_problem(anonymous, 401, "missing_token").await;
    let still_alice = app
        .put_item(session, Some("alice"), "KB-001", json!({ "quantity": 2 }))
        .await;
    assert_eq!(still_alice.status(), 200);
}

#[tokio::test]
async fn a_request_without_a_session_or_with_a_malformed_one_is_a_400() {
    let app = spawn_app().await;

    let missing = app.get("/v1/cart").send().await.expect("request");
    let malformed = app
        .get("/v1/cart")
        .header("X-Session-Id", "not-a-uuid")
        .send()
        .await
        .expect("request");

    let body = assert_problem(missing, 400, "session_required").await;
    assert_eq!(body["field"], "x-session-id");
    assert_problem(malformed, 400, "invalid_session_id").await;
}

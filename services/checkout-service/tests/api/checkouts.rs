use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_kit::auth::{Claims, JwtKeys};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{assert_problem, spawn_app, visa};

#[tokio::test]
async fn a_checkout_stores_the_pending_checkout_and_its_event_in_one_transaction() {
    let app = spawn_app().await;
    let session = app.filled_session("alice").await;

    let response = app.checkout(session, "alice", "key-1", &visa()).await;

    assert_eq!(response.status(), 202);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body: Value = response.json().await.expect("json");
    let id: Uuid = body["checkout_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert_eq!(body["status"], "PENDING");
    assert_eq!(location, format!("/v1/checkouts/{id}"));

    let events = outbox::rows_of(&app.db, id).await.expect("outbox");
    assert_eq!(events.len(), 1);
    events[0].to_cloudevent().expect("a valid CloudEvent");
    assert_eq!(events[0].event_type, "dev.orderflow.checkout.submitted.v1");
    assert_eq!(events[0].source, "/orderflow/checkout-service");
    assert_eq!(events[0].topic, "orderflow.checkout.v1");
    assert_eq!(events[0].sequence, 1);
    let data = &events[0].payload;
    assert_eq!(data["customer_id"], "alice");
    assert_eq!(data["total_minor"], 2 * 8900 + 2900);
    assert!(
        !data.to_string().contains("tok_visa"),
        "no card token may travel in events: {data}"
    );

    let view: Value = app
        .get(&location)
        .bearer_auth(app.token("alice"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(view["status"], "PENDING");
    assert_eq!(view["order_id"], Value::Null);
    assert_eq!(view["total_minor"], 20700);
}

#[tokio::test]
async fn when_the_event_cannot_be_written_the_checkout_is_not_stored_either() {
    let app = spawn_app().await;
    let session = app.filled_session("alice").await;
    sqlx::raw_sql(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox down'; END $$;
         CREATE TRIGGER refuse BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse();",
    )
    .execute(&app.db)
    .await
    .expect("install failing trigger");

    let failed = app.checkout(session, "alice", "key-1", &visa()).await;

    assert_problem(failed, 500, "internal_error").await;
    assert_eq!(app.count("checkouts").await, 0);
    assert_eq!(app.count("idempotency_keys").await, 0);
    sqlx::raw_sql("DROP TRIGGER refuse ON outbox")
        .execute(&app.db)
        .await
        .expect("drop trigger");
    let retried = app.checkout(session, "alice", "key-1", &visa()).await;
    assert_eq!(
        retried.status(),
        202,
        "the same key works once the fault is gone"
    );
    assert_eq!(app.count("checkouts").await, 1);
    assert_eq!(app.count("outbox").await, 1);
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_response_and_writes_nothing_twice() {
    let app = spawn_app().await;
    let session = app.filled_session("alice").await;

    let first = app.checkout(session, "alice", "key-1", &visa()).await;
    let first_location = first.headers()["location"].clone();
    let first_body: Value = first.json().await.expect("json");
    let second = app.checkout(session, "alice", "key-1", &visa()).await;

    assert_eq!(second.status(), 202);
    assert_eq!(second.headers()["location"], first_location);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.json::<Value>().await.expect("json"), first_body);
    assert_eq!(app.count("checkouts").await, 1);
    assert_eq!(app.count("outbox").await, 1);
}

#[tokio::test]
async fn racing_duplicates_of_one_request_create_one_checkout() {
    let app = spawn_app().await;
    let session = app.filled_session("alice").await;

    let racing: Vec<_> = (0..8)
        .map(|_| {
            tokio::spawn(
                app.checkout_request(session, "alice", "race-key", &visa())
                    .send(),
            )
        })
        .collect();

    let mut ids = Vec::new();
    for handle in racing {
        let response = handle.await.expect("task").expect("request");
        assert_eq!(response.status(), 202);
        ids.push(response.json::<Value>().await.expect("json")["checkout_id"].clone());
    }
    ids.dedup();
    assert_eq!(
        ids.len(),
        1,
        "every duplicate must get the first checkout: {ids:?}"
    );
    assert_eq!(app.count("checkouts").await, 1);
    assert_eq!(app.count("outbox").await, 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_422() {
    let app = spawn_app().await;
    let session = app.filled_session("alice").await;
    app.checkout(session, "alice", "key-1", &visa()).await;

    let response = app
        .checkout(
            session,
            "alice",
            "key-1",
            &json!({ "payment": { "card_token": "tok_chargeDeclined" } }),
        )
        .await;

    let body = assert_problem(response, 422, "idempotency_key_reused").await;
    assert_eq!(body["field"], "Idempotency-Key");
    assert_eq!(app.count("checkouts").await, 1);
}

#[tokio::test]
async fn keys_are_scoped_per_customer() {
    let app = spawn_app().await;
    let alice = app.filled_session("alice").await;
    let bob = app.filled_session("bob").await;

    let first = app.checkout(alice, "alice", "shared-key", &visa()).await;
    let second = app.checkout(bob, "bob", "shared-key", &visa()).await;

    assert_eq!(first.status(), 202);
    assert_eq!(second.status(), 202);
    assert_eq!(app.count("checkouts").await, 2);
}

#[tokio::test]
async fn a_second_checkout_of_the_same_cart_version_under_a_new_key_is_a_409() {
    let app = spawn_app().await;
    let session = app.filled_session("alice").await;
    app.checkout(session, "alice", "key-1", &visa()).await;

    let response = app.checkout(session, "alice", "key-2", &visa()).await;

    assert_problem(response, 409, "cart_already_checked_out").await;
    assert_eq!(app.count("checkouts").await, 1);
    assert_eq!(
        app.count("outbox").await,
        1,
        "the refused checkout wrote no event"
    );
}

#[tokio::test]
async fn checking_out_an_empty_cart_is_a_422() {
    let app = spawn_app().await;
    let session = app.create_session(Some("alice")).await;

    let response = app.checkout(session, "alice", "key-1", &visa()).await;

    assert_problem(response, 422, "cart_empty").await;
}

#[tokio::test]
async fn a_missing_or_malformed_idempotency_key_is_a_400() {
    let app = spawn_app().await;
    let session = app.filled_session("alice").await;
    let without_key = app
        .client
        .post(app.url("/v1/checkouts"))
        .bearer_auth(app.token("alice"))
        .header("X-Session-Id", session.to_string())
        .json(&visa())
        .send()
        .await
        .expect("request");

    let malformed = app.checkout(session, "alice", "not a key!", &visa()).await;

    assert_problem(without_key, 400, "idempotency_key_required").await;
    assert_problem(malformed, 400, "invalid_idempotency_key").await;
}

#[tokio::test]
async fn a_bad_card_token_or_body_shape_is_a_422_naming_the_field() {
    let app = spawn_app().await;
    let session = app.filled_session("alice").await;

    let bad_token = app
        .checkout(
            session,
            "alice",
            "k1",
            &json!({ "payment": { "card_token": "4242424242424242" } }),
        )
        .await;
    let wrong_type = app
        .checkout(
            session,
            "alice",
            "k2",
            &json!({ "payment": { "card_token": 42 } }),
        )
        .await;
    let missing = app
        .checkout(session, "alice", "k3", &json!({ "payment": {} }))
        .await;

    let body = assert_problem(bad_token, 422, "invalid_card_token").await;
    assert_eq!(body["field"], "payment.card_token");
    let body = assert_problem(wrong_type, 422, "invalid_body").await;
    assert_eq!(body["field"], "payment.card_token");
    let body = assert_problem(missing, 422, "invalid_body").await;
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("card_token"),
        "{body}"
    );
    assert_eq!(app.count("checkouts").await, 0);
}

#[tokio::test]
async fn checkouts_need_a_valid_unexpired_token() {
    let app = spawn_app().await;
    let session = app.filled_session("alice").await;
    let post = |token: Option<String>| {
        let mut request = app
            .client
            .post(app.url("/v1/checkouts"))
            .header("X-Session-Id", session.to_string())
            .header("Idempotency-Key", "k")
            .json(&visa());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let foreign = JwtKeys::hs256(&SecretString::from(
        "another-secret-that-is-32-bytes-long".to_owned(),
    ));
    let keys = JwtKeys::hs256(&SecretString::from(crate::helpers::SECRET.to_owned()));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let expired = keys.sign(&Claims {
        sub: "alice".into(),
        iat: now - 120,
        exp: now - 60,
        roles: vec![],
    });

    let missing = post(None).await.expect("request");
    let badly_signed = post(Some(foreign.issue("alice", false, Duration::from_secs(60))))
        .await
        .expect("request");
    let garbage = post(Some("not.a.jwt".to_owned())).await.expect("request");

    assert_problem(missing, 401, "missing_token").await;
    assert_eq!(badly_signed.headers()["www-authenticate"], "Bearer");
    assert_problem(badly_signed, 401, "invalid_token").await;
    assert_problem(garbage, 401, "invalid_token").await;
    assert_problem(
        post(Some(expired)).await.expect("request"),
        401,
        "token_expired",
    )
    .await;
    assert_eq!(app.count("checkouts").await, 0);
}

#[tokio::test]
async fn a_customer_cannot_see_another_customers_checkout_but_an_admin_can() {
    let app = spawn_app().await;
    let session = app.filled_session("alice").await;
    let response = app.checkout(session, "alice", "key-1", &visa()).await;
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();

    let by_bob = app
        .get(&location)
        .bearer_auth(app.token("bob"))
        .send()
        .await
        .expect("request");
    let by_admin = app
        .get(&location)
        .bearer_auth(app.admin_token())
        .send()
        .await
        .expect("request");
    let unknown = app
        .get(&format!("/v1/checkouts/{}", Uuid::now_v7()))
        .bearer_auth(app.token("alice"))
        .send()
        .await
        .expect("request");

    assert_problem(by_bob, 404, "checkout_not_found").await;
    assert_eq!(by_admin.status(), 200);
    assert_problem(unknown, 404, "checkout_not_found").await;
}

#[tokio::test]
async fn an_invalid_uuid_in_the_path_is_a_400() {
    let app = spawn_app().await;

    let response = app
        .get("/v1/checkouts/not-a-uuid")
        .bearer_auth(app.token("alice"))
        .send()
        .await
        .expect("request");

    assert_problem(response, 400, "invalid_path_parameter").await;
}

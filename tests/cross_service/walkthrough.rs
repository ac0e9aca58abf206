//! The README's curl walk-through, step by step, against both services.

use orderflow_tests::System;
use serde_json::{Value, json};

#[tokio::test]
async fn the_readme_walkthrough_works_against_both_services() {
    let system = System::start().await;
    let (client, token) = (&system.client, system.token("alice"));
    let checkout = |path: &str| format!("{}{path}", system.checkout_service.address);

    let products: Value = client
        .get(checkout("/v1/products"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let sku = products["items"][0]["sku"]
        .as_str()
        .expect("a product")
        .to_owned();
    let session: Value = client
        .post(checkout("/v1/sessions"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let session = session["session_id"]
        .as_str()
        .expect("session id")
        .to_owned();
    let cart = client
        .put(checkout(&format!("/v1/cart/items/{sku}")))
        .bearer_auth(&token)
        .header("X-Session-Id", &session)
        .json(&json!({ "quantity": 2 }))
        .send()
        .await
        .expect("request");
    assert_eq!(cart.status(), 200);
    let submitted = client
        .post(checkout("/v1/checkouts"))
        .bearer_auth(&token)
        .header("X-Session-Id", &session)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&json!({ "payment": { "card_token": "tok_visa" } }))
        .send()
        .await
        .expect("request");
    assert_eq!(submitted.status(), 202);
    let location = submitted.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let status: Value = client
        .get(checkout(&location))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(status["status"], "PENDING");

    // The same token is accepted by order-service: one secret, one customer identity.
    let orders = client
        .get(format!("{}/v1/orders", system.order_service.address))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(orders.status(), 200);
    let orders: Value = orders.json().await.expect("json");
    assert!(orders["items"].is_array());
}

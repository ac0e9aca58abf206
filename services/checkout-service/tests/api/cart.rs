use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn the_catalog_lists_seeded_products_with_minor_unit_prices() {
    let app = spawn_app().await;

    let response = app.get("/v1/products").send().await.expect("request");

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 6);
    assert_eq!(
        items[0],
        json!({ "sku": "CB-005", "name": "USB-C cable, 2 m", "price_minor": 1200, "currency": "USD" })
    );
}

#[tokio::test]
async fn a_cart_is_priced_from_the_catalog_and_client_prices_are_ignored() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;

    let response = app
        .put_item(
            session,
            None,
            "KB-001",
            json!({ "quantity": 2, "price_minor": 1, "unit_price_minor": 1 }),
        )
        .await;

    assert_eq!(response.status(), 200);
    let cart: Value = response.json().await.expect("json");
    assert_eq!(cart["items"][0]["unit_price_minor"], 8900);
    assert_eq!(cart["items"][0]["line_total_minor"], 17800);
    assert_eq!(cart["total_minor"], 17800);
    assert_eq!(cart["currency"], "USD");
}

#[tokio::test]
async fn every_change_to_the_cart_raises_its_version() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;
    let header = ("X-Session-Id", session.to_string());

    app.put_item(session, None, "KB-001", json!({ "quantity": 1 }))
        .await;
    app.put_item(session, None, "MS-002", json!({ "quantity": 3 }))
        .await;
    let removed: Value = app
        .client
        .delete(app.url("/v1/cart/items/MS-002"))
        .header(header.0, &header.1)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let cleared: Value = app
        .client
        .delete(app.url("/v1/cart"))
        .header(header.0, &header.1)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");

    assert_eq!(removed["version"], 3);
    assert_eq!(removed["items"].as_array().expect("items").len(), 1);
    assert_eq!(cleared["version"], 4, "clearing must not reset the version");
    assert_eq!(cleared["items"], json!([]));
    assert_eq!(cleared["currency"], Value::Null);
}

#[tokio::test]
async fn an_unknown_sku_is_a_422_naming_the_sku() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;

    let response = app
        .put_item(session, None, "NOPE-404", json!({ "quantity": 1 }))
        .await;

    let body = assert_problem(response, 422, "unknown_sku").await;
    assert_eq!(body["field"], "sku");
}

#[tokio::test]
async fn a_malformed_sku_in_the_path_is_a_400() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;

    let response = app
        .put_item(session, None, "kb%20001", json!({ "quantity": 1 }))
        .await;

    assert_problem(response, 400, "invalid_sku").await;
}

#[tokio::test]
async fn quantities_out_of_range_are_422_naming_the_field() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;

    for quantity in [
        json!(0),
        json!(-1),
        json!(100),
        json!(1_000_000_000_000_i64),
    ] {
        let response = app
            .put_item(session, None, "KB-001", json!({ "quantity": quantity }))
            .await;
        let body = assert_problem(response, 422, "invalid_quantity").await;
        assert_eq!(body["field"], "quantity");
    }
}

#[tokio::test]
async fn a_quantity_of_the_wrong_json_type_is_a_422_naming_the_field() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;

    for quantity in [json!("two"), json!(1.5), json!(null), json!(1e30)] {
        let response = app
            .put_item(session, None, "KB-001", json!({ "quantity": quantity }))
            .await;
        let body = assert_problem(response, 422, "invalid_body").await;
        assert!(
            body["detail"]
                .as_str()
                .expect("detail")
                .contains("quantity"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn malformed_json_is_a_400_and_a_missing_content_type_a_415() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;
    let put = || {
        app.client
            .put(app.url("/v1/cart/items/KB-001"))
            .header("X-Session-Id", session.to_string())
    };

    let malformed = put()
        .header("Content-Type", "application/json")
        .body("{\"quantity\": ")
        .send()
        .await
        .expect("request");
    let untyped = put()
        .body("{\"quantity\": 1}")
        .send()
        .await
        .expect("request");

    assert_problem(malformed, 400, "malformed_json").await;
    assert_problem(untyped, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn a_body_over_the_size_limit_is_a_413() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;
    let huge = format!(
        "{{\"quantity\": 1, \"padding\": \"{}\"}}",
        "x".repeat(100 * 1024)
    );

    let response = app
        .client
        .put(app.url("/v1/cart/items/KB-001"))
        .header("X-Session-Id", session.to_string())
        .header("Content-Type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("request");

    assert_problem(response, 413, "payload_too_large").await;
}

#[tokio::test]
async fn emptying_a_checked_out_cart_is_a_compare_and_delete_on_its_version() {
    let app = spawn_app().await;
    let session = app.create_session(None).await;
    app.put_item(session, None, "KB-001", json!({ "quantity": 1 }))
        .await;
    let store = checkout_service::sessions::SessionStore::new(
        app.redis.clone(),
        &app.prefix,
        std::time::Duration::from_secs(600),
    )
    .expect("store");
    let checked_out = store.cart(session, None).await.expect("cart").version;
    app.put_item(session, None, "MS-002", json!({ "quantity": 1 }))
        .await; // added after submit

    let stale = store
        .empty_cart_if_version(session, checked_out)
        .await
        .expect("redis");
    let current = store.cart(session, None).await.expect("cart");

    assert!(!stale, "a cart changed since the checkout is left alone");
    assert_eq!(
        current.items.len(),
        2,
        "items added after the submit survive"
    );
    assert!(
        store
            .empty_cart_if_version(session, current.version)
            .await
            .expect("redis")
    );
    let emptied = store.cart(session, None).await.expect("cart");
    assert!(emptied.items.is_empty());
    assert!(
        emptied.version > current.version,
        "the version keeps growing"
    );
}

//! The authorization matrix: every endpoint of checkout-service (its own and the backbone's
//! operator routes) tried by every kind of caller, each cell from fresh resources of one owner.

use serde_json::{Value, json};
use test_support::authz::{self, Row, Who, row};
use uuid::Uuid;

use crate::helpers::{SECRET, TestApp, spawn_app, visa};

/// Columns: anonymous, malformed token, another secret, expired, another customer, the owner,
/// an admin. A session belongs to its customer alone: an admin cannot use it either.
#[rustfmt::skip]
const ROWS: &[Row] = &[
    row("POST", "/v1/sessions",                 [201, 401, 401, 401, 201, 201, 201]),
    row("GET", "/v1/products",                  [200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/v1/cart",                      [401, 401, 401, 401, 403, 200, 403]),
    row("DELETE", "/v1/cart",                   [401, 401, 401, 401, 403, 200, 403]),
    row("PUT", "/v1/cart/items/{sku}",          [401, 401, 401, 401, 403, 200, 403]),
    row("DELETE", "/v1/cart/items/{sku}",       [401, 401, 401, 401, 403, 200, 403]),
    row("POST", "/v1/checkouts",                [401, 401, 401, 401, 403, 202, 403]),
    row("GET", "/v1/checkouts/{id}",            [401, 401, 401, 401, 404, 200, 200]),
    row("GET", "/v1/payments/{order_id}",       [401, 401, 401, 401, 404, 200, 200]),
    row("GET", "/health/live",                  [200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/health/ready",                 [200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/openapi.json",                 [200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/metrics",                      [200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/v1/admin/outbox",              [401, 401, 401, 401, 403, 403, 200]),
    row("GET", "/v1/admin/faults",              [401, 401, 401, 401, 403, 403, 200]),
    row("PUT", "/v1/admin/faults",              [401, 401, 401, 401, 403, 403, 200]),
    row("GET", "/v1/admin/dead-letters?topic=orderflow.order.v1",
                                                [401, 401, 401, 401, 403, 403, 200]),
    row("GET", "/v1/admin/dead-letters/parked", [401, 401, 401, 401, 403, 403, 200]),
    row("GET", "/v1/admin/dead-letters/{topic}/{partition}/{offset}",
                                                [401, 401, 401, 401, 403, 403, 404]),
    row("POST", "/v1/admin/dead-letters/{topic}/{partition}/{offset}/replay",
                                                [401, 401, 401, 401, 403, 403, 404]),
];

/// Served, but not in the OpenAPI document.
const UNDOCUMENTED: &[(&str, &str)] = &[("GET", "/openapi.json"), ("GET", "/metrics")];

/// The owner's resources, made fresh for each cell so that no cell depends on another.
struct Fixture {
    owner: String,
    /// A session of the owner with a full cart, never checked out.
    session: Uuid,
    /// A checkout of the owner (from another session), and a payment of its order.
    checkout: Uuid,
    order: Uuid,
}

async fn fixture(app: &TestApp, row: &Row) -> Fixture {
    let owner = format!("owner-{}", Uuid::now_v7().simple());
    let session = app.filled_session(&owner).await;
    let (mut checkout, order) = (Uuid::nil(), Uuid::now_v7());
    if row.path.contains("{id}") || row.path.contains("{order_id}") {
        let other = app.filled_session(&owner).await;
        let key = Uuid::now_v7().to_string();
        let response = app.checkout(other, &owner, &key, &visa()).await;
        assert_eq!(response.status(), 202);
        let body: Value = response.json().await.expect("json");
        checkout = body["checkout_id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("uuid");
        sqlx::query(
            "INSERT INTO payments (id, order_id, checkout_id, amount_minor, currency, status, attempts)
             VALUES ($1, $2, $3, 17800, 'USD', 'AUTHORIZED', 1)",
        )
        .bind(Uuid::now_v7())
        .bind(order)
        .bind(checkout)
        .execute(&app.db)
        .await
        .expect("insert a payment");
    }
    Fixture {
        owner,
        session,
        checkout,
        order,
    }
}

fn path(row: &Row, fixture: &Fixture) -> String {
    row.path
        .replace("{sku}", "KB-001")
        .replace("{id}", &fixture.checkout.to_string())
        .replace("{order_id}", &fixture.order.to_string())
        .replace("{topic}", events::topics::ORDER)
        .replace("{partition}", "0")
        .replace("{offset}", "0")
}

/// Sends `row` as `who`; a mismatch or a leak is returned as a line of the failure report.
async fn try_cell(app: &TestApp, row: &Row, who: Who, expected: u16) -> Option<String> {
    let fixture = fixture(app, row).await;
    let method = row.method.parse().expect("method");
    let mut request = app
        .client
        .request(method, app.url(&path(row, &fixture)))
        .header("X-Session-Id", fixture.session.to_string())
        .header("Idempotency-Key", Uuid::now_v7().to_string());
    if let Some(value) = authz::bearer(who, &fixture.owner, SECRET) {
        request = request.header("Authorization", value);
    }
    if row.method == "PUT" || row.method == "POST" {
        let body = if row.path.ends_with("{sku}") {
            json!({ "quantity": 1 })
        } else if row.path == "/v1/admin/faults" {
            json!({}) // every flag off: what the run already has
        } else {
            visa()
        };
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let body = response.text().await.expect("body");
    let cell = format!("{} {} as {who:?}", row.method, row.path);
    if status != expected {
        return Some(format!("{cell}: {status}, expected {expected}: {body}"));
    }
    leak(who, status, &body, &fixture).map(|what| format!("{cell}: the body shows {what}"))
}

/// What of the owner's a non-owner's response shows, if anything. An error may echo an id
/// from the request's own path; a success must show no id of the owner's at all.
fn leak(who: Who, status: u16, body: &str, fixture: &Fixture) -> Option<String> {
    if matches!(who, Who::Owner | Who::Admin) {
        return None;
    }
    if body.contains(&fixture.owner) {
        return Some("the owner's customer id".to_owned());
    }
    let ids = [fixture.session, fixture.checkout, fixture.order];
    (status < 400)
        .then(|| ids.iter().find(|id| body.contains(&id.to_string())))
        .flatten()
        .map(|id| format!("the owner's resource {id}"))
}

#[tokio::test]
async fn every_endpoint_answers_every_kind_of_caller_as_the_matrix_says() {
    let app = spawn_app().await;
    let doc = app.openapi().await;
    authz::assert_rows_cover(ROWS, &doc, UNDOCUMENTED);

    authz::assert_matrix(ROWS, async |row, who, expected| {
        try_cell(&app, row, who, expected).await
    })
    .await;
}

#[tokio::test]
async fn a_method_no_row_tries_is_not_allowed_on_any_path_of_the_matrix() {
    let app = spawn_app().await;
    let admin = app.admin_token();
    let fixture = fixture(&app, &ROWS[0]).await;

    for (method, template) in authz::untried_methods(ROWS) {
        let probe = row(method, template, [0; 7]);
        let response = app
            .client
            .request(
                method.parse().expect("method"),
                app.url(&path(&probe, &fixture)),
            )
            .bearer_auth(&admin)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 405, "{method} {template}");
    }
}

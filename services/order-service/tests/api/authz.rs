//! The authorization matrix: every endpoint of order-service (its own and the backbone's
//! operator routes) tried by every kind of caller, each cell on a fresh order of one owner.

use test_support::authz::{self, Row, Who, row};
use uuid::Uuid;

use crate::helpers::{SECRET, TestApp, spawn_app};

/// Columns: anonymous, malformed token, another secret, expired, another customer, the owner,
/// an admin. Another customer's order is 404, as if it did not exist: a 403 would confirm it.
#[rustfmt::skip]
const ROWS: &[Row] = &[
    row("GET", "/v1/orders",                    [401, 401, 401, 401, 200, 200, 200]),
    row("GET", "/v1/orders/{id}",               [401, 401, 401, 401, 404, 200, 200]),
    row("POST", "/v1/orders/{id}/cancel",       [401, 401, 401, 401, 404, 200, 200]),
    row("GET", "/health/live",                  [200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/health/ready",                 [200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/openapi.json",                 [200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/metrics",                      [200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/v1/admin/outbox",              [401, 401, 401, 401, 403, 403, 200]),
    row("GET", "/v1/admin/faults",              [401, 401, 401, 401, 403, 403, 200]),
    row("PUT", "/v1/admin/faults",              [401, 401, 401, 401, 403, 403, 200]),
    row("GET", "/v1/admin/dead-letters?topic=orderflow.checkout.v1",
                                                [401, 401, 401, 401, 403, 403, 200]),
    row("GET", "/v1/admin/dead-letters/parked", [401, 401, 401, 401, 403, 403, 200]),
    row("GET", "/v1/admin/dead-letters/{topic}/{partition}/{offset}",
                                                [401, 401, 401, 401, 403, 403, 404]),
    row("POST", "/v1/admin/dead-letters/{topic}/{partition}/{offset}/replay",
                                                [401, 401, 401, 401, 403, 403, 404]),
];

/// Served, but not in the OpenAPI document.
const UNDOCUMENTED: &[(&str, &str)] = &[("GET", "/openapi.json"), ("GET", "/metrics")];

fn path(row: &Row, order: Uuid) -> String {
    row.path
        .replace("{id}", &order.to_string())
        .replace("{topic}", events::topics::CHECKOUT)
        .replace("{partition}", "0")
        .replace("{offset}", "0")
}

/// Sends `row` as `who`; a mismatch or a leak is returned as a line of the failure report.
async fn try_cell(app: &TestApp, row: &Row, who: Who, expected: u16) -> Option<String> {
    let owner = format!("owner-{}", Uuid::now_v7().simple());
    let order = app.place_order(&owner).await;
    let method = row.method.parse().expect("method");
    let mut request = app.client.request(method, app.url(&path(row, order)));
    if let Some(value) = authz::bearer(who, &owner, SECRET) {
        request = request.header("Authorization", value);
    }
    if row.method == "PUT" {
        request = request.json(&serde_json::json!({})); // the fault flags, every one off
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let body = response.text().await.expect("body");
    let cell = format!("{} {} as {who:?}", row.method, row.path);
    if status != expected {
        return Some(format!("{cell}: {status}, expected {expected}: {body}"));
    }
    // A non-owner's success (another customer's order list, say) must not show the order; an
    // error may echo the id from its own path, never the owner.
    let shows_order = status < 400 && body.contains(&order.to_string());
    let leaked = !matches!(who, Who::Owner | Who::Admin) && (body.contains(&owner) || shows_order);
    leaked.then(|| format!("{cell}: the body shows the owner's order: {body}"))
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
    let order = app.place_order("someone").await;

    for (method, template) in authz::untried_methods(ROWS) {
        let probe = row(method, template, [0; 7]);
        let response = app
            .client
            .request(
                method.parse().expect("method"),
                app.url(&path(&probe, order)),
            )
            .bearer_auth(&admin)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 405, "{method} {template}");
    }
}

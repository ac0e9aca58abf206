//! The fault flags: `GET`/`PUT /v1/admin/faults`, `FAULT_FLAGS` at start, and what
//! `fail_readiness` and `db_latency_ms` do to a running service.

use serde_json::{Value, json};

use crate::helpers::{Deps, TestApp, assert_problem, spawn_app, spawn_app_with};

const ALL_OFF: &str = r#"{"payment_unreachable":false,"payment_slow_ms":0,"db_latency_ms":0,"kafka_produce_fail_rate":0.0,"fail_readiness":false}"#;

fn all_off() -> Value {
    serde_json::from_str(ALL_OFF).expect("json")
}

async fn put_faults(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url("/v1/admin/faults"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn get_faults(app: &TestApp) -> Value {
    let response = app
        .get("/v1/admin/faults")
        .bearer_auth(app.admin_token())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

async fn readiness(app: &TestApp) -> (u16, Value) {
    let response = app.get("/health/ready").send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// `faults_fired_total{flag="<flag>"}` in the service's `/metrics`.
async fn fired(app: &TestApp, flag: &str) -> f64 {
    let series = format!("faults_fired_total{{flag=\"{flag}\"}}");
    test_support::metric(&app.client, &app.url("/metrics"), &series).await
}

#[tokio::test]
async fn the_fault_flags_are_for_admins_only() {
    let app = spawn_app().await;
    let customer = app.token("alice");

    let anonymous = app.get("/v1/admin/faults").send().await.expect("request");
    let read = app
        .get("/v1/admin/faults")
        .bearer_auth(&customer)
        .send()
        .await
        .expect("request");
    let write = put_faults(&app, &customer, &json!({ "fail_readiness": true })).await;

    assert_problem(anonymous, 401, "missing_token").await;
    assert_problem(read, 403, "admin_required").await;
    assert_problem(write, 403, "admin_required").await;
    assert_eq!(get_faults(&app).await, all_off(), "nothing was changed");
}

#[tokio::test]
async fn an_admin_replaces_the_whole_set_and_reads_it_back() {
    let app = spawn_app().await;
    assert_eq!(get_faults(&app).await, all_off());

    let set = put_faults(
        &app,
        &app.admin_token(),
        &json!({ "kafka_produce_fail_rate": 0.25, "payment_slow_ms": 5 }),
    )
    .await;

    assert_eq!(set.status(), 200);
    let mut expected = all_off();
    expected["kafka_produce_fail_rate"] = json!(0.25);
    expected["payment_slow_ms"] = json!(5);
    assert_eq!(set.json::<Value>().await.expect("json"), expected);
    assert_eq!(get_faults(&app).await, expected);

    let cleared = put_faults(&app, &app.admin_token(), &json!({})).await;

    assert_eq!(cleared.status(), 200);
    assert_eq!(get_faults(&app).await, all_off(), "a flag left out is off");
}

#[tokio::test]
async fn a_flag_out_of_range_or_unknown_is_refused_naming_it_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token();
    let before = json!({ "payment_slow_ms": 7 });
    assert_eq!(put_faults(&app, &admin, &before).await.status(), 200);

    for (body, code, field) in [
        (
            json!({ "kafka_produce_fail_rate": 1.5 }),
            "invalid_fault_flag",
            "kafka_produce_fail_rate",
        ),
        (
            json!({ "kafka_produce_fail_rate": -0.1 }),
            "invalid_fault_flag",
            "kafka_produce_fail_rate",
        ),
        (
            json!({ "db_latency_ms": 600_000 }),
            "invalid_fault_flag",
            "db_latency_ms",
        ),
        (
            json!({ "payment_slow_ms": -1 }),
            "invalid_body",
            "payment_slow_ms",
        ),
        (
            json!({ "fail_readiness": "yes" }),
            "invalid_body",
            "fail_readiness",
        ),
    ] {
        let response = put_faults(&app, &admin, &body).await;
        let problem = assert_problem(response, 422, code).await;
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    let unknown = put_faults(&app, &admin, &json!({ "fail_readyness": true })).await;
    let problem = assert_problem(unknown, 422, "invalid_body").await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("fail_readyness")),
        "{problem}"
    );
    let malformed = app
        .client
        .put(app.url("/v1/admin/faults"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_problem(malformed, 400, "malformed_json").await;

    assert_eq!(get_faults(&app).await["payment_slow_ms"], 7);
}

#[tokio::test]
async fn fail_readiness_makes_the_service_not_ready_until_it_is_cleared() {
    let app = spawn_app().await;
    let admin = app.admin_token();

    put_faults(&app, &admin, &json!({ "fail_readiness": true })).await;
    let (failing, report) = readiness(&app).await;
    put_faults(&app, &admin, &json!({})).await;
    let (restored, after) = readiness(&app).await;

    assert_eq!(failing, 503);
    assert_eq!(report["checks"]["fault_flag"], "down", "{report}");
    assert_eq!(report["checks"]["postgres"], "up", "{report}");
    assert_eq!(restored, 200);
    assert!(after["checks"].get("fault_flag").is_none(), "{after}");
    assert_eq!(
        app.get("/health/live").send().await.expect("live").status(),
        200
    );
}

#[tokio::test]
async fn flags_from_fault_flags_at_start_are_in_force_and_fire_where_they_apply() {
    let database_url = test_support::fresh_database().await;
    let app = spawn_app_with(
        Deps {
            database_url,
            redis_url: test_support::redis_url(),
        },
        &[("FAULT_FLAGS", "fail_readiness=true, db_latency_ms=1")],
    )
    .await;

    let flags = get_faults(&app).await;
    let (ready, _) = readiness(&app).await;
    let products = app.get("/v1/products").send().await.expect("request");

    assert_eq!(flags["fail_readiness"], true);
    assert_eq!(flags["db_latency_ms"], 1);
    assert_eq!(ready, 503);
    assert_eq!(products.status(), 200, "a slower database still answers");
    assert!(fired(&app, "db_latency_ms").await >= 1.0);
    assert!(fired(&app, "fail_readiness").await >= 1.0);
    assert_eq!(fired(&app, "payment_unreachable").await, 0.0);
}

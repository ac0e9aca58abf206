//! The session store over TLS, as ElastiCache runs it: a Redis of the test's own that speaks
//! TLS only, its certificate signed by a CA the test makes. Trusting that CA
//! (`SESSION_STORE_CA_FILE`), sessions and carts work; trusting another, the service does not
//! start, and says why by naming the setting.

use checkout_service::settings::Settings;
use serde_json::json;
use service_kit::command::Env;
use test_support::service;
use test_support::tls::{Ca, TlsRedis};

use crate::helpers::{Deps, SECRET, spawn_app_with};

#[tokio::test(flavor = "multi_thread")]
async fn sessions_and_carts_live_in_a_redis_that_speaks_tls_only() {
    let ca = Ca::new();
    let redis = TlsRedis::start(&ca).await;
    let ca_file = ca.certificate().display().to_string();
    let deps = Deps {
        database_url: test_support::fresh_database().await,
        redis_url: redis.url(),
    };
    let app = spawn_app_with(deps, &[("SESSION_STORE_CA_FILE", &ca_file)]).await;

    let session = app.create_session(Some("alice")).await;
    let cart = app
        .put_item(session, Some("alice"), "KB-001", json!({ "quantity": 2 }))
        .await;
    assert_eq!(cart.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_whose_certificate_does_not_verify_stops_the_start_naming_session_store() {
    let (ca, other) = (Ca::new(), Ca::new());
    let redis = TlsRedis::start(&ca).await;
    let mut vars = service::environment(
        &test_support::fresh_database().await,
        SECRET,
        &test_support::kafka_brokers(),
        "tls",
    );
    vars.extend([
        ("SESSION_STORE", redis.url()),
        (
            "SESSION_STORE_CA_FILE",
            other.certificate().display().to_string(),
        ),
    ]);
    let settings = Settings::from_env(Env::from_pairs(vars)).expect("settings");
    let error = checkout_service::startup::build(settings)
        .await
        .expect_err("the start must stop");
    let message = format!("{error:#}");
    assert!(message.contains("SESSION_STORE"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_that_refuses_the_password_stops_the_start_without_showing_it() {
    let ca = Ca::new();
    let redis = TlsRedis::start_with_password(&ca, "the-right-redis-password").await;
    let ca_file = ca.certificate().display().to_string();
    let deps = Deps {
        database_url: test_support::fresh_database().await,
        redis_url: redis.url_with_password("the-right-redis-password"),
    };
    let app = spawn_app_with(deps, &[("SESSION_STORE_CA_FILE", &ca_file)]).await;
    let session = app.create_session(Some("alice")).await;
    let cart = app
        .put_item(session, Some("alice"), "KB-001", json!({ "quantity": 1 }))
        .await;
    assert_eq!(cart.status(), 200, "the store took AUTH over TLS");

    let mut vars = service::environment(
        &test_support::fresh_database().await,
        SECRET,
        &test_support::kafka_brokers(),
        "tls",
    );
    vars.extend([
        ("SESSION_STORE", redis.url_with_password("a-wrong-password")),
        ("SESSION_STORE_CA_FILE", ca_file),
    ]);
    let settings = Settings::from_env(Env::from_pairs(vars)).expect("settings");
    let error = checkout_service::startup::build(settings)
        .await
        .expect_err("the start must stop");
    let message = format!("{error:#}");
    assert!(message.contains("SESSION_STORE"), "{message}");
    assert!(!message.contains("a-wrong-password"), "{message}");
}

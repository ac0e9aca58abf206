//! Postgres over TLS, as RDS runs it: a server of the test's own that accepts TLS connections
//! only, its certificate signed by a CA the test makes. With `sslmode=verify-full` and that CA
//! in `sslrootcert`, the service serves; with another CA, or without TLS, it does not start,
//! and says why by naming the setting, never its secret.

use order_service::settings::Settings;
use service_kit::command::Env;
use test_support::service;
use test_support::tls::{Ca, TlsPostgres};

use crate::helpers::{SECRET, spawn_app_on};

#[tokio::test(flavor = "multi_thread")]
async fn the_service_serves_from_a_database_that_requires_tls_with_its_certificate_verified() {
    let ca = Ca::new();
    let postgres = TlsPostgres::start(&ca);
    let url = postgres.verified_url(&ca.certificate());
    let app = spawn_app_on(&url, &url).await;

    let orders = app
        .client
        .get(app.url("/v1/orders"))
        .bearer_auth(app.token("alice"))
        .send()
        .await
        .expect("request");
    assert_eq!(orders.status(), 200, "a query over TLS");
    let encrypted: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&app.db)
            .await
            .expect("pg_stat_ssl");
    assert!(encrypted);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_ca_or_no_tls_stops_the_start_naming_database_url_and_never_its_password() {
    let (ca, other) = (Ca::new(), Ca::new());
    let postgres = TlsPostgres::start(&ca);
    for url in [
        postgres.verified_url(&other.certificate()),
        postgres.url("sslmode=disable"),
    ] {
        let mut vars = service::environment(&url, SECRET, &test_support::kafka_brokers(), "tls");
        vars.push(("DB_ACQUIRE_TIMEOUT", "2s".to_owned()));
        let settings = Settings::from_env(Env::from_pairs(vars)).expect("settings");
        let error = order_service::startup::build(settings)
            .await
            .expect_err("the start must stop");
        let message = format!("{error:#}");
        assert!(message.contains("DATABASE_URL"), "{message}");
        assert!(!message.contains("not-shown-anywhere"), "{message}");
    }
}

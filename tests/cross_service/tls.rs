//! The whole saga with every connection encrypted and verified, as production runs it: a
//! Postgres that accepts TLS only (`sslmode=verify-full`), a Redis on a TLS port that requires
//! AUTH, and an Apache Kafka broker whose only listeners the services are given are `SSL` and
//! `SASL_SSL` with SCRAM-SHA-512. Every certificate comes from a CA the test makes, and the
//! services run as their own processes, configured only by the documented settings; with
//! another CA or a wrong password, a service does not start, and names the setting.

use std::time::Duration;

use orderflow_tests::{Options, System};
use test_support::kafka::{KafkaCluster, Tls};
use test_support::service;
use test_support::tls::{Ca, TlsPostgres, TlsRedis};

const SAGA: Duration = Duration::from_secs(60);
const KAFKA_USER: &str = "orderflow";
const KAFKA_PASSWORD: &str = "scram-password-of-the-test";
const REDIS_PASSWORD: &str = "redis-password-of-the-test";

#[tokio::test(flavor = "multi_thread")]
async fn a_checkout_completes_over_tls_to_postgres_redis_and_kafka_with_certificates_verified() {
    let ca = Ca::new();
    let postgres = TlsPostgres::start(&ca);
    let redis = TlsRedis::start_with_password(&ca, REDIS_PASSWORD).await;
    let kafka = KafkaCluster::start_with_tls(
        1,
        Tls {
            keystore: ca.keystore(),
            users: vec![(KAFKA_USER.to_owned(), KAFKA_PASSWORD.to_owned())],
        },
    )
    .await;
    let ca_file = ca.certificate().display().to_string();
    let (sasl_ssl, ssl) = (kafka.sasl_ssl_bootstrap(), kafka.ssl_bootstrap());
    let session_store = redis.url_with_password(REDIS_PASSWORD);
    // order-service (and the test's own clients) over SASL_SSL; checkout-service over plain
    // SSL: both protocols carry the same saga.
    let sasl = [
        ("KAFKA_SECURITY_PROTOCOL", "sasl_ssl"),
        ("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
        ("KAFKA_SASL_USERNAME", KAFKA_USER),
        ("KAFKA_SASL_PASSWORD", KAFKA_PASSWORD),
        ("KAFKA_SSL_CA_FILE", &ca_file),
    ];
    let system = System::start_with(Options {
        processes: true,
        database_server: Some(postgres.verified_url(&ca.certificate())),
        brokers: Some(sasl_ssl),
        kafka_env: &sasl,
        checkout_extra: &[
            ("KAFKA_BROKERS", &ssl),
            ("KAFKA_SECURITY_PROTOCOL", "ssl"),
            ("KAFKA_SASL_MECHANISM", ""),
            ("KAFKA_SASL_USERNAME", ""),
            ("KAFKA_SASL_PASSWORD", ""),
            ("SESSION_STORE", &session_store),
            ("SESSION_STORE_CA_FILE", &ca_file),
        ],
        ..Options::default()
    })
    .await;

    let (_, paid) = system.submit_checkout("alice", "tok_visa").await;
    let (_, declined) = system.submit_checkout("bob", "tok_chargeDeclined").await;

    let paid = system.wait_final("alice", &paid, SAGA).await;
    assert_eq!(paid["status"], "COMPLETED", "{paid}");
    let declined = system.wait_final("bob", &declined, SAGA).await;
    assert_eq!(declined["status"], "FAILED", "{declined}");
    let order_id = paid["order_id"].as_str().expect("order id");
    let (_, order) = system
        .get_json(&system.order(&format!("/v1/orders/{order_id}")), "alice")
        .await;
    assert_eq!(order["status"], "CONFIRMED", "{order}");
    // Every event went over TLS: the broker's topics hold them, read back over SASL_SSL.
    assert_eq!(system.records(events::topics::CHECKOUT).await.len(), 2);
    let encrypted: Vec<bool> = sqlx::query_scalar(
        "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.datname = current_database() AND a.backend_type = 'client backend'",
    )
    .fetch_all(&system.order_db)
    .await
    .expect("pg_stat_ssl");
    assert!(
        encrypted.len() > 1 && encrypted.iter().all(|ssl| *ssl),
        "every connection to order-service's database is TLS: {encrypted:?}"
    );

    // The same service with another CA, or a wrong password, does not start, and says which
    // setting to fix without showing a secret.
    let other_ca = Ca::new();
    let other_ca_file = other_ca.certificate().display().to_string();
    let database = postgres.verified_url(&ca.certificate());
    for (change, setting) in [
        (
            ("KAFKA_SSL_CA_FILE", other_ca_file.as_str()),
            "KAFKA_SSL_CA_FILE",
        ),
        (
            ("KAFKA_SASL_PASSWORD", "a-wrong-password"),
            "KAFKA_SASL_PASSWORD",
        ),
    ] {
        let mut env = service::environment(
            &database,
            "a-jwt-secret-of-32-bytes-or-more!",
            &kafka.sasl_ssl_bootstrap(),
            "tls",
        );
        env.extend(sasl.iter().map(|(k, v)| (*k, (*v).to_owned())));
        env.push((change.0, change.1.to_owned()));
        let output = refused_start("order-service", &env).await;
        assert!(output.contains(setting), "{output}");
        for secret in [KAFKA_PASSWORD, "a-wrong-password"] {
            assert!(!output.contains(secret), "{output}");
        }
    }
}

/// Runs service `name` with exactly `env` (and `PATH`), which must make it stop: its output.
async fn refused_start(name: &str, env: &[(&str, String)]) -> String {
    use std::process::{Command, Stdio};
    let mut child = Command::new(service::binary(name))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("HTTP_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the service runs");
    let stopped = orderflow_tests::eventually(SAGA, || {
        let status = child.try_wait().expect("wait");
        async move { status }
    })
    .await;
    if stopped.is_none() {
        let _ = child.kill();
    }
    let output = child.wait_with_output().expect("its output");
    assert!(stopped.is_some(), "{name} served instead of stopping");
    assert!(!output.status.success(), "{name} must not start");
    String::from_utf8_lossy(&output.stderr).into_owned() + &String::from_utf8_lossy(&output.stdout)
}

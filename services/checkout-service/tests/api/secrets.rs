//! The JWT secret and the database password never show: not in the logs (of the real binary,
//! at debug level), not in any response body or header, not in `/metrics`, not in the message
//! of a settings error. Nor does a caller's bearer token reach the logs.

use std::fs::File;
use std::process::{Command, Stdio};
use std::time::Duration;

use http_kit::auth::JwtKeys;
use secrecy::SecretString;
use serde_json::json;
use test_support::TcpProxy;
use uuid::Uuid;

const JWT_SECRET: &str = "jwt-secret-that-must-never-leak-0123456789";
const DB_PASSWORD: &str = "db-password-that-must-never-leak";
const BINARY: &str = env!("CARGO_BIN_EXE_checkout-service");

/// The binary's environment: the secrets, a fresh database through `proxy` with a password
/// in its URL (the test server trusts local connections, so the password is not checked, but
/// it is parsed, held and used as in production), and debug logs as JSON.
fn environment(port: u16, database_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("HTTP_ADDR", format!("127.0.0.1:{port}")),
        ("DATABASE_URL", database_url.to_owned()),
        ("AUTH_JWT_SECRET", JWT_SECRET.to_owned()),
        ("DB_ACQUIRE_TIMEOUT", "1s".to_owned()),
        ("SESSION_STORE", test_support::redis_url()),
        ("REDIS_KEY_PREFIX", test_support::unique_prefix()),
        ("KAFKA_BROKERS", test_support::kafka_brokers()),
        ("KAFKA_TOPIC_PREFIX", test_support::unique_topic_prefix()),
        ("LOG_FORMAT", "json".to_owned()),
        ("RUST_LOG", "debug".to_owned()),
    ]
}

fn assert_secret_free(what: &str, text: &str) {
    for secret in [JWT_SECRET, DB_PASSWORD] {
        assert!(!text.contains(secret), "{what} shows a secret:\n{text}");
    }
}

/// The binary, killed when the test ends however it ends.
struct Service(std::process::Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

async fn wait_until_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        let ready = client.get(format!("{base}/health/ready")).send().await;
        if ready.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("checkout-service did not become ready");
}

/// Every request a hostile or unlucky client might send, answered with the database up.
fn hostile_requests(
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> Vec<reqwest::RequestBuilder> {
    let foreign = JwtKeys::hs256(&SecretString::from("some-other-secret-0123456789abcdef"));
    let url = |path: &str| format!("{base}{path}");
    vec![
        client
            .get(url("/v1/checkouts/not-a-uuid"))
            .bearer_auth(token),
        client
            .get(url("/v1/checkouts/0193a1b2-0000-7000-8000-000000000000"))
            .bearer_auth("x.y.z"),
        client
            .get(url("/v1/admin/outbox"))
            .bearer_auth(foreign.issue("ops", true, Duration::from_secs(60))),
        client
            .get(url("/v1/admin/outbox"))
            .header("Authorization", "Basic b3BzOm9wcw=="),
        client
            .get(url("/v1/admin/dead-letters?topic=nope"))
            .bearer_auth(token),
        client
            .post(url("/v1/checkouts"))
            .bearer_auth(token)
            .header("Idempotency-Key", "k1")
            .header("X-Session-Id", Uuid::new_v4().to_string())
            .header("Content-Type", "application/json")
            .body("{not json"),
        client
            .put(url("/v1/cart/items/KB-001"))
            .header("X-Session-Id", "not-a-session")
            .body("quantity=1"),
        client.get(url("/v1/nowhere")),
        client
            .get(url("/v1/products"))
            .header("X-Filler", "a".repeat(20_000)),
        client.get(url("/openapi.json")),
        client.get(url("/metrics")),
        client.get(url("/health/ready")),
    ]
}

async fn transcript(requests: Vec<reqwest::RequestBuilder>) -> String {
    let mut text = String::new();
    for request in requests {
        let response = request.send().await.expect("request");
        text.push_str(&format!("{:?}\n", response.headers()));
        text.push_str(&response.text().await.expect("body"));
        text.push('\n');
    }
    text
}

#[tokio::test]
async fn no_secret_reaches_the_logs_the_responses_or_the_metrics() {
    let database = test_support::fresh_database().await;
    let db = sqlx::PgPool::connect(&database).await.expect("connect");
    checkout_service::MIGRATOR.run(&db).await.expect("migrate");
    let postgres = TcpProxy::start(&test_support::postgres_addr()).await;
    let with_password = database.replace(
        &format!("postgres@{}", test_support::postgres_addr()),
        &format!("postgres:{DB_PASSWORD}@{}", postgres.addr()),
    );
    assert!(with_password.contains(DB_PASSWORD), "{with_password}");
    let port = free_port();
    let log_path = std::env::temp_dir().join(format!("secrets-{}.log", Uuid::now_v7()));
    let log = File::create(&log_path).expect("log file");
    let service = Service(
        Command::new(BINARY)
            .arg("serve")
            .env_clear()
            .envs(environment(port, &with_password))
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start checkout-service"),
    );
    let (client, base) = (reqwest::Client::new(), format!("http://127.0.0.1:{port}"));
    wait_until_ready(&client, &base).await;
    let keys = JwtKeys::hs256(&SecretString::from(JWT_SECRET));
    let token = keys.issue("alice", false, Duration::from_secs(600));
    let admin = keys.issue("ops", true, Duration::from_secs(600));

    let mut responses = transcript(hostile_requests(&client, &base, &token)).await;
    let outbox = client
        .get(format!("{base}/v1/admin/outbox"))
        .bearer_auth(&admin);
    responses.push_str(&transcript(vec![outbox]).await);
    // Postgres gone: the pool's connection errors are logged and answered.
    postgres.cut();
    let during_outage = vec![
        client.get(format!("{base}/v1/products")),
        client.get(format!("{base}/health/ready")),
        client
            .get(format!("{base}/v1/admin/outbox"))
            .bearer_auth(&admin),
        client
            .put(format!("{base}/v1/cart/items/KB-001"))
            .bearer_auth(&token)
            .header("X-Session-Id", Uuid::new_v4().to_string())
            .json(&json!({ "quantity": 1 })),
        client.get(format!("{base}/metrics")),
    ];
    responses.push_str(&transcript(during_outage).await);
    drop(service);
    let logs = std::fs::read_to_string(&log_path).expect("logs");
    let _ = std::fs::remove_file(&log_path);

    assert!(
        logs.contains("checkout-service listening"),
        "logs not captured:\n{logs}"
    );
    assert!(responses.contains("dependency_unavailable"), "{responses}");
    assert_secret_free("a response", &responses);
    assert_secret_free("the log", &logs);
    for bearer in [&token, &admin] {
        assert!(
            !logs.contains(bearer.as_str()),
            "the log shows a bearer token"
        );
    }
}

#[test]
fn a_settings_error_names_the_variable_but_never_a_secret() {
    let bad_url = format!("postgres://postgres:{DB_PASSWORD}@127.0.0.1:not-a-port/x");
    let mut env = environment(free_port(), &bad_url);
    env.push(("DB_POOL_MAX", "lots".to_owned()));

    let output = Command::new(BINARY)
        .arg("serve")
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .output()
        .expect("run checkout-service");

    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("DATABASE_URL") && stderr.contains("DB_POOL_MAX"),
        "{stderr}"
    );
    assert_secret_free("the settings error", &stderr);
    assert_secret_free("the output", &String::from_utf8_lossy(&output.stdout));
}

#![doc = include_str!("../README.md")]

pub mod authz;
pub mod jwks;
pub mod kafka;
pub mod otlp;
mod proxy;
pub mod service;
pub mod tls;
pub mod topics;

pub use kafka::KafkaCluster;
pub use proxy::TcpProxy;

use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use uuid::Uuid;

/// Prefix of every database the tests create.
pub const TEST_DATABASE_PREFIX: &str = "orderflow_test_";

/// URL of a database on the test server with maintenance rights (to create others); the
/// default is the cluster `make test` starts (scripts/services.sh).
pub fn admin_database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:55432/postgres".to_owned())
}

/// URL of the test Redis.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:56379".to_owned())
}

/// `host:port` of the test Postgres: what a [`TcpProxy`] in front of it forwards to, and what
/// to replace in a database URL to go through the proxy.
pub fn postgres_addr() -> String {
    authority(&admin_database_url())
}

/// `host:port` of the test Redis.
pub fn redis_addr() -> String {
    authority(&redis_url())
}

/// The `host:port` of a URL such as `postgres://user@host:port/db`.
fn authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['/', '?']).next().unwrap_or(rest);
    rest.rsplit_once('@')
        .map_or(rest, |(_, host)| host)
        .to_owned()
}

/// The test broker (`TEST_KAFKA_BROKERS`, default the one `make test` starts).
pub fn kafka_brokers() -> String {
    std::env::var("TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// A topic (and consumer group) prefix no other test uses.
pub fn unique_topic_prefix() -> String {
    format!("t{}.", Uuid::now_v7().simple())
}

/// A key prefix no other test uses.
pub fn unique_prefix() -> String {
    format!("test:{}", Uuid::now_v7().simple())
}

/// Creates an empty database and returns its URL.
pub async fn fresh_database() -> String {
    fresh_database_on(&admin_database_url()).await
}

/// A fresh database on the server of `admin_url` (a URL of an existing database, whose query,
/// TLS parameters say, the returned URL keeps).
pub async fn fresh_database_on(admin_url: &str) -> String {
    let name = format!("{TEST_DATABASE_PREFIX}{}", Uuid::now_v7().simple());
    let mut admin = PgConnection::connect(admin_url)
        .await
        .expect("the test Postgres must be running (see README: make test)");
    // The name is generated here, never user input: safe to format into the statement.
    admin
        .execute(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .await
        .expect("create test database");
    let (url, query) = admin_url.split_once('?').unwrap_or((admin_url, ""));
    let (base, _) = url.rsplit_once('/').expect("database URL has a path");
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{base}/{name}{query}")
}

/// Asserts a problem+json response with `status` and `code`, and returns its body.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    assert_eq!(response.status(), status, "status of a `{code}` problem");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.expect("problem body");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    body
}

/// Asserts that every parameter an OpenAPI document declares `in: path` is a `{name}` of its
/// route template: a query struct documented without `parameter_in = Query` lands in the path,
/// where no client (and no fuzzer) ever sends it.
pub fn assert_path_parameters_are_in_their_templates(doc: &serde_json::Value) {
    let paths = doc["paths"].as_object().expect("paths");
    for (template, operations) in paths {
        for (method, operation) in operations.as_object().expect("operations") {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "path" {
                    let name = parameter["name"].as_str().expect("parameter name");
                    assert!(
                        template.contains(&format!("{{{name}}}")),
                        "{method} {template} declares path parameter {name:?} that is not in its path"
                    );
                }
            }
        }
    }
}

/// The declared parameter `name` of `method path` in an OpenAPI document.
pub fn openapi_parameter<'a>(
    doc: &'a serde_json::Value,
    method: &str,
    path: &str,
    name: &str,
) -> &'a serde_json::Value {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .and_then(|params| params.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("{method} {path} declares no parameter {name:?}"))
}

/// Asserts that no two operations of an OpenAPI document share an `operationId` (the spec
/// requires them unique; links and generated clients name operations by it).
pub fn assert_operation_ids_are_unique(doc: &serde_json::Value) {
    let mut seen = std::collections::HashMap::new();
    for (template, operations) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {template} has no operationId"));
            if let Some(other) = seen.insert(id.to_owned(), format!("{method} {template}")) {
                panic!("operationId {id:?} of {method} {template} is also that of {other}");
            }
        }
    }
}

/// The value of the Prometheus series `series` (name and labels, e.g.
/// `faults_fired_total{flag="fail_readiness"}`) in the `/metrics` at `url`; panics when absent.
pub async fn metric(client: &reqwest::Client, url: &str, series: &str) -> f64 {
    let text = client
        .get(url)
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    let label = format!("{series} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&label))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in {url}:\n{text}"))
}

/// Serves `app` on `listener` until `stop` is cancelled (the HTTP servers a test runs in
/// place of a dependency: an OTLP receiver, an identity provider).
pub fn serve_until(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    stop: &tokio_util::sync::CancellationToken,
) {
    let stop = stop.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
    });
}

#[cfg(test)]
mod tests {
    use super::authority;

    #[test]
    fn the_authority_of_a_url_is_its_host_and_port() {
        assert_eq!(
            authority("postgres://postgres@127.0.0.1:55432/postgres"),
            "127.0.0.1:55432"
        );
        assert_eq!(authority("redis://127.0.0.1:56379"), "127.0.0.1:56379");
        assert_eq!(
            authority("postgres://u:p@db:5432/x?sslmode=require"),
            "db:5432"
        );
    }
}

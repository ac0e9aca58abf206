use std::time::Duration;

use events::OrderLine;
use http_kit::auth::JwtKeys;
use messaging::KafkaSettings;
use order_service::orders::store::{self as orders, NewOrder};
use order_service::settings::Settings;
use reqwest::{RequestBuilder, Response};
use secrecy::SecretString;
use settings::Env;
use sqlx::PgPool;
pub use test_support::assert_problem;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const SECRET: &str = "order-tests-secret-at-least-32-bytes!!";

/// A running order-service and its database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: PgPool,
    /// The broker and the topic prefix of this test (its topics are not created).
    pub kafka: KafkaSettings,
    keys: JwtKeys,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn spawn_app() -> TestApp {
    let database_url = test_support::fresh_database().await;
    spawn_app_on(&database_url, &database_url).await
}

/// Starts the app on `app_database_url` (perhaps through a proxy); migrates and seeds through
/// `direct_database_url`.
pub async fn spawn_app_on(app_database_url: &str, direct_database_url: &str) -> TestApp {
    spawn_app_with(app_database_url, direct_database_url, &[]).await
}

/// [`spawn_app_on`] with extra environment `overrides`.
pub async fn spawn_app_with(
    app_database_url: &str,
    direct_database_url: &str,
    overrides: &[(&str, &str)],
) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        drop(telemetry::init(
            "order-service",
            telemetry::LogFormat::Pretty,
            None,
        ));
    }
    let (brokers, prefix) = (
        test_support::kafka_brokers(),
        test_support::unique_topic_prefix(),
    );
    let mut vars = vec![
        ("HTTP_ADDR", "127.0.0.1:0"),
        ("DATABASE_URL", app_database_url),
        ("AUTH_JWT_SECRET", SECRET),
        ("DB_ACQUIRE_TIMEOUT", "1s"),
        ("KAFKA_BROKERS", &brokers),
        ("KAFKA_TOPIC_PREFIX", &prefix),
    ];
    vars.extend_from_slice(overrides);
    let settings = Settings::from_env(Env::from_pairs(vars)).expect("test settings are valid");
    let db = PgPool::connect(direct_database_url)
        .await
        .expect("connect to the test database");
    order_service::MIGRATOR.run(&db).await.expect("migrate");
    let app = order_service::startup::build(settings)
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(shutdown.clone()));
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
        kafka: KafkaSettings::local(&brokers, &prefix),
        keys: JwtKeys::hs256(&SecretString::from(SECRET.to_owned())),
        shutdown,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The service's OpenAPI document.
    pub async fn openapi(&self) -> serde_json::Value {
        self.client
            .get(self.url("/openapi.json"))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }

    pub fn token(&self, customer: &str) -> String {
        self.keys.issue(customer, false, Duration::from_secs(600))
    }

    pub fn admin_token(&self) -> String {
        self.keys.issue("ops", true, Duration::from_secs(600))
    }

    pub fn get_as(&self, customer: &str, path: &str) -> RequestBuilder {
        self.client
            .get(self.url(path))
            .bearer_auth(self.token(customer))
    }

    pub async fn cancel_as(&self, customer: &str, order: Uuid) -> Response {
        self.client
            .post(self.url(&format!("/v1/orders/{order}/cancel")))
            .bearer_auth(self.token(customer))
            .send()
            .await
            .expect("request")
    }

    /// Creates an order of `customer` as the checkout.submitted handler does.
    pub async fn place_order(&self, customer: &str) -> Uuid {
        place_order(&self.db, customer).await
    }
}

pub fn lines() -> Vec<OrderLine> {
    vec![OrderLine {
        sku: "KB-001".into(),
        name: "Mechanical keyboard".into(),
        quantity: 2,
        unit_price_minor: 8900,
    }]
}

pub async fn place_order(db: &PgPool, customer: &str) -> Uuid {
    let lines = lines();
    let mut tx = db.begin().await.expect("begin");
    let id = orders::insert(
        &mut tx,
        &NewOrder {
            checkout_id: Uuid::now_v7(),
            customer_id: customer,
            lines: &lines,
            total_minor: 17800,
            currency: "USD",
        },
    )
    .await
    .expect("insert")
    .expect("a new order");
    tx.commit().await.expect("commit");
    id
}

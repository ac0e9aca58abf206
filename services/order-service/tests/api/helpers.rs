use events::OrderLine;
use messaging::KafkaSettings;
use order_service::orders::store::{self as orders, NewOrder};
use order_service::settings::Settings;
use reqwest::{RequestBuilder, Response};
use settings::Env;
use sqlx::PgPool;
pub use test_support::assert_problem;
use test_support::service::{self, Running, Tokens};
use uuid::Uuid;

pub const SECRET: &str = "order-tests-secret-at-least-32-bytes!!";

/// A running order-service and its database.
pub struct TestApp {
    pub service: Running,
    pub client: reqwest::Client,
    pub db: PgPool,
    /// The broker and the topic prefix of this test (its topics are not created).
    pub kafka: KafkaSettings,
    tokens: Tokens,
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
    service::logs_if_asked("order-service");
    let (brokers, prefix) = (
        test_support::kafka_brokers(),
        test_support::unique_topic_prefix(),
    );
    let mut vars = service::environment(app_database_url, SECRET, &brokers, &prefix);
    vars.push(("DB_ACQUIRE_TIMEOUT", "1s".to_owned()));
    vars.extend(overrides.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let settings = Settings::from_env(Env::from_pairs(vars)).expect("test settings are valid");
    let db = PgPool::connect(direct_database_url)
        .await
        .expect("connect to the test database");
    order_service::MIGRATOR.run(&db).await.expect("migrate");
    let app = order_service::startup::build(settings)
        .await
        .expect("build app");
    TestApp {
        service: Running::start(app.port(), |shutdown| app.run_until_stopped(shutdown)),
        client: reqwest::Client::new(),
        db,
        kafka: KafkaSettings::local(&brokers, &prefix),
        tokens: Tokens::new(SECRET),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        self.service.url(path)
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
        self.tokens.customer(customer)
    }

    pub fn admin_token(&self) -> String {
        self.tokens.admin()
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
            trace_id: None,
        },
    )
    .await
    .expect("insert")
    .expect("a new order");
    tx.commit().await.expect("commit");
    id
}

use checkout_service::settings::Settings;
use reqwest::{RequestBuilder, Response};
use serde_json::{Value, json};
use settings::Env;
use sqlx::PgPool;
pub use test_support::assert_problem;
use test_support::service::{self, Running, Tokens};
use uuid::Uuid;

pub const SECRET: &str = "checkout-tests-secret-at-least-32-bytes";

/// A running checkout-service and handles on what it uses.
pub struct TestApp {
    pub service: Running,
    pub client: reqwest::Client,
    pub db: PgPool,
    pub redis: redis::Client,
    pub prefix: String,
    tokens: Tokens,
}

/// Where the app finds its dependencies (a test may route them through a `TcpProxy`).
pub struct Deps {
    pub database_url: String,
    pub redis_url: String,
}

pub async fn spawn_app() -> TestApp {
    let database_url = test_support::fresh_database().await;
    spawn_app_with(
        Deps {
            database_url,
            redis_url: test_support::redis_url(),
        },
        &[],
    )
    .await
}

/// Starts the app on `deps` with extra environment `overrides`.
pub async fn spawn_app_with(deps: Deps, overrides: &[(&str, &str)]) -> TestApp {
    service::logs_if_asked("checkout-service");
    let prefix = test_support::unique_prefix();
    let mut vars = service::environment(
        &deps.database_url,
        SECRET,
        &test_support::kafka_brokers(),
        &test_support::unique_topic_prefix(),
    );
    vars.extend([
        ("SESSION_STORE", deps.redis_url.clone()),
        ("REDIS_KEY_PREFIX", prefix.clone()),
        ("DB_ACQUIRE_TIMEOUT", "1s".to_owned()),
    ]);
    vars.extend(overrides.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let settings = Settings::from_env(Env::from_pairs(vars)).expect("test settings are valid");
    let db = PgPool::connect(&deps.database_url)
        .await
        .expect("connect to the test database");
    checkout_service::MIGRATOR.run(&db).await.expect("migrate");
    let app = checkout_service::startup::build(settings)
        .await
        .expect("build app");
    TestApp {
        service: Running::start(app.port(), |shutdown| app.run_until_stopped(shutdown)),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        db,
        redis: redis::Client::open(test_support::redis_url()).expect("redis url"),
        prefix,
        tokens: Tokens::new(SECRET),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        self.service.url(path)
    }

    pub fn token(&self, customer: &str) -> String {
        self.tokens.customer(customer)
    }

    pub fn admin_token(&self) -> String {
        self.tokens.admin()
    }

    /// The service's OpenAPI document.
    pub async fn openapi(&self) -> serde_json::Value {
        self.get("/openapi.json")
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    /// A session, bound to `customer` when given.
    pub async fn create_session(&self, customer: Option<&str>) -> Uuid {
        let mut request = self.client.post(self.url("/v1/sessions"));
        if let Some(customer) = customer {
            request = request.bearer_auth(self.token(customer));
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.expect("json");
        body["session_id"]
            .as_str()
            .expect("session_id")
            .parse()
            .expect("uuid")
    }

    pub async fn put_item(
        &self,
        session: Uuid,
        customer: Option<&str>,
        sku: &str,
        body: Value,
    ) -> Response {
        let mut request = self
            .client
            .put(self.url(&format!("/v1/cart/items/{sku}")))
            .header("X-Session-Id", session.to_string())
            .json(&body);
        if let Some(customer) = customer {
            request = request.bearer_auth(self.token(customer));
        }
        request.send().await.expect("request")
    }

    /// A session of `customer` whose cart holds 2 × KB-001 and 1 × MS-002.
    pub async fn filled_session(&self, customer: &str) -> Uuid {
        let session = self.create_session(Some(customer)).await;
        for (sku, quantity) in [("KB-001", 2), ("MS-002", 1)] {
            let response = self
                .put_item(
                    session,
                    Some(customer),
                    sku,
                    json!({ "quantity": quantity }),
                )
                .await;
            assert_eq!(response.status(), 200);
        }
        session
    }

    pub fn checkout_request(
        &self,
        session: Uuid,
        customer: &str,
        key: &str,
        body: &Value,
    ) -> RequestBuilder {
        self.client
            .post(self.url("/v1/checkouts"))
            .bearer_auth(self.token(customer))
            .header("X-Session-Id", session.to_string())
            .header("Idempotency-Key", key)
            .json(body)
    }

    pub async fn checkout(
        &self,
        session: Uuid,
        customer: &str,
        key: &str,
        body: &Value,
    ) -> Response {
        self.checkout_request(session, customer, key, body)
            .send()
            .await
            .expect("request")
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&self.db)
            .await
            .expect("count")
    }
}

pub fn visa() -> Value {
    json!({ "payment": { "card_token": "tok_visa" } })
}

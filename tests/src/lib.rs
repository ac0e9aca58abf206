//! Harness for cross-service tests: the whole system in one process, each service on port 0
//! with its own fresh database, sharing one JWT secret, the real Redis, and the real broker
//! with topics of the test's own.

use std::time::Duration;

use messaging::KafkaSettings;
use serde_json::{Value, json};
use settings::Env;
use sqlx::PgPool;
use test_support::service::{self, Running, Tokens};

const SECRET: &str = "cross-service-tests-secret-32-bytes-min";

/// Both services, running.
#[derive(Debug)]
pub struct System {
    pub checkout_service: Running,
    pub order_service: Running,
    pub client: reqwest::Client,
    pub checkout_db: PgPool,
    pub order_db: PgPool,
    pub kafka: KafkaSettings,
    tokens: Tokens,
}

/// How a test wants the system started.
#[derive(Debug, Default)]
pub struct Options<'a> {
    /// Extra settings of checkout-service (e.g. a short `SAGA_TIMEOUT`).
    pub checkout_extra: &'a [(&'static str, &'a str)],
    pub order_extra: &'a [(&'static str, &'a str)],
    /// Where order-service reaches Postgres (a `TcpProxy` in front of the test Postgres).
    pub order_postgres: Option<std::net::SocketAddr>,
    /// Another broker than the shared test broker.
    pub brokers: Option<String>,
    /// Replicas of the test's topics (`min.insync.replicas` one less): for a cluster of the
    /// test's own.
    pub replication_factor: Option<i32>,
    /// Each service runs as its own process, as it is deployed (its binary, its own telemetry),
    /// with the extra settings above as its environment.
    pub processes: bool,
    /// A URL of a database on another Postgres server than the test Postgres (with TLS
    /// parameters, say): the test's databases are created there, their URLs keep its query.
    pub database_server: Option<String>,
    /// `KAFKA_*` settings of both services and of the test's own clients (TLS and SASL).
    pub kafka_env: &'a [(&'static str, &'a str)],
}

impl System {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options<'_>) -> Self {
        let Options {
            checkout_extra,
            order_extra,
            order_postgres,
            brokers,
            replication_factor,
            processes,
            database_server,
            kafka_env,
        } = options;
        service::logs_if_asked("tests");
        let prefix = test_support::unique_topic_prefix();
        let brokers = brokers.unwrap_or_else(test_support::kafka_brokers);
        let mut kafka = KafkaSettings::local(&brokers, &prefix);
        if !kafka_env.is_empty() {
            let mut env = Env::from_pairs(kafka_env.iter().copied());
            let secured = KafkaSettings::read(&mut env).expect("the test's KAFKA_* settings");
            env.finish().expect("the test's KAFKA_* settings");
            kafka.security_protocol = secured.security_protocol;
            kafka.sasl_mechanism = secured.sasl_mechanism;
            kafka.sasl_username = secured.sasl_username;
            kafka.sasl_password = secured.sasl_password;
            kafka.ssl_ca_file = secured.ssl_ca_file;
        }
        if let Some(replicas) = replication_factor {
            kafka.replication_factor = replicas;
            kafka.min_insync_replicas = (replicas - 1).max(1);
        }
        messaging::topics::ensure(&kafka)
            .await
            .expect("create the test's topics (is the broker running?)");

        let server = database_server.unwrap_or_else(test_support::admin_database_url);
        let checkout_db_url = test_support::fresh_database_on(&server).await;
        let order_db_url = test_support::fresh_database_on(&server).await;
        let redis_prefix = test_support::unique_prefix();
        let redis = test_support::redis_url();
        let vars = |db: &str, extra: &[(&'static str, &str)]| {
            let mut vars = service::environment(db, SECRET, &brokers, &prefix);
            vars.extend([
                ("KAFKA_PARTITIONS", "3".to_owned()),
                ("CONSUMER_MAX_ATTEMPTS", "3".to_owned()),
            ]);
            vars.extend(kafka_env.iter().map(|(k, v)| (*k, (*v).to_owned())));
            vars.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
            vars
        };
        let env = |db: &str, extra: &[(&'static str, &str)]| Env::from_pairs(vars(db, extra));
        let mut checkout_vars = vec![
            ("SESSION_STORE", redis.as_str()),
            ("REDIS_KEY_PREFIX", redis_prefix.as_str()),
        ];
        checkout_vars.extend_from_slice(checkout_extra);
        let checkout_settings =
            checkout_service::settings::Settings::from_env(env(&checkout_db_url, &checkout_vars))
                .expect("checkout settings");
        let direct = |url: &str| {
            checkout_service::settings::Settings::from_env(env(url, &checkout_vars))
                .expect("settings")
        };
        service_kit::command::migrate::<checkout_service::startup::CheckoutService>(&direct(
            &checkout_db_url,
        ))
        .await
        .expect("migrate checkout");
        let checkout_service = if processes {
            Running::process("checkout-service", &vars(&checkout_db_url, &checkout_vars)).await
        } else {
            let checkout = checkout_service::startup::build(checkout_settings)
                .await
                .expect("build checkout");
            Running::start(checkout.port(), |shutdown| {
                checkout.run_until_stopped(shutdown)
            })
        };

        // The app may reach its database through a proxy; migrations go direct.
        let order_app_url = match order_postgres {
            Some(proxy) => order_db_url.replace(&test_support::postgres_addr(), &proxy.to_string()),
            None => order_db_url.clone(),
        };
        let order_settings =
            order_service::settings::Settings::from_env(env(&order_app_url, order_extra))
                .expect("order settings");
        let direct =
            order_service::settings::Settings::from_env(env(&order_db_url, &[])).expect("settings");
        service_kit::command::migrate::<order_service::startup::OrderService>(&direct)
            .await
            .expect("migrate order");
        let order_service = if processes {
            Running::process("order-service", &vars(&order_app_url, order_extra)).await
        } else {
            let order = order_service::startup::build(order_settings)
                .await
                .expect("build order");
            Running::start(order.port(), |shutdown| order.run_until_stopped(shutdown))
        };

        Self {
            checkout_service,
            order_service,
            client: reqwest::Client::new(),
            checkout_db: PgPool::connect(&checkout_db_url)
                .await
                .expect("checkout db"),
            order_db: PgPool::connect(&order_db_url).await.expect("order db"),
            kafka,
            tokens: Tokens::new(SECRET),
        }
    }

    /// A token as `make token CUSTOMER=<customer>` prints it.
    pub fn token(&self, customer: &str) -> String {
        self.tokens.customer(customer)
    }

    pub fn admin_token(&self) -> String {
        self.tokens.admin()
    }

    pub fn checkout(&self, path: &str) -> String {
        self.checkout_service.url(path)
    }

    pub fn order(&self, path: &str) -> String {
        self.order_service.url(path)
    }

    /// GET `url` as `customer`, as JSON.
    pub async fn get_json(&self, url: &str, customer: &str) -> (u16, Value) {
        let response = self
            .client
            .get(url)
            .bearer_auth(self.token(customer))
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// GET `url` without a token, as text (`/metrics`).
    pub async fn get_text(&self, url: &str) -> String {
        text(&self.client, url).await
    }

    /// GET `url` with an admin token, as JSON (the operator endpoints).
    pub async fn admin_json(&self, url: &str) -> Value {
        self.client
            .get(url)
            .bearer_auth(self.admin_token())
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }

    /// Session, cart (2 × KB-001) and checkout paid with `card_token`; returns
    /// (session id, checkout id).
    pub async fn submit_checkout(&self, customer: &str, card_token: &str) -> (String, String) {
        self.submit_checkout_with(customer, card_token, &[]).await
    }

    /// [`System::submit_checkout`], with `headers` on the checkout request (a caller's
    /// `traceparent`, say).
    pub async fn submit_checkout_with(
        &self,
        customer: &str,
        card_token: &str,
        headers: &[(&str, &str)],
    ) -> (String, String) {
        let token = self.token(customer);
        let session: Value = self
            .client
            .post(self.checkout("/v1/sessions"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        let session = session["session_id"]
            .as_str()
            .expect("session id")
            .to_owned();
        let cart = self
            .client
            .put(self.checkout("/v1/cart/items/KB-001"))
            .bearer_auth(&token)
            .header("X-Session-Id", &session)
            .json(&json!({ "quantity": 2 }))
            .send()
            .await
            .expect("request");
        assert_eq!(cart.status(), 200);
        let mut request = self
            .client
            .post(self.checkout("/v1/checkouts"))
            .bearer_auth(&token)
            .header("X-Session-Id", &session)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let submitted = request
            .json(&json!({ "payment": { "card_token": card_token } }))
            .send()
            .await
            .expect("request");
        assert_eq!(submitted.status(), 202);
        let body: Value = submitted.json().await.expect("json");
        (
            session,
            body["checkout_id"]
                .as_str()
                .expect("checkout id")
                .to_owned(),
        )
    }

    /// `POST /v1/orders/{order_id}/cancel` as `customer`; the status it answered.
    pub async fn cancel_order(&self, customer: &str, order_id: &str) -> u16 {
        self.client
            .post(self.order(&format!("/v1/orders/{order_id}/cancel")))
            .bearer_auth(self.token(customer))
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    }

    /// The payment of `order_id` as `customer` sees it, once its status is one of `statuses`
    /// (at most `within`).
    pub async fn wait_payment(
        &self,
        customer: &str,
        order_id: &str,
        statuses: &[&str],
        within: Duration,
    ) -> Option<Value> {
        let url = self.checkout(&format!("/v1/payments/{order_id}"));
        self.eventually(within, || async {
            let (_, payment) = self.get_json(&url, customer).await;
            payment["status"]
                .as_str()
                .is_some_and(|status| statuses.contains(&status))
                .then_some(payment)
        })
        .await
    }

    /// Every record on a logical topic, oldest first per partition.
    pub async fn records(&self, logical_topic: &str) -> Vec<messaging::dlq::DeadLetter> {
        let topic = messaging::Topics::new(&self.kafka.topic_prefix).name(logical_topic);
        messaging::dlq::list(&self.kafka, &topic, 10_000)
            .await
            .expect("read topic")
    }

    /// Polls `probe` every 50 ms until it returns `Some`, for at most `within`.
    pub async fn eventually<T, F, Fut>(&self, within: Duration, probe: F) -> Option<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        eventually(within, probe).await
    }

    /// Polls the checkout until it leaves PENDING (at most `within`); returns its last view.
    pub async fn wait_final(&self, customer: &str, checkout_id: &str, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let (_, view) = self
                .get_json(
                    &self.checkout(&format!("/v1/checkouts/{checkout_id}")),
                    customer,
                )
                .await;
            if view["status"] != "PENDING" || tokio::time::Instant::now() > deadline {
                return view;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl System {
    /// Waits for each `(customer number, checkout id)` to be COMPLETED (60 s each at most);
    /// the panic shows both outboxes of the one that is not.
    pub async fn assert_all_complete(&self, checkouts: &[(usize, String)]) {
        for (i, checkout_id) in checkouts {
            let customer = format!("customer-{i}");
            let view = self
                .wait_final(&customer, checkout_id, Duration::from_secs(60))
                .await;
            if view["status"] != "COMPLETED" {
                let checkout = self.admin_json(&self.checkout("/v1/admin/outbox")).await;
                let order = self.admin_json(&self.order("/v1/admin/outbox")).await;
                panic!(
                    "checkout {i} did not complete: {view}\ncheckout-service: {checkout}\norder-service: {order}"
                );
            }
        }
    }
}

/// Polls `probe` every 50 ms until it returns `Some`, for at most `within`.
pub async fn eventually<T, F, Fut>(within: Duration, mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = probe().await {
            return Some(value);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `faults_fired_total{flag="<flag>"}` in the `/metrics` at `url`.
pub async fn faults_fired(client: &reqwest::Client, url: &str, flag: &str) -> f64 {
    let series = format!("faults_fired_total{{flag=\"{flag}\"}}");
    test_support::metric(client, url, &series).await
}

/// The body of `GET url`, as text.
pub async fn text(client: &reqwest::Client, url: &str) -> String {
    client
        .get(url)
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text")
}

/// The log line each step of a completed saga writes, in order, each inside the span of its
/// request or event (so it carries that span's `trace_id` and `baggage`).
pub const SAGA_STEP_LOG_LINES: [&str; 5] = [
    "checkout submitted",
    "order placed",
    "payment decided",
    "order confirmed",
    "checkout completed",
];

//! Harness for cross-service tests: the whole system in one process, each service on port 0
//! with its own fresh database, sharing one JWT secret and the real Redis.

use std::time::Duration;

use http_kit::auth::JwtKeys;
use http_kit::settings::Env;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

const SECRET: &str = "cross-service-tests-secret-32-bytes-min";

/// Both services, running.
#[derive(Debug)]
pub struct System {
    pub checkout_url: String,
    pub order_url: String,
    pub client: reqwest::Client,
    keys: JwtKeys,
    shutdown: CancellationToken,
}

impl Drop for System {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl System {
    pub async fn start() -> Self {
        let shutdown = CancellationToken::new();
        let checkout_db = test_support::fresh_database().await;
        let order_db = test_support::fresh_database().await;
        let prefix = test_support::unique_prefix();
        let redis = test_support::redis_url();

        let env = |db: &str, extra: &[(&'static str, &str)]| {
            let mut vars = vec![
                ("HTTP_ADDR", "127.0.0.1:0".to_owned()),
                ("DATABASE_URL", db.to_owned()),
                ("AUTH_JWT_SECRET", SECRET.to_owned()),
            ];
            vars.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
            Env::from_pairs(vars)
        };
        let checkout_settings = checkout_service::settings::Settings::from_env(env(
            &checkout_db,
            &[("SESSION_STORE", &redis), ("REDIS_KEY_PREFIX", &prefix)],
        ))
        .expect("checkout settings");
        checkout_service::startup::migrate(&checkout_settings)
            .await
            .expect("migrate checkout");
        let checkout = checkout_service::startup::Application::build(checkout_settings)
            .await
            .expect("build checkout");
        let checkout_url = format!("http://127.0.0.1:{}", checkout.port());
        tokio::spawn(checkout.run_until_stopped(shutdown.clone()));

        let order_settings = order_service::settings::Settings::from_env(env(&order_db, &[]))
            .expect("order settings");
        order_service::startup::migrate(&order_settings)
            .await
            .expect("migrate order");
        let order = order_service::startup::Application::build(order_settings)
            .await
            .expect("build order");
        let order_url = format!("http://127.0.0.1:{}", order.port());
        tokio::spawn(order.run_until_stopped(shutdown.clone()));

        Self {
            checkout_url,
            order_url,
            client: reqwest::Client::new(),
            keys: JwtKeys::hs256(&SecretString::from(SECRET.to_owned())),
            shutdown,
        }
    }

    /// A token as `make token CUSTOMER=<customer>` prints it.
    pub fn token(&self, customer: &str) -> String {
        self.keys.issue(customer, false, Duration::from_secs(600))
    }
}

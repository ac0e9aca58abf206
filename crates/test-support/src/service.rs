//! What every test that starts a service shares, so the tests of each service and the
//! cross-service tests start one the same way: its environment, its logs on request, the
//! tokens it accepts, and the service itself running until the test drops it.

use std::future::Future;
use std::time::Duration;

use http_kit::auth::JwtKeys;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

/// The environment a test starts a service with: port 0, `database_url`, the test's JWT
/// `secret`, the test broker (`brokers`) and a topic prefix of the test's own. A test adds
/// what is particular to it after these.
pub fn environment(
    database_url: &str,
    secret: &str,
    brokers: &str,
    topic_prefix: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", database_url.to_owned()),
        ("AUTH_JWT_SECRET", secret.to_owned()),
        ("KAFKA_BROKERS", brokers.to_owned()),
        ("KAFKA_TOPIC_PREFIX", topic_prefix.to_owned()),
    ]
}

/// Shows the logs of the code under test when `TEST_LOG` is set (`TEST_LOG=1 make test`).
pub fn logs_if_asked(name: &str) {
    if std::env::var("TEST_LOG").is_ok() {
        drop(telemetry::init(name, telemetry::LogFormat::Pretty, None));
    }
}

/// Bearer tokens signed with a test's secret, as `make token` issues them.
#[derive(Debug, Clone)]
pub struct Tokens(JwtKeys);

impl Tokens {
    pub fn new(secret: &str) -> Self {
        Self(JwtKeys::hs256(&SecretString::from(secret.to_owned())))
    }

    /// A customer's token, valid for ten minutes.
    pub fn customer(&self, customer: &str) -> String {
        self.0.issue(customer, false, Duration::from_secs(600))
    }

    /// An operator's token (`ops`, admin).
    pub fn admin(&self) -> String {
        self.0.issue("ops", true, Duration::from_secs(600))
    }
}

/// A service serving on `127.0.0.1`, as its `main` runs it; it shuts down (drains, stops its
/// relay and consumer) when this is dropped.
#[derive(Debug)]
pub struct Running {
    pub address: String,
    shutdown: CancellationToken,
}

impl Running {
    /// Spawns `run` (an application's `run_until_stopped`) for the service bound on `port`.
    pub fn start<F, Fut>(port: u16, run: F) -> Self
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        let shutdown = CancellationToken::new();
        tokio::spawn(run(shutdown.clone()));
        Self {
            address: format!("http://127.0.0.1:{port}"),
            shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

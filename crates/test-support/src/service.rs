//! What every test that starts a service shares, so the tests of each service and the
//! cross-service tests start one the same way: its environment, its logs on request, the
//! tokens it accepts, and the service itself running until the test drops it.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
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
        drop(telemetry::init(
            &telemetry::OtelSettings::local(name),
            telemetry::LogFormat::Pretty,
        ));
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
    /// Set when the service is a process of its own ([`Running::process`]).
    process: Option<Process>,
}

#[derive(Debug)]
struct Process {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
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
            process: None,
        }
    }

    /// Starts the workspace binary `name` (built beside the test binary) as its own process
    /// with exactly `env` plus `PATH`, on a free port of loopback, once it answers
    /// `/health/live`. Its stdout lines (the JSON logs) are kept: [`Running::log_lines`].
    pub async fn process(name: &str, env: &[(&str, String)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new(binary(name))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let lines = stdout.clone();
        let pipe = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().expect("lock").push(line);
            }
        });
        let address = format!("http://127.0.0.1:{port}");
        let live = format!("{address}/health/live");
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client
                .get(&live)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Self {
                    address,
                    shutdown: CancellationToken::new(),
                    process: Some(Process { child, stdout }),
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{name} exited at start ({status})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        panic!("{name} did not answer {live} within 30 s");
    }

    /// The lines the process wrote to stdout so far (empty for an in-process service).
    pub fn log_lines(&self) -> Vec<String> {
        self.process
            .as_ref()
            .map(|p| p.stdout.lock().expect("lock").clone())
            .unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(process) = &mut self.process {
            // SIGTERM, as Kubernetes stops a pod: it drains and flushes its spans.
            let _ = Command::new("kill")
                .arg(process.child.id().to_string())
                .status();
            for _ in 0..100 {
                if let Ok(Some(_)) = process.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = process.child.kill();
            let _ = process.child.wait();
        }
    }
}

/// The path of the workspace binary `name`: beside the directory of the running test binary
/// (`target/debug/deps/..`), where `cargo nextest run --workspace` builds it.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary is in target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built: run the tests with `make test` (cargo nextest run --workspace)",
        path.display()
    );
    path
}

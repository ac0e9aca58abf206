//! The checkouts: each one a session, a cart and a submit, as a careful client does it: every
//! step is retried on a dropped connection, a 5xx or a 429, and the submit always with the
//! same `Idempotency-Key`, so a retry can never make a second checkout.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_kit::auth::JwtKeys;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

const CUSTOMERS: usize = 25;
const SKUS: [&str; 6] = ["KB-001", "MS-002", "MN-003", "HS-004", "CB-005", "DK-006"];
/// Share of carts paid with a card the provider declines: their checkouts end FAILED.
const DECLINED_SHARE: f64 = 0.1;
/// Most checkouts in flight: the loop stays open unless the system stalls for this long.
const MOST_IN_FLIGHT: usize = 1024;
/// How long one step keeps retrying before the client gives up on that checkout.
const GIVE_UP_AFTER: Duration = Duration::from_secs(180);

/// What became of one checkout, from the client's side.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// 202: the system owes this checkout a final state.
    Accepted { id: Uuid, declined_card: bool },
    /// A 4xx other than 429, at `step` (e.g. the session was lost with a Redis restart).
    Refused { step: &'static str, status: u16 },
    /// Still failing after [`GIVE_UP_AFTER`].
    GaveUp { step: &'static str },
}

/// Every checkout's outcome, with how many retries the faults cost.
#[derive(Debug, Default)]
pub struct Results {
    pub outcomes: Vec<Outcome>,
    pub retries: u64,
    pub elapsed: Duration,
}

impl Results {
    pub fn accepted(&self) -> Vec<Uuid> {
        self.outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Accepted { id, .. } => Some(*id),
                _ => None,
            })
            .collect()
    }

    /// Outcomes other than accepted, counted by kind, step and status.
    pub fn others(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for outcome in &self.outcomes {
            let key = match outcome {
                Outcome::Accepted { .. } => continue,
                Outcome::Refused { step, status } => format!("refused at {step} ({status})"),
                Outcome::GaveUp { step } => format!("gave up at {step}"),
            };
            *counts.entry(key).or_default() += 1;
        }
        counts
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    /// The checkout-service replicas, taken in turn (as a load balancer would) and on to the
    /// next one on a retry.
    base_urls: Arc<Vec<String>>,
    bearers: Arc<Vec<String>>,
}

/// What one attempt at a step gave.
enum Attempt {
    Done(Value),
    Refused(u16),
    Retry,
}

impl Client {
    pub fn new(base_urls: Vec<String>, jwt_secret: &str) -> anyhow::Result<Self> {
        let keys = JwtKeys::hs256(&SecretString::from(jwt_secret.to_owned()));
        let bearers = (0..CUSTOMERS)
            .map(|n| {
                let token = keys.issue(&format!("chaos-{n}"), false, Duration::from_secs(86_400));
                format!("Bearer {token}")
            })
            .collect();
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            base_urls: Arc::new(base_urls),
            bearers: Arc::new(bearers),
        })
    }

    /// Submits `count` checkouts at `rate` per second (open loop), then waits for the last.
    pub async fn run(&self, count: u64, rate: f64, seed: u64) -> Results {
        let started = Instant::now();
        let period = Duration::from_secs_f64(1.0 / rate);
        let slots = Arc::new(tokio::sync::Semaphore::new(MOST_IN_FLIGHT));
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..count {
            tokio::time::sleep_until((started + period.mul_f64(n as f64)).into()).await;
            let slot = slots.clone().acquire_owned().await.expect("never closed");
            let client = self.clone();
            tasks.spawn(async move {
                let outcome = client.checkout(n, seed).await;
                drop(slot);
                outcome
            });
        }
        let mut results = Results::default();
        while let Some(done) = tasks.join_next().await {
            let (outcome, retries) = done.expect("a checkout task panicked");
            results.outcomes.push(outcome);
            results.retries += retries;
        }
        results.elapsed = started.elapsed();
        results
    }

    async fn checkout(&self, n: u64, seed: u64) -> (Outcome, u64) {
        let mut rng = fastrand::Rng::with_seed(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let bearer = &self.bearers[n as usize % self.bearers.len()];
        let declined_card = rng.f64() < DECLINED_SHARE;
        let mut retries = 0;
        let mut step = async |name: &'static str,
                              method: Method,
                              path: String,
                              session: Option<Uuid>,
                              body: Value,
                              key: Option<Uuid>| {
            let deadline = Instant::now() + GIVE_UP_AFTER;
            let mut backoff = Duration::from_millis(100);
            let mut attempts = 0;
            loop {
                let base = &self.base_urls[(n as usize + attempts) % self.base_urls.len()];
                attempts += 1;
                let url = format!("{base}{path}");
                let mut request = self
                    .http
                    .request(method.clone(), &url)
                    .header("authorization", bearer)
                    .json(&body);
                if let Some(session) = session {
                    request = request.header("x-session-id", session.to_string());
                }
                if let Some(key) = key {
                    request = request.header("idempotency-key", key.to_string());
                }
                match attempt(request).await {
                    Attempt::Done(body) => return Ok(body),
                    Attempt::Refused(status) => {
                        return Err(Outcome::Refused { step: name, status });
                    }
                    Attempt::Retry if Instant::now() > deadline => {
                        return Err(Outcome::GaveUp { step: name });
                    }
                    Attempt::Retry => {
                        retries += 1;
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                    }
                }
            }
        };
        let outcome = async {
            let created = step(
                "session",
                Method::POST,
                "/v1/sessions".into(),
                None,
                json!({}),
                None,
            )
            .await?;
            let session = created["session_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or(Outcome::GaveUp { step: "session" })?;
            let sku = SKUS[rng.usize(..SKUS.len())];
            let quantity = rng.u32(1..=3);
            step(
                "cart",
                Method::PUT,
                format!("/v1/cart/items/{sku}"),
                Some(session),
                json!({ "quantity": quantity }),
                None,
            )
            .await?;
            let card = if declined_card {
                "tok_chargeDeclined"
            } else {
                "tok_visa"
            };
            let accepted = step(
                "submit",
                Method::POST,
                "/v1/checkouts".into(),
                Some(session),
                json!({ "payment": { "card_token": card } }),
                Some(Uuid::new_v4()),
            )
            .await?;
            let id = accepted["checkout_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or(Outcome::GaveUp { step: "submit" })?;
            Ok::<_, Outcome>(Outcome::Accepted { id, declined_card })
        }
        .await;
        (outcome.unwrap_or_else(|refused| refused), retries)
    }
}

async fn attempt(request: reqwest::RequestBuilder) -> Attempt {
    let Ok(response) = request.send().await else {
        return Attempt::Retry;
    };
    let status = response.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return Attempt::Retry;
    }
    if !status.is_success() {
        return Attempt::Refused(status.as_u16());
    }
    // A body cut short by a kill counts as no answer: the retry replays it.
    match response.json::<Value>().await {
        Ok(body) => Attempt::Done(body),
        Err(_) => Attempt::Retry,
    }
}

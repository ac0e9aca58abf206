//! The load driver's HTTP side: carts filled through the real API, then checkouts submitted
//! closed-loop (for the most throughput) or open-loop at a fixed rate (for latency).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use http_kit::auth::JwtKeys;
use reqwest::StatusCode;
use secrecy::SecretString;
use uuid::Uuid;

use crate::histogram::Latencies;

/// Customers the checkouts are spread over, round robin: real traffic comes from many, and
/// each stays far under the per-client write limit (`RATE_LIMIT_WRITES_PER_SECOND`) at the
/// few thousand writes per second a run sends.
const CUSTOMERS: usize = 64;
const SKU: &str = "KB-001";

#[derive(Debug, Clone)]
pub struct Driver {
    client: reqwest::Client,
    base_url: String,
    /// `Bearer <token>` of each customer.
    bearers: Arc<[String]>,
    next_customer: Arc<AtomicUsize>,
}

/// A filled cart: its session and the index of the customer it is bound to.
pub type Cart = (Uuid, usize);

/// Sessions whose carts are filled, each checked out once.
pub type Sessions = Arc<Mutex<VecDeque<Cart>>>;

/// What one timed phase did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub accepted: u64,
    pub failed: u64,
    pub elapsed: Duration,
    pub latencies: Latencies,
    /// Checkouts accepted, for the saga's audit.
    pub checkout_ids: Vec<Uuid>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64()
    }

    fn merge(&mut self, other: Self) {
        self.accepted += other.accepted;
        self.failed += other.failed;
        self.latencies.add(&other.latencies);
        self.checkout_ids.extend(other.checkout_ids);
    }
}

impl Driver {
    pub fn new(base_url: &str, jwt_secret: &str) -> anyhow::Result<Self> {
        let keys = JwtKeys::hs256(&SecretString::from(jwt_secret.to_owned()));
        let client = reqwest::Client::builder()
            .http1_only()
            .pool_max_idle_per_host(1024)
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            client,
            base_url: base_url.to_owned(),
            bearers: (0..CUSTOMERS)
                .map(|i| {
                    let token = keys.issue(&format!("bench-{i}"), false, Duration::from_secs(3600));
                    format!("Bearer {token}")
                })
                .collect(),
            next_customer: Arc::default(),
        })
    }

    /// Creates `count` sessions with one item in the cart, `concurrency` at a time.
    pub async fn fill_carts(&self, count: usize, concurrency: usize) -> anyhow::Result<Sessions> {
        let sessions: Sessions = Arc::default();
        let remaining = Arc::new(Mutex::new(count));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..concurrency.max(1) {
            let (driver, sessions, remaining) = (self.clone(), sessions.clone(), remaining.clone());
            workers.spawn(async move {
                loop {
                    {
                        let mut left = remaining.lock().expect("not poisoned");
                        if *left == 0 {
                            return anyhow::Ok(());
                        }
                        *left -= 1;
                    }
                    let session = driver.fill_one().await?;
                    sessions.lock().expect("not poisoned").push_back(session);
                }
            });
        }
        while let Some(result) = workers.join_next().await {
            result??;
        }
        Ok(sessions)
    }

    async fn fill_one(&self) -> anyhow::Result<Cart> {
        #[derive(serde::Deserialize)]
        struct Created {
            session_id: Uuid,
        }
        let customer = self.next_customer.fetch_add(1, Ordering::Relaxed) % CUSTOMERS;
        let bearer = &self.bearers[customer];
        let created: Created = self
            .client
            .post(format!("{}/v1/sessions", self.base_url))
            .header("authorization", bearer)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        self.client
            .put(format!("{}/v1/cart/items/{SKU}", self.base_url))
            .header("authorization", bearer)
            .header("x-session-id", created.session_id.to_string())
            .json(&serde_json::json!({ "quantity": 1 }))
            .send()
            .await?
            .error_for_status()
            .context("filling a cart")?;
        Ok((created.session_id, customer))
    }

    /// Submits one checkout; `Some(id)` when it was accepted (202).
    pub async fn checkout(&self, (session, customer): Cart) -> Option<Uuid> {
        #[derive(serde::Deserialize)]
        struct Accepted {
            checkout_id: Uuid,
        }
        let response = self
            .client
            .post(format!("{}/v1/checkouts", self.base_url))
            .header("authorization", &self.bearers[customer])
            .header("x-session-id", session.to_string())
            .header("idempotency-key", Uuid::new_v4().to_string())
            .json(&serde_json::json!({ "payment": { "card_token": "tok_visa" } }))
            .send()
            .await
            .ok()?;
        if response.status() != StatusCode::ACCEPTED {
            return None;
        }
        response
            .json::<Accepted>()
            .await
            .ok()
            .map(|a| a.checkout_id)
    }

    /// `concurrency` requests in flight at all times for `duration` (or until the sessions
    /// run out): the most throughput the service gives.
    pub async fn closed_loop(
        &self,
        sessions: &Sessions,
        concurrency: usize,
        duration: Duration,
    ) -> anyhow::Result<Outcome> {
        let started = Instant::now();
        let deadline = started + duration;
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            let (driver, sessions) = (self.clone(), sessions.clone());
            workers.spawn(async move {
                let mut outcome = Outcome::default();
                while Instant::now() < deadline {
                    let Some(session) = sessions.lock().expect("not poisoned").pop_front() else {
                        break;
                    };
                    let sent = Instant::now();
                    match driver.checkout(session).await {
                        Some(id) => {
                            outcome.accepted += 1;
                            outcome.checkout_ids.push(id);
                        }
                        None => outcome.failed += 1,
                    }
                    outcome.latencies.record(sent.elapsed());
                }
                outcome
            });
        }
        let mut total = Outcome::default();
        while let Some(outcome) = workers.join_next().await {
            total.merge(outcome?);
        }
        // When the carts run out first, the phase is simply shorter: `elapsed` says how long.
        total.elapsed = started.elapsed();
        Ok(total)
    }

    /// Open loop: request `i` is due at `start + i / rate`, whether or not earlier ones have
    /// answered, and its latency counts from when it was due. A stalled server therefore shows
    /// in the percentiles instead of silently slowing the driver (coordinated omission).
    pub async fn open_loop(
        &self,
        sessions: &Sessions,
        rate: f64,
        duration: Duration,
    ) -> anyhow::Result<Outcome> {
        let count = (rate * duration.as_secs_f64()).round() as u64;
        let period = Duration::from_secs_f64(1.0 / rate);
        let started = Instant::now();
        let mut requests = tokio::task::JoinSet::new();
        for i in 0..count {
            let due = started + period.mul_f64(i as f64);
            tokio::time::sleep_until(due.into()).await;
            let session = sessions
                .lock()
                .expect("not poisoned")
                .pop_front()
                .context("the prefilled carts ran out; fill more")?;
            let driver = self.clone();
            requests.spawn(async move {
                let id = driver.checkout(session).await;
                (id, due.elapsed())
            });
        }
        let mut outcome = Outcome::default();
        while let Some(result) = requests.join_next().await {
            let (id, latency) = result?;
            outcome.latencies.record(latency);
            match id {
                Some(id) => {
                    outcome.accepted += 1;
                    outcome.checkout_ids.push(id);
                }
                None => outcome.failed += 1,
            }
        }
        outcome.elapsed = started.elapsed();
        Ok(outcome)
    }
}

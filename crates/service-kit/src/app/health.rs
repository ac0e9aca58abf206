//! `/health/live` and `/health/ready`, for every service: readiness asks each dependency the
//! service named ([`super::Base::ready_when`]) at once, each under a short timeout.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use faults::Faults;
use http_kit::health::{self, Draining, HealthReport};
use tokio::task::JoinSet;
use utoipa::OpenApi;

type Probe = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// One dependency `/health/ready` asks.
#[derive(Clone)]
pub(super) struct Check {
    name: &'static str,
    probe: Probe,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Check").field(&self.name).finish()
    }
}

impl Check {
    pub(super) fn new<F, Fut, E: 'static>(name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
    {
        let probe: Probe = Arc::new(move || Box::pin(health::check(probe())));
        Self { name, probe }
    }
}

#[derive(Debug, Clone)]
struct Readiness {
    draining: Draining,
    faults: Faults,
    checks: Arc<[Check]>,
}

pub(super) fn router(draining: Draining, faults: Faults, checks: Vec<Check>) -> Router {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .with_state(Readiness {
            draining,
            faults,
            checks: checks.into(),
        })
}

/// The health routes' part of each service's OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(paths(live, ready), components(schemas(HealthReport)))]
pub struct HealthApi;

/// The process is alive.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "Alive", body = HealthReport)))]
async fn live() -> HealthReport {
    health::live()
}

/// Ready for traffic: every dependency of the service answers (Postgres; Redis for
/// checkout-service), the process is not draining, and the `fail_readiness` fault flag is off.
#[utoipa::path(get, path = "/health/ready", tag = "health", responses(
    (status = 200, description = "Ready", body = HealthReport),
    (status = 503, description = "A dependency is down, the process is draining, or the `fail_readiness` fault flag is set", body = HealthReport),
))]
async fn ready(State(readiness): State<Readiness>) -> HealthReport {
    // Every check counts as down until its probe answers up (one that panics stays down).
    let mut results: Vec<_> = readiness.checks.iter().map(|c| (c.name, false)).collect();
    let mut asked = JoinSet::new();
    for (index, check) in readiness.checks.iter().enumerate() {
        let probe = Arc::clone(&check.probe);
        asked.spawn(async move { (index, probe().await) });
    }
    while let Some(answer) = asked.join_next().await {
        if let Ok((index, up)) = answer {
            results[index].1 = up;
        }
    }
    health::ready(&readiness.draining, &readiness.faults, &results)
}

//! Liveness and readiness. Liveness is the process only; readiness checks the service's own
//! dependencies with a short timeout (never Kafka: the outbox lets writes succeed without it)
//! and turns false while the process drains.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use faults::Faults;
use serde::Serialize;
use utoipa::ToSchema;

/// How long one readiness check may take before it counts as down.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(500);

/// Set once shutdown begins, so load balancers stop routing here while in-flight work drains.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Body of `/health/live` and `/health/ready`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthReport {
    /// `ok`, `ready`, `not_ready` or `draining`.
    pub status: &'static str,
    /// Each dependency checked, `up` or `down`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<&'static str, &'static str>,
}

impl IntoResponse for HealthReport {
    fn into_response(self) -> Response {
        let status = if matches!(self.status, "ok" | "ready") {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        (status, axum::Json(self)).into_response()
    }
}

/// `/health/live`: the process answers.
pub fn live() -> HealthReport {
    HealthReport {
        status: "ok",
        checks: BTreeMap::new(),
    }
}

/// Runs one dependency check under [`CHECK_TIMEOUT`].
pub async fn check<E>(probe: impl Future<Output = Result<(), E>>) -> bool {
    matches!(tokio::time::timeout(CHECK_TIMEOUT, probe).await, Ok(Ok(())))
}

/// `/health/ready` from the results of the dependency checks; with the `fail_readiness` fault
/// flag set, one more check, `fault_flag`, is down.
pub fn ready(
    draining: &Draining,
    faults: &Faults,
    checks: &[(&'static str, bool)],
) -> HealthReport {
    let mut checks: BTreeMap<_, _> = checks
        .iter()
        .map(|(name, up)| (*name, if *up { "up" } else { "down" }))
        .collect();
    if faults.readiness_fails() {
        checks.insert("fault_flag", "down");
    }
    let status = if draining.is_draining() {
        "draining"
    } else if checks.values().all(|s| *s == "up") {
        "ready"
    } else {
        "not_ready"
    };
    HealthReport { status, checks }
}

/// `<service> healthcheck`: asks this process's own `/health/ready` (for container runtimes
/// whose image has no shell or curl). `true` when it answered 200 within two seconds.
pub fn probe(http_addr: std::net::SocketAddr) -> bool {
    use std::io::{Read, Write};
    let mut addr = http_addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let timeout = Duration::from_secs(2);
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let request = b"GET /health/ready HTTP/1.0\r\nHost: localhost\r\n\r\n";
    let mut status = [0u8; 12];
    stream.write_all(request).is_ok()
        && stream.read_exact(&mut status).is_ok()
        && status.ends_with(b" 200")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_every_dependency_is_up_and_not_draining() {
        let (draining, faults) = (Draining::default(), Faults::default());
        assert_eq!(
            ready(&draining, &faults, &[("postgres", true), ("redis", true)]).status,
            "ready"
        );
        assert_eq!(
            ready(&draining, &faults, &[("postgres", true), ("redis", false)]).status,
            "not_ready"
        );
        draining.start();
        assert_eq!(
            ready(&draining, &faults, &[("postgres", true)]).status,
            "draining"
        );
    }

    #[test]
    fn the_fail_readiness_flag_adds_a_check_that_is_down() {
        let (draining, faults) = (Draining::default(), Faults::default());
        assert!(
            !ready(&draining, &faults, &[("postgres", true)])
                .checks
                .contains_key("fault_flag")
        );
        faults.set(faults::FaultFlags {
            fail_readiness: true,
            ..faults::FaultFlags::default()
        });

        let report = ready(&draining, &faults, &[("postgres", true)]);

        assert_eq!(report.status, "not_ready");
        assert_eq!(report.checks["fault_flag"], "down");
        assert_eq!(report.checks["postgres"], "up");
    }

    #[tokio::test]
    async fn a_check_that_hangs_counts_as_down() {
        let hung = std::future::pending::<Result<(), ()>>();
        assert!(!check(hung).await);
        assert!(check(async { Ok::<(), ()>(()) }).await);
    }
}

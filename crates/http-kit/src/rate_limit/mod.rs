//! Per-client rate limiting of writes (`POST`, `PUT`, `PATCH`, `DELETE`): a token bucket per
//! client in this process (docs/adr/0005-rate-limiting.md says why per pod). A refused write
//! is a 429 problem with `Retry-After`; every limited write also carries `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset` (draft-ietf-httpapi-ratelimit-headers).

mod buckets;

pub use buckets::{Buckets, Decision};

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;

use crate::Problem;
use crate::auth::{self, JwtKeys};

/// Most clients whose buckets one process remembers: about 100 bytes each, so a few MB.
pub const MAX_CLIENTS: usize = 65_536;

const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// `RATE_LIMIT_WRITES_PER_SECOND` and `RATE_LIMIT_BURST`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitSettings {
    /// Writes per second a client's bucket regains; 0 turns the limit off.
    pub writes_per_second: f64,
    /// Writes a client may send at once after being quiet.
    pub burst: u32,
}

/// The middleware's state: the buckets, the keys that say who a caller is, the rejections.
#[derive(Debug, Clone)]
pub struct WriteLimiter {
    buckets: Arc<Buckets>,
    keys: JwtKeys,
    burst: u32,
    rejected: Counter,
}

impl WriteLimiter {
    /// `None` when the settings turn the limit off; else registers `http_rate_limited_total`.
    pub fn new(
        settings: RateLimitSettings,
        keys: JwtKeys,
        registry: &mut Registry,
    ) -> Option<Self> {
        if settings.writes_per_second <= 0.0 {
            return None;
        }
        let limiter = Self {
            buckets: Arc::new(Buckets::new(
                settings.writes_per_second,
                settings.burst,
                MAX_CLIENTS,
            )),
            keys,
            burst: settings.burst,
            rejected: Counter::default(),
        };
        registry.register(
            "http_rate_limited",
            "Writes refused with 429 by the per-client rate limit",
            limiter.rejected.clone(),
        );
        Some(limiter)
    }

    /// Middleware: reads pass; a write takes a token from its client's bucket or is refused.
    pub async fn limit(self, request: Request, next: Next) -> Response {
        if !is_write(request.method()) {
            return next.run(request).await;
        }
        let key = self.client_key(&request);
        match self.buckets.take(&key, Instant::now()) {
            Decision::Allowed { remaining, full_in } => {
                let mut response = next.run(request).await;
                self.describe(response.headers_mut(), remaining, full_in);
                response
            }
            Decision::Limited { retry_after } => {
                self.rejected.inc();
                let secs = whole_seconds(retry_after);
                tracing::info!(retry_after_secs = secs, "write refused by the rate limit");
                let mut response = Problem::too_many_requests(secs).into_response();
                self.describe(response.headers_mut(), 0, retry_after);
                response
            }
        }
    }

    /// Who the client is: the verified token's subject, else its network address. Session ids
    /// are not used: `POST /v1/sessions` mints them for free, so keying by them would let a
    /// client escape its limit. An invalid token is keyed by address (it is refused anyway,
    /// and guessing tokens is then limited too).
    fn client_key(&self, request: &Request) -> String {
        let subject = auth::bearer_token(request.headers())
            .ok()
            .flatten()
            .and_then(|token| self.keys.verify(token).ok());
        if let Some(caller) = subject {
            return format!("sub:{}", caller.customer_id);
        }
        match request.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(addr)) => format!("ip:{}", network_of(addr.ip())),
            None => "ip:unknown".to_owned(),
        }
    }

    fn describe(&self, headers: &mut HeaderMap, remaining: u32, reset: Duration) {
        headers.insert(LIMIT, HeaderValue::from(self.burst));
        headers.insert(REMAINING, HeaderValue::from(remaining));
        headers.insert(RESET, HeaderValue::from(whole_seconds(reset)));
    }
}

fn is_write(method: &Method) -> bool {
    [Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(method)
}

/// Rounded up, at least 1: `Retry-After: 0` would invite an immediate retry.
fn whole_seconds(duration: Duration) -> u32 {
    u32::try_from(duration.as_secs_f64().ceil() as u64)
        .unwrap_or(u32::MAX)
        .max(1)
}

/// An IPv4 address, or the /64 network of an IPv6 one: one host usually holds a whole /64,
/// so per-address keys would let it use 2^64 buckets.
fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & (u128::MAX << 64)).into()),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_keyed_by_its_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("ip");
        assert_eq!(network_of(a), network_of(b));
        assert_eq!(network_of(a).to_string(), "2001:db8:1:2::");
    }

    #[test]
    fn an_ipv4_client_is_keyed_by_its_address() {
        let ip: IpAddr = "192.0.2.7".parse().expect("ip");
        assert_eq!(network_of(ip), ip);
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("ip");
        assert_eq!(network_of(mapped), ip);
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_and_never_zero() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
    }

    #[test]
    fn only_writes_are_limited() {
        assert!(is_write(&Method::POST) && is_write(&Method::DELETE));
        assert!(!is_write(&Method::GET) && !is_write(&Method::HEAD));
    }
}

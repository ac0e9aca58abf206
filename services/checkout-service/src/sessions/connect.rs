//! The Redis client of the session store: `redis://`, or `rediss://` verified against the
//! system's trust store or the CA of `SESSION_STORE_CA_FILE`; and what a first connection says
//! of those settings.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use redis::{ErrorKind, TlsCertificates};

/// The client `url` names, trusting `ca` (a PEM file) for a `rediss://` server when given.
pub fn client(url: &str, ca: Option<&Path>) -> anyhow::Result<redis::Client> {
    match ca {
        None => redis::Client::open(url).context("SESSION_STORE is not a valid redis URL"),
        Some(ca) => {
            let root = std::fs::read(ca).with_context(|| {
                format!("SESSION_STORE_CA_FILE {}: cannot be read", ca.display())
            })?;
            let certificates = TlsCertificates {
                client_tls: None,
                root_cert: Some(root),
            };
            redis::Client::build_with_tls(url, certificates).context(
                "SESSION_STORE with SESSION_STORE_CA_FILE is not a usable rediss:// URL and CA",
            )
        }
    }
}

/// `Err` (why, with no secret) when the store refuses this process for good: its certificate
/// does not verify, or AUTH fails. A store that is down is not a settings error: the service
/// starts and reports not ready.
pub async fn refused_for_good(client: &redis::Client, within: Duration) -> Result<(), String> {
    let Ok(attempt) = tokio::time::timeout(within, client.get_multiplexed_async_connection()).await
    else {
        return Ok(());
    };
    let Err(e) = attempt else { return Ok(()) };
    // rustls reports a certificate it cannot verify as invalid data on the stream (which
    // redis-rs keeps behind an `Arc`).
    let tls = std::error::Error::source(&e)
        .and_then(|source| {
            source.downcast_ref::<std::io::Error>().or_else(|| {
                source
                    .downcast_ref::<Arc<dyn std::error::Error + Send + Sync>>()
                    .and_then(|inner| inner.downcast_ref::<std::io::Error>())
            })
        })
        .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData);
    match e.kind() {
        ErrorKind::AuthenticationFailed => Err(format!("the store refused AUTH: {e}")),
        ErrorKind::InvalidClientConfig => Err(format!("not usable: {e}")),
        _ if tls => Err(format!(
            "TLS to the store failed (check SESSION_STORE_CA_FILE and the server's name): {e}"
        )),
        _ => Ok(()),
    }
}

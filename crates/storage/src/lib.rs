#![doc = include_str!("../README.md")]

mod text_column;
pub mod transient;

use std::time::Duration;

use faults::Faults;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// A lazily connecting pool: the service starts (and reports not-ready) while Postgres is down,
/// and a request waits at most `acquire_timeout` for a connection before it is answered 503.
/// Each connection checkout first waits the `db_latency_ms` fault flag, when it is set.
pub fn pool(
    url: &SecretString,
    max: u32,
    acquire_timeout: Duration,
    faults: &Faults,
) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.expose_secret().parse()?;
    // Both hooks, so a fresh connection is delayed like a reused one. The flag is read before
    // the boxed future is made: off, a checkout costs one atomic load and an empty future.
    let (reused, fresh) = (faults.clone(), faults.clone());
    Ok(PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(acquire_timeout)
        .before_acquire(move |_, _| {
            let latency = reused.db_latency();
            Box::pin(async move {
                if let Some(latency) = latency {
                    latency.wait().await;
                }
                Ok(true)
            })
        })
        .after_connect(move |_, _| {
            let latency = fresh.db_latency();
            Box::pin(async move {
                if let Some(latency) = latency {
                    latency.wait().await;
                }
                Ok(())
            })
        })
        .connect_lazy_with(options))
}

/// The name of the unique constraint `error` violates, if that is what it is.
pub fn unique_violation(error: &sqlx::Error) -> Option<&str> {
    match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint(),
        _ => None,
    }
}

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

/// What a first connection says of the settings: `Err` (why, with no secret) when the database
/// refuses this process for good: its certificate does not verify, it requires TLS the URL
/// does not ask for, the credentials are wrong, the database does not exist. A database that
/// is down or slow is not a settings error: the service starts and reports not ready.
pub async fn refused_for_good(db: &PgPool) -> Result<(), String> {
    use sqlx::{ConnectOptions, Connection};
    // One connection of its own, not the pool's: the pool retries and would hide the cause.
    let options = db.connect_options();
    let within = db.options().get_acquire_timeout();
    match tokio::time::timeout(within, options.connect()).await {
        Err(_) => Ok(()),
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            Ok(())
        }
        Ok(Err(e)) => match e {
            sqlx::Error::Tls(e) => Err(format!("TLS to the database failed: {e}")),
            // rustls reports a certificate it cannot verify as invalid data on the stream.
            sqlx::Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(format!(
                "TLS to the database failed (check sslrootcert and the server's name): {e}"
            )),
            sqlx::Error::Configuration(e) => Err(format!("not usable: {e}")),
            sqlx::Error::Database(e)
                if e.code()
                    .is_some_and(|c| c.starts_with("28") || c == "3D000") =>
            {
                Err(format!(
                    "the database refused the connection: {}",
                    e.message()
                ))
            }
            _ => Ok(()),
        },
    }
}

/// The name of the unique constraint `error` violates, if that is what it is.
pub fn unique_violation(error: &sqlx::Error) -> Option<&str> {
    match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint(),
        _ => None,
    }
}

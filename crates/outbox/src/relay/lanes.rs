//! Lane ownership: one session-level advisory lock per lane, held on a dedicated connection.
//! Only the owner of a lane publishes its rows, so two relays never interleave one aggregate's
//! events. Losing the connection loses every lock at once; the relay notices before it marks.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use crate::LANES;

/// First key of the advisory locks (the second is the lane): "orderflow outbox".
const LOCK_CLASS: i32 = 0x0F0B_0C5E;
/// Longest wait for the lock session to answer: past it the session counts as lost.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// The lanes this relay owns and the connection that holds their locks.
#[derive(Debug, Default)]
pub struct Lanes {
    connection: Option<PgConnection>,
    owned: Vec<i16>,
}

impl Lanes {
    /// Tries to take every lane not owned yet, in one round trip that also proves the held
    /// locks' session alive; returns the lanes owned afterwards. Any error gives every lane
    /// up and drops the session, so the next call starts a new one: a session the server
    /// ended (a restart, a failover, `pg_terminate_backend`) is never used again.
    pub async fn acquire(&mut self, options: &PgConnectOptions) -> Result<&[i16], sqlx::Error> {
        match self.try_acquire(options).await {
            Ok(()) => Ok(&self.owned),
            Err(e) => {
                self.lose();
                Err(e)
            }
        }
    }

    async fn try_acquire(&mut self, options: &PgConnectOptions) -> Result<(), sqlx::Error> {
        if self.connection.is_none() {
            self.owned.clear();
            let connect = PgConnection::connect_with(options);
            self.connection = Some(answered(connect).await?);
        }
        let connection = self.connection.as_mut().expect("connected above");
        let taken: Vec<i16> = answered(
            sqlx::query_scalar!(
                r#"SELECT lane::int2 AS "lane!" FROM generate_series(0, $2 - 1) AS lane
                   WHERE lane <> ALL($3::int2[]) AND pg_try_advisory_lock($1, lane)"#,
                LOCK_CLASS,
                i32::from(LANES),
                &self.owned,
            )
            .fetch_all(&mut *connection),
        )
        .await?;
        for lane in taken {
            tracing::info!(lane, "outbox lane acquired");
            self.owned.push(lane);
        }
        Ok(())
    }

    /// The lanes owned after the last [`acquire`](Self::acquire).
    pub fn owned(&self) -> &[i16] {
        &self.owned
    }

    /// Whether the locks are still held: the connection that holds them still answers.
    /// On failure every lane is given up (the server released the locks with the session).
    pub async fn still_owned(&mut self) -> bool {
        let alive = match self.connection.as_mut() {
            Some(connection) => answered(connection.ping()).await.is_ok(),
            None => false,
        };
        if !alive {
            self.lose();
        }
        alive
    }

    fn lose(&mut self) {
        if !self.owned.is_empty() {
            tracing::warn!(lanes = self.owned.len(), "outbox lanes lost");
        }
        self.owned.clear();
        self.connection = None;
    }

    /// Releases every lane (on shutdown, so another relay takes over at once).
    pub async fn release(&mut self) {
        if let Some(mut connection) = self.connection.take() {
            let _ =
                answered(sqlx::query!("SELECT pg_advisory_unlock_all()").execute(&mut connection))
                    .await;
            let _ = answered(connection.close()).await;
        }
        self.owned.clear();
    }
}

/// `work`, or a timeout error when the server has not answered within [`ANSWER_WITHIN`]: a
/// session behind a network that drops everything would otherwise hang the relay.
async fn answered<T>(work: impl Future<Output = Result<T, sqlx::Error>>) -> Result<T, sqlx::Error> {
    tokio::time::timeout(ANSWER_WITHIN, work)
        .await
        .unwrap_or_else(|_| {
            Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the lane lock session did not answer",
            )))
        })
}

/// The lock session's options: `database_url` with the server-side timeouts that end the
/// session (and so free its locks) once its relay is gone without a word.
pub(super) fn lock_session(
    database_url: &SecretString,
    idle: Duration,
) -> Result<PgConnectOptions, sqlx::Error> {
    let options: PgConnectOptions = database_url.expose_secret().parse()?;
    let idle_ms = idle.as_millis().to_string();
    // Keepalive probes every 5 s from a third of the bound, three of them unanswered.
    let keepalive_idle = (idle.as_secs() / 3).max(1).to_string();
    Ok(options.options([
        ("idle_session_timeout", idle_ms.as_str()),
        ("tcp_user_timeout", idle_ms.as_str()),
        ("tcp_keepalives_idle", keepalive_idle.as_str()),
        ("tcp_keepalives_interval", "5"),
        ("tcp_keepalives_count", "3"),
    ]))
}

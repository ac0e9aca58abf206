//! Lane ownership: one session-level advisory lock per lane, held on a dedicated connection.
//! Only the owner of a lane publishes its rows, so two relays never interleave one aggregate's
//! events. Losing the connection loses every lock at once; the relay notices before it marks.

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use crate::LANES;

/// First key of the advisory locks (the second is the lane): "orderflow outbox".
const LOCK_CLASS: i32 = 0x0F0B_0C5E;

/// The lanes this relay owns and the connection that holds their locks.
#[derive(Debug, Default)]
pub struct Lanes {
    connection: Option<PgConnection>,
    owned: Vec<i16>,
}

impl Lanes {
    /// Tries to take every lane not owned yet; returns the lanes owned afterwards.
    pub async fn acquire(&mut self, options: &PgConnectOptions) -> Result<&[i16], sqlx::Error> {
        if self.connection.is_none() {
            self.owned.clear();
            self.connection = Some(PgConnection::connect_with(options).await?);
        }
        let connection = self.connection.as_mut().expect("connected above");
        for lane in 0..i16::from(LANES) {
            if self.owned.contains(&lane) {
                continue;
            }
            let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                .bind(LOCK_CLASS)
                .bind(i32::from(lane))
                .fetch_one(&mut *connection)
                .await
                .inspect_err(|_| self.owned.clear())?;
            if taken {
                tracing::info!(lane, "outbox lane acquired");
                self.owned.push(lane);
            }
        }
        Ok(&self.owned)
    }

    /// Whether the locks are still held: the connection that holds them still answers.
    /// On failure every lane is given up (the server released the locks with the session).
    pub async fn still_owned(&mut self) -> bool {
        let alive = match self.connection.as_mut() {
            Some(connection) => connection.ping().await.is_ok(),
            None => false,
        };
        if !alive {
            if !self.owned.is_empty() {
                tracing::warn!(lanes = self.owned.len(), "outbox lanes lost");
            }
            self.owned.clear();
            self.connection = None;
        }
        alive
    }

    /// Releases every lane (on shutdown, so another relay takes over at once).
    pub async fn release(&mut self) {
        if let Some(mut connection) = self.connection.take() {
            let _ = sqlx::query("SELECT pg_advisory_unlock_all()")
                .execute(&mut connection)
                .await;
            let _ = connection.close().await;
        }
        self.owned.clear();
    }
}

//! Marking one batch while the next is loaded and published. A busy relay spent a pass's time
//! in steps that wait on different things: loading and marking on Postgres, encoding on its
//! own CPU, acks on the broker. While a backlog lasts, the mark of a batch runs beside the
//! next batch instead of before it.
//!
//! The next batch must not load the rows whose mark is still running: each lane is read from
//! just after the last row the pending batch took from it. Rows committed meanwhile behind
//! such a point wait for the first pass without a pending mark, which reads every lane from
//! its start.

use std::collections::HashMap;

use sqlx::PgPool;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::{OutboxRow, lane_of};

/// Where each lane is read from: the last `(aggregate_id, sequence)` already handed over.
/// A lane with no entry is read from its start.
#[derive(Debug, Default)]
pub struct Cursors(HashMap<i16, (Uuid, i64)>);

impl Cursors {
    /// Just after the last row of each lane in `rows` (sorted by aggregate and sequence).
    pub fn after(rows: &[OutboxRow]) -> Self {
        let mut last = HashMap::new();
        for row in rows {
            last.insert(lane_of(row.aggregate_id), (row.aggregate_id, row.sequence));
        }
        Self(last)
    }

    /// The start of each of `lanes`, in their order: `(Uuid::nil(), -1)` comes before any row.
    pub fn of(&self, lanes: &[i16]) -> (Vec<Uuid>, Vec<i64>) {
        lanes
            .iter()
            .map(|lane| self.0.get(lane).copied().unwrap_or((Uuid::nil(), -1)))
            .unzip()
    }
}

/// The mark of the previous batch, running beside the current one.
#[derive(Debug)]
pub struct PendingMark {
    task: JoinHandle<Result<(), sqlx::Error>>,
    pub rows: usize,
    pub cursors: Cursors,
}

impl PendingMark {
    pub fn start(db: &PgPool, acked: Vec<Uuid>, cursors: Cursors) -> Self {
        let (db, rows) = (db.clone(), acked.len());
        let task = tokio::spawn(async move { super::batch::mark(&db, &acked).await });
        Self {
            task,
            rows,
            cursors,
        }
    }

    /// Waits for the mark; its rows, once it is done.
    pub async fn finish(self) -> Result<usize, sqlx::Error> {
        match self.task.await {
            Ok(result) => result.map(|()| self.rows),
            Err(e) => Err(sqlx::Error::Protocol(format!("the mark task failed: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(aggregate_id: Uuid, sequence: i64) -> OutboxRow {
        OutboxRow {
            id: Uuid::now_v7(),
            topic: "t".to_owned(),
            event_type: "e".to_owned(),
            source: "s".to_owned(),
            aggregate_id,
            subject: "x".to_owned(),
            sequence,
            payload: serde_json::json!({}),
            traceparent: None,
            tracestate: None,
            baggage: None,
            created_at: chrono::Utc::now(),
            twin: None,
        }
    }

    #[test]
    fn each_lane_starts_after_its_last_row_and_the_others_at_their_start() {
        let a = Uuid::from_u128(0x11);
        let b = Uuid::from_u128(0x22);
        let (lane_a, lane_b) = (lane_of(a), lane_of(b));
        assert_ne!(lane_a, lane_b, "the test needs two lanes");
        let cursors = Cursors::after(&[row(a, 1), row(a, 2), row(b, 7)]);
        let other = (0..16).find(|l| *l != lane_a && *l != lane_b).unwrap();

        let (aggregates, sequences) = cursors.of(&[lane_b, other, lane_a]);

        assert_eq!(aggregates, [b, Uuid::nil(), a]);
        assert_eq!(sequences, [7, -1, 2]);
    }
}

//! Events of different keys handled at once, one key's in order, and the partition's offset
//! committed only over events done with.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use consumer::{Envelope, Handler, HandlerError};
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::{Offset, TopicPartitionList};
use serde::Deserialize;
use sqlx::{Postgres, Transaction};

use crate::harness::{RECORDED, setup_with};

const KEYS: usize = 4;
const PER_KEY: usize = 10;

#[derive(Deserialize)]
struct Step {
    key: String,
    seq: i64,
}

/// Records each event's key and place, after a pause long enough for others to overlap it,
/// and the most events it ever had at once.
#[derive(Clone, Default)]
struct Sequencer {
    now: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

impl Handler for Sequencer {
    const TYPES: &'static [&'static str] = &[RECORDED];

    async fn handle(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        let step: Step = event.data()?;
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        sqlx::query("INSERT INTO steps (key, seq) VALUES ($1, $2)")
            .bind(&step.key)
            .bind(step.seq)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_run_side_by_side_each_in_order_and_the_offset_covers_only_what_is_done() {
    let handler = Sequencer::default();
    let most = Arc::clone(&handler.most);
    let setup = setup_with(handler, |config| config.concurrency = 4).await;
    sqlx::raw_sql(
        "CREATE TABLE steps (id bigserial PRIMARY KEY, key text NOT NULL, seq bigint NOT NULL)",
    )
    .execute(&setup.db)
    .await
    .expect("table");

    // Interleaved, as a busy topic has them: key 0's first, key 1's first, ...
    let events: Vec<(String, String, serde_json::Value)> = (0..PER_KEY)
        .flat_map(|seq| {
            (0..KEYS).map(move |key| {
                (
                    format!("event-{key}-{seq}"),
                    format!("key-{key}"),
                    serde_json::json!({ "n": seq, "key": format!("key-{key}"), "seq": seq }),
                )
            })
        })
        .collect();
    setup.send_keyed(&events).await;
    setup
        .until(|s| s.processed_total() == (KEYS * PER_KEY) as u64)
        .await;

    let most = most.load(Ordering::SeqCst);
    assert!(
        (2..=4).contains(&most),
        "events of other keys ran at once, never more than the concurrency: {most}"
    );
    for key in 0..KEYS {
        let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM steps WHERE key = $1 ORDER BY id")
            .bind(format!("key-{key}"))
            .fetch_all(&setup.db)
            .await
            .expect("steps");
        assert_eq!(
            seqs,
            (0..PER_KEY as i64).collect::<Vec<_>>(),
            "key-{key} in order"
        );
    }

    // Stopped, the member has committed the offset after the last event: every one was done.
    setup.stop_first().await;
    let reader: BaseConsumer = setup
        .kafka
        .client_config()
        .set("group.id", &setup.config.group)
        .create()
        .expect("reader");
    let mut partition = TopicPartitionList::new();
    partition.add_partition(&setup.topic(), 0);
    let committed = reader
        .committed_offsets(partition, Duration::from_secs(10))
        .expect("committed offsets");
    let offset = committed.elements()[0].offset();
    assert_eq!(offset, Offset::Offset((KEYS * PER_KEY) as i64));
}

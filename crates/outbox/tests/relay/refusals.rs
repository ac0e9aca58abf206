//! A row the broker will never take holds back only its own aggregate.

use std::time::Duration;

use outbox::relay::{Relay, RelayConfig, backlog, rejected};
use outbox::{TraceContext, enqueue};
use uuid::Uuid;

use crate::harness::{event, first_occurrences, setup, write};

#[tokio::test]
async fn an_oversized_event_holds_back_only_its_aggregate_until_it_is_fixed() {
    let setup = setup().await;
    // UUIDv7: `big` sorts before `other`, so its rows come first in every batch.
    let (big, other) = (Uuid::now_v7(), Uuid::now_v7());
    let mut tx = setup.db.begin().await.expect("begin");
    let mut oversized = event(big);
    oversized.customer_id = "x".repeat(1_500_000); // more than message.max.bytes (1 MB)
    let refused = enqueue(&mut tx, big, &oversized, &TraceContext::default())
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    write(&setup.db, big, 1).await;
    write(&setup.db, other, 3).await;
    let config = RelayConfig {
        batch_per_lane: 50,
        hold_back: Duration::from_millis(300),
        ..RelayConfig::default()
    };
    let mut relay = Relay::new(setup.db.clone(), &setup.url, &setup.kafka, config).expect("relay");

    relay
        .drain()
        .await
        .expect("a refused row is no reason to stop");

    let (sequences, _) = first_occurrences(&setup).await;
    assert_eq!(
        sequences.get(&other.to_string()).map(Vec::as_slice),
        Some(&[1, 2, 3][..])
    );
    assert!(
        !sequences.contains_key(&big.to_string()),
        "nothing of `big` overtakes its refused row"
    );
    assert_eq!(relay.stats().rejected_total(), 1);
    let listed = rejected(&setup.db).await.expect("rejected rows");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!((listed[0].id, listed[0].sequence), (refused.id, 1));
    assert!(listed[0].error.contains("too large"), "{}", listed[0].error);

    // An operator fixes the row; after its wait the aggregate goes on, in order.
    sqlx::query("UPDATE outbox SET payload = $2 WHERE id = $1")
        .bind(refused.id)
        .bind(serde_json::to_value(event(big)).expect("json"))
        .execute(&setup.db)
        .await
        .expect("fix the row");
    tokio::time::sleep(Duration::from_millis(400)).await;
    relay.drain().await.expect("relay");

    let (sequences, _) = first_occurrences(&setup).await;
    assert_eq!(sequences[&big.to_string()], [1, 2]);
    assert_eq!(backlog(&setup.db).await.expect("backlog").unpublished, 0);
    assert!(rejected(&setup.db).await.expect("rejected rows").is_empty());
}

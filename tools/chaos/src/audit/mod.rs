//! After the storm: every promise of docs/guarantees.md, checked from what the
//! databases and the topics hold. Each check counts its breaches and keeps a few examples.
//! The checks on the services' own tables are in `state`, those that follow events from the
//! outbox to the topics and the inboxes in `delivery`; here, what they share and the run.

mod delivery;
mod state;

use std::collections::HashMap;

use consumer::Handler;
use messaging::{KafkaSettings, Topics};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::topic::{self, Record};
use crate::world;
use delivery::{
    applied_once, every_event_reached_its_topic, first_occurrences_in_sequence_order,
    outbox_drained,
};
use state::{
    accepted_reached_a_final_state, one_order_per_checkout, one_payment_decision_per_order,
    one_provider_charge_per_payment, status_history_without_repeats,
};

fn is_poison(record: &Record) -> bool {
    record.key.as_deref() == Some(world::POISON_KEY)
}

/// One guarantee and how often it was broken.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    /// How many things it looked at.
    pub checked: u64,
    pub breaches: u64,
    pub examples: Vec<String>,
}

impl Check {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            checked: 0,
            breaches: 0,
            examples: Vec::new(),
        }
    }

    fn expect(&mut self, holds: bool, example: impl FnOnce() -> String) {
        self.checked += 1;
        if !holds {
            self.breaches += 1;
            if self.examples.len() < 5 {
                self.examples.push(example());
            }
        }
    }
}

/// The two services' databases and the broker of the run.
#[derive(Debug)]
pub struct Sources<'a> {
    pub checkout_db: &'a PgPool,
    pub order_db: &'a PgPool,
    pub kafka: &'a KafkaSettings,
    /// Where each topic's records are written as read (`<topic>.tsv`), for a breach's story.
    pub out_dir: &'a std::path::Path,
}

/// An outbox row: what was meant to be published.
#[derive(Debug, sqlx::FromRow)]
struct Produced {
    id: Uuid,
    /// What consumers' inboxes remember it by: the id its twins share, or its own.
    inbox_key: Uuid,
    topic: String,
    event_type: String,
    aggregate_id: Uuid,
    sequence: i64,
    published: bool,
}

pub async fn run(sources: &Sources<'_>, accepted: &[Uuid]) -> anyhow::Result<Vec<Check>> {
    let mut checks = vec![
        accepted_reached_a_final_state(sources.checkout_db, accepted).await?,
        one_order_per_checkout(sources).await?,
        one_payment_decision_per_order(sources).await?,
        one_provider_charge_per_payment(sources.checkout_db).await?,
        status_history_without_repeats(sources.order_db).await?,
    ];
    let mut produced: Vec<Produced> = Vec::new();
    for db in [sources.checkout_db, sources.order_db] {
        produced.extend(
            sqlx::query_as(
                "SELECT id, coalesce(twin, id) AS inbox_key, topic, event_type, aggregate_id,
                        sequence, published_at IS NOT NULL AS published
                 FROM outbox",
            )
            .fetch_all(db)
            .await?,
        );
    }
    let topics = Topics::new(&sources.kafka.topic_prefix);
    let mut on_topic: HashMap<&str, Vec<Record>> = HashMap::new();
    let mut dead_letters = Check::new("dead letters: only the poison sent on purpose");
    for logical in events::topics::ALL {
        let records = topic::read(sources.kafka, &topics.name(logical)).await?;
        topic::dump(&records, &sources.out_dir.join(format!("{logical}.tsv")))?;
        on_topic.insert(logical, records);
        let letters = topic::read(sources.kafka, &topics.dlq(logical)).await?;
        let poison = letters.iter().filter(|l| is_poison(l)).count();
        let expected = usize::from(logical == world::POISON_TOPIC);
        dead_letters.expect(poison == expected, || {
            format!("{poison} poison dead letters on {logical}, expected {expected}")
        });
        for letter in letters.iter().filter(|l| !is_poison(l)) {
            dead_letters.expect(false, || {
                format!("{} dead-lettered from {logical}", letter.event_id)
            });
        }
    }
    checks.push(outbox_drained(&produced));
    checks.push(every_event_reached_its_topic(&produced, &on_topic));
    checks.push(first_occurrences_in_sequence_order(&produced, &on_topic));
    for (db, group, types, consumed) in [
        (
            sources.checkout_db,
            "checkout-service",
            checkout_service::saga::CheckoutSaga::TYPES,
            &[events::topics::ORDER][..],
        ),
        (
            sources.order_db,
            "order-service",
            order_service::saga::OrderSaga::TYPES,
            &[events::topics::CHECKOUT, events::topics::PAYMENT][..],
        ),
    ] {
        let group = format!("{}{group}", sources.kafka.topic_prefix);
        checks.push(applied_once(db, &group, types, consumed, &produced).await?);
    }
    checks.push(dead_letters);
    Ok(checks)
}

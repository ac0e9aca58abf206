//! After the storm: every promise of docs/guarantees.md, checked from what the
//! databases and the topics hold. Each check counts its breaches and keeps a few examples.

use std::collections::{HashMap, HashSet};

use consumer::Handler;
use messaging::{KafkaSettings, Topics};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::topic::{self, Record};
use crate::world;

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

async fn accepted_reached_a_final_state(db: &PgPool, accepted: &[Uuid]) -> anyhow::Result<Check> {
    let mut check = Check::new("every accepted checkout is COMPLETED or FAILED");
    let statuses: HashMap<Uuid, String> =
        sqlx::query_as("SELECT id, status FROM checkouts WHERE id = ANY($1)")
            .bind(accepted)
            .fetch_all(db)
            .await?
            .into_iter()
            .collect();
    for id in accepted {
        let status = statuses.get(id).map_or("missing", String::as_str);
        check.expect(matches!(status, "COMPLETED" | "FAILED"), || {
            format!("checkout {id} is {status}")
        });
    }
    Ok(check)
}

async fn one_order_per_checkout(sources: &Sources<'_>) -> anyhow::Result<Check> {
    let mut check = Check::new("one order per checkout");
    let checkouts: Vec<(Uuid, String, Option<Uuid>)> =
        sqlx::query_as("SELECT id, status, order_id FROM checkouts")
            .fetch_all(sources.checkout_db)
            .await?;
    let orders: Vec<(Uuid, Uuid)> = sqlx::query_as("SELECT id, checkout_id FROM orders")
        .fetch_all(sources.order_db)
        .await?;
    let mut per_checkout: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (order, checkout) in orders {
        per_checkout.entry(checkout).or_default().push(order);
    }
    for (id, status, order_id) in &checkouts {
        let orders = per_checkout.remove(id).unwrap_or_default();
        check.expect(orders.len() <= 1, || {
            format!("checkout {id} has {} orders", orders.len())
        });
        check.expect(status != "COMPLETED" || orders.len() == 1, || {
            format!("checkout {id} is COMPLETED without an order")
        });
        check.expect(
            order_id.is_none() || orders.first() == order_id.as_ref(),
            || format!("checkout {id} names order {order_id:?}, orders hold {orders:?}"),
        );
    }
    for (checkout, orders) in per_checkout {
        check.expect(false, || {
            format!("orders {orders:?} belong to no checkout ({checkout})")
        });
    }
    Ok(check)
}

async fn one_payment_decision_per_order(sources: &Sources<'_>) -> anyhow::Result<Check> {
    let mut check = Check::new("one payment decision per order, agreeing with the order");
    let payments: HashMap<Uuid, String> = sqlx::query_as("SELECT order_id, status FROM payments")
        .fetch_all(sources.checkout_db)
        .await?
        .into_iter()
        .collect();
    let orders: Vec<(Uuid, String, Option<String>)> =
        sqlx::query_as("SELECT id, status, cancel_reason FROM orders")
            .fetch_all(sources.order_db)
            .await?;
    let order_ids: HashSet<Uuid> = orders.iter().map(|(id, ..)| *id).collect();
    for (id, status, reason) in &orders {
        let payment = payments.get(id).map(String::as_str);
        let agrees = match (status.as_str(), reason.as_deref()) {
            ("CONFIRMED", _) => payment == Some("AUTHORIZED"),
            ("CANCELLED", Some("payment_declined")) => payment == Some("DECLINED"),
            ("CANCELLED", _) => payment != Some("AUTHORIZED") && payment != Some("DECLINED"),
            _ => true,
        };
        check.expect(agrees, || {
            format!("order {id} is {status} ({reason:?}) with payment {payment:?}")
        });
    }
    for order in payments.keys() {
        check.expect(order_ids.contains(order), || {
            format!("a payment for order {order}, which order-service does not hold")
        });
    }
    Ok(check)
}

async fn one_provider_charge_per_payment(db: &PgPool) -> anyhow::Result<Check> {
    let mut check = Check::new("one provider charge per payment");
    // The provider's ledger is keyed by the payment id: a second charge would need a second
    // payment id for the same order, so count charges per order.
    let rows: Vec<(Uuid, i64, i64)> = sqlx::query_as(
        "SELECT p.order_id,
                count(*) FILTER (WHERE o.kind = 'authorization'),
                count(*) FILTER (WHERE o.kind = 'refund')
         FROM payments p LEFT JOIN provider_operations o
              ON o.idempotency_key IN (p.id::text, 'refund:' || p.id::text)
         GROUP BY p.order_id",
    )
    .fetch_all(db)
    .await?;
    for (order, charges, refunds) in &rows {
        check.expect(*charges == 1 && *refunds <= 1, || {
            format!("order {order}: {charges} charges, {refunds} refunds")
        });
    }
    let (ledger, payments): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM provider_operations WHERE kind = 'authorization'),
                (SELECT count(*) FROM payments)",
    )
    .fetch_one(db)
    .await?;
    check.expect(ledger == payments, || {
        format!("{ledger} provider authorizations for {payments} payments")
    });
    Ok(check)
}

async fn status_history_without_repeats(db: &PgPool) -> anyhow::Result<Check> {
    let mut check = Check::new("each order status change recorded once");
    let rows: Vec<(Uuid, String, i64)> = sqlx::query_as(
        "SELECT order_id, status, count(*) FROM order_status_history GROUP BY order_id, status",
    )
    .fetch_all(db)
    .await?;
    for (order, status, times) in &rows {
        check.expect(*times == 1, || {
            format!("order {order} became {status} {times} times")
        });
    }
    Ok(check)
}

fn outbox_drained(produced: &[Produced]) -> Check {
    let mut check = Check::new("no outbox row left unpublished");
    for row in produced {
        check.expect(row.published, || {
            format!(
                "{} {} of {} is unpublished",
                row.event_type, row.id, row.aggregate_id
            )
        });
    }
    check
}

fn every_event_reached_its_topic(
    produced: &[Produced],
    on_topic: &HashMap<&str, Vec<Record>>,
) -> Check {
    let mut check = Check::new("every event produced at least once");
    let seen: HashMap<&str, HashSet<&str>> = on_topic
        .iter()
        .map(|(topic, records)| {
            (
                *topic,
                records.iter().map(|r| r.event_id.as_str()).collect(),
            )
        })
        .collect();
    for row in produced {
        let id = row.id.to_string();
        let found = seen
            .get(row.topic.as_str())
            .is_some_and(|ids| ids.contains(id.as_str()));
        check.expect(found, || {
            format!("{} {id} is not on {}", row.event_type, row.topic)
        });
    }
    check
}

fn first_occurrences_in_sequence_order(
    produced: &[Produced],
    on_topic: &HashMap<&str, Vec<Record>>,
) -> Check {
    let mut check = Check::new("per aggregate, first occurrences in sequence order");
    let by_id: HashMap<String, &Produced> =
        produced.iter().map(|p| (p.id.to_string(), p)).collect();
    for (topic, records) in on_topic {
        let mut records: Vec<&Record> = records.iter().collect();
        records.sort_by_key(|r| (r.partition, r.offset));
        let mut seen: HashSet<&str> = HashSet::new();
        let mut last: HashMap<Uuid, i64> = HashMap::new();
        for record in records.into_iter().filter(|r| !is_poison(r)) {
            if !seen.insert(&record.event_id) {
                continue; // a redelivery: only first occurrences carry the order
            }
            let Some(row) = by_id.get(&record.event_id) else {
                check.expect(false, || {
                    format!("{} on {topic} comes from no outbox row", record.event_id)
                });
                continue;
            };
            let previous = last.insert(row.aggregate_id, row.sequence);
            check.expect(previous.is_none_or(|p| p < row.sequence), || {
                format!(
                    "{} on {topic}: sequence {} after {previous:?} for {}",
                    row.event_type, row.sequence, row.aggregate_id
                )
            });
        }
    }
    check
}

/// Every event of a handled type on a consumed topic is in the group's inbox, whose primary
/// key allows it once (the versions of one event, twins, count as one); the inbox holds
/// nothing that was never produced.
async fn applied_once(
    db: &PgPool,
    group: &str,
    types: &[&str],
    consumed: &[&str],
    produced: &[Produced],
) -> anyhow::Result<Check> {
    let mut check = Check::new(if group.ends_with("order-service") {
        "order-service applied each event exactly once"
    } else {
        "checkout-service applied each event exactly once"
    });
    let applied: HashSet<String> =
        sqlx::query_scalar("SELECT event_id FROM inbox WHERE consumer_group = $1")
            .bind(group)
            .fetch_all(db)
            .await?
            .into_iter()
            .collect();
    let mut expected = HashSet::new();
    for row in produced
        .iter()
        .filter(|r| consumed.contains(&r.topic.as_str()) && types.contains(&r.event_type.as_str()))
    {
        let key = row.inbox_key.to_string();
        check.expect(applied.contains(&key), || {
            format!("{} {} was never applied by {group}", row.event_type, row.id)
        });
        expected.insert(key);
    }
    for id in applied.difference(&expected) {
        check.expect(false, || {
            format!("{group} applied {id}, which was never produced")
        });
    }
    Ok(check)
}

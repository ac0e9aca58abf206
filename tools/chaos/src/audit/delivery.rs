//! The guarantees on events, followed from the outbox rows to the topics and into the
//! consumers' inboxes. Apart from the table checks because they all judge the same outbox
//! rows ([`Produced`]) against what was read back from the broker.

use std::collections::{HashMap, HashSet};

use sqlx::PgPool;
use uuid::Uuid;

use super::{Check, Produced, is_poison};
use crate::topic::Record;

pub(super) fn outbox_drained(produced: &[Produced]) -> Check {
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

pub(super) fn every_event_reached_its_topic(
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

pub(super) fn first_occurrences_in_sequence_order(
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
pub(super) async fn applied_once(
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

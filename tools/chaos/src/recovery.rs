//! Time to recover from each fault (MTTR): from the end of an injection until the outbox
//! backlog and the consumer lag are back at their steady level and submit → COMPLETED p99 is
//! under [`P99_TARGET`] again.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use messaging::KafkaSettings;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use serde::Serialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::faults::Done;
use crate::schedule::Fault;

pub const P99_TARGET: Duration = Duration::from_millis(300);
/// Checkouts started in this window after a candidate instant must meet the p99 target.
const WINDOW: f64 = 3.0;

/// The backlog and lag at one instant (seconds since the Unix epoch).
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    at: f64,
    backlog: i64,
    lag: i64,
}

/// Samples both outboxes' backlog and the consumer groups' lag every second until `stop`.
pub async fn sample(
    dbs: [PgPool; 2],
    kafka: KafkaSettings,
    groups: Vec<String>,
    stop: CancellationToken,
) -> Vec<Sample> {
    let mut samples = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    while !stop.is_cancelled() {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let mut backlog = 0;
        for db in &dbs {
            let left: Result<i64, _> =
                sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                    .fetch_one(db)
                    .await;
            // Unknown (Postgres down): as bad as can be, not steady.
            backlog += left.unwrap_or(i64::MAX / 4);
        }
        let (kafka, groups) = (kafka.clone(), groups.clone());
        let lag = tokio::task::spawn_blocking(move || group_lag(&kafka, &groups))
            .await
            .ok()
            .flatten()
            .unwrap_or(i64::MAX / 4);
        samples.push(Sample {
            at: epoch(SystemTime::now()),
            backlog,
            lag,
        });
    }
    samples
}

/// Records the groups have yet to commit, over every partition of the event topics: from the
/// broker (high watermarks and committed offsets), not from the members' own statistics.
/// `None`: the broker did not answer.
fn group_lag(kafka: &KafkaSettings, groups: &[String]) -> Option<i64> {
    const WITHIN: Duration = Duration::from_secs(2);
    let topics = messaging::Topics::new(&kafka.topic_prefix);
    let mut partitions = TopicPartitionList::new();
    let mut highs = Vec::new();
    let reader: BaseConsumer = kafka.client_config().create().ok()?;
    for logical in events::topics::ALL {
        let topic = topics.name(logical);
        for partition in 0..kafka.partitions {
            let (_, high) = reader.fetch_watermarks(&topic, partition, WITHIN).ok()?;
            partitions.add_partition(&topic, partition);
            highs.push(high);
        }
    }
    let mut lag = 0;
    for group in groups {
        let member: BaseConsumer = kafka.client_config().set("group.id", group).create().ok()?;
        let committed = member.committed_offsets(partitions.clone(), WITHIN).ok()?;
        // A partition the group never committed is one of a topic it does not read.
        for (element, high) in committed.elements().iter().zip(&highs) {
            if let Offset::Offset(at) = element.offset() {
                lag += (high - at).max(0);
            }
        }
    }
    Some(lag)
}

/// Each completed checkout: when it was submitted and how long it took (seconds).
pub async fn latencies(checkout_db: &PgPool) -> anyhow::Result<Vec<(f64, f64)>> {
    Ok(sqlx::query_as(
        "SELECT extract(epoch FROM created_at)::float8,
                extract(epoch FROM updated_at - created_at)::float8
           FROM checkouts WHERE status = 'COMPLETED' ORDER BY created_at",
    )
    .fetch_all(checkout_db)
    .await?)
}

/// The most backlog and lag that count as steady: twice the most seen before the first fault
/// (at least 10 rows and 20 records: commits come every half second).
pub fn steady(samples: &[Sample], load_started: SystemTime, done: &[Done]) -> (i64, i64) {
    let first_fault = epoch(load_started) + done.first().map_or(f64::MAX, |d| d.at_secs);
    let before = samples.iter().filter(|s| s.at < first_fault);
    let (backlog, lag) = before.fold((0, 0), |(b, l), s| (b.max(s.backlog), l.max(s.lag)));
    ((2 * backlog).max(10), (2 * lag).max(20))
}

/// Fills `recovered_secs` of each injection. `load_started`: the wall-clock start of the
/// load, which the injections' times count from; `steady`: the most backlog and lag that
/// count as steady.
pub fn measure(
    done: &mut [Done],
    load_started: SystemTime,
    samples: &[Sample],
    latencies: &[(f64, f64)],
    steady: (i64, i64),
) {
    let start = epoch(load_started);
    let starts: Vec<f64> = done.iter().map(|d| start + d.at_secs).collect();
    let last = samples.last().map_or(0.0, |s| s.at);
    for (n, injection) in done.iter_mut().enumerate() {
        let end = starts[n] + injection.took_secs;
        // Looked for until the next fault begins (or the sampling ends).
        let next = starts.get(n + 1).copied().unwrap_or(last + 1.0);
        injection.recovered_secs = samples
            .iter()
            .filter(|s| s.at >= end && s.at < next)
            .find(|s| s.backlog <= steady.0 && s.lag <= steady.1 && p99_met(latencies, s.at))
            .map(|s| s.at - end);
    }
}

fn p99_met(latencies: &[(f64, f64)], from: f64) -> bool {
    let mut window: Vec<f64> = latencies
        .iter()
        .filter(|(at, _)| *at >= from && *at < from + WINDOW)
        .map(|(_, took)| *took)
        .collect();
    if window.is_empty() {
        return false;
    }
    window.sort_by(f64::total_cmp);
    let p99 = window[((window.len() as f64 * 0.99).ceil() as usize).saturating_sub(1)];
    p99 <= P99_TARGET.as_secs_f64()
}

/// Recovery per fault kind: how many, p50 and max seconds, and how many never recovered
/// before the next fault.
#[derive(Debug, Clone, Serialize)]
pub struct Mttr {
    pub injected: usize,
    pub p50_secs: Option<f64>,
    pub max_secs: Option<f64>,
    pub not_recovered: usize,
}

pub fn per_kind(done: &[Done]) -> BTreeMap<Fault, Mttr> {
    let mut kinds: BTreeMap<Fault, Vec<Option<f64>>> = BTreeMap::new();
    for d in done {
        kinds.entry(d.fault).or_default().push(d.recovered_secs);
    }
    kinds
        .into_iter()
        .map(|(fault, all)| {
            let mut secs: Vec<f64> = all.iter().flatten().copied().collect();
            secs.sort_by(f64::total_cmp);
            let mttr = Mttr {
                injected: all.len(),
                p50_secs: secs.get(secs.len().saturating_sub(1) / 2).copied(),
                max_secs: secs.last().copied(),
                not_recovered: all.len() - secs.len(),
            };
            (fault, mttr)
        })
        .collect()
}

/// Writes `epoch backlog lag` lines, one a second, for a look at a run's recoveries.
pub fn dump(samples: &[Sample], path: &std::path::Path) -> std::io::Result<()> {
    let lines: String = samples
        .iter()
        .map(|s| format!("{:.1}\t{}\t{}\n", s.at, s.backlog, s.lag))
        .collect();
    std::fs::write(path, lines)
}

fn epoch(at: SystemTime) -> f64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(fault: Fault, at_secs: f64) -> Done {
        Done {
            fault,
            at_secs,
            took_secs: 10.0,
            error: None,
            recovered_secs: None,
        }
    }

    #[test]
    fn recovery_is_the_first_steady_sample_after_the_fault_with_fast_checkouts() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let mut injections = [done(Fault::PauseBroker, 0.0), done(Fault::KillBroker, 40.0)];
        // The first fault ends at 1010. Backlog steady from 1013; checkouts fast from 1015.
        let samples: Vec<Sample> = (1000..1060)
            .map(|at| Sample {
                at: f64::from(at),
                backlog: if (1009..1013).contains(&at) { 500 } else { 3 },
                lag: 0,
            })
            .collect();
        let latencies: Vec<(f64, f64)> = (1000..1060)
            .map(|at| (f64::from(at), if at < 1015 { 2.0 } else { 0.05 }))
            .collect();
        assert_eq!(steady(&samples, start, &injections), (10, 20));
        measure(&mut injections, start, &samples, &latencies, (10, 10));
        assert_eq!(injections[0].recovered_secs, Some(5.0));
        assert_eq!(injections[1].recovered_secs, Some(0.0));
        let kinds = per_kind(&injections);
        assert_eq!(kinds[&Fault::PauseBroker].p50_secs, Some(5.0));
    }

    #[test]
    fn a_fault_not_recovered_before_the_next_one_says_so() {
        let start = SystemTime::UNIX_EPOCH;
        let mut injections = [done(Fault::LoseBroker, 0.0), done(Fault::KillBroker, 20.0)];
        let samples: Vec<Sample> = (0..60)
            .map(|at| Sample {
                at: f64::from(at),
                backlog: 3,
                lag: 0,
            })
            .collect();
        let slow: Vec<(f64, f64)> = (0..60).map(|at| (f64::from(at), 1.0)).collect();
        measure(&mut injections, start, &samples, &slow, (10, 10));
        assert_eq!(injections[0].recovered_secs, None);
        assert_eq!(per_kind(&injections)[&Fault::LoseBroker].not_recovered, 1);
    }
}

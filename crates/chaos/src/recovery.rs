//! Time to recover from each fault (MTTR): from the end of an injection until the outbox
//! backlog and the consumer lag are back at their steady level and submit → COMPLETED p99 is
//! under [`P99_TARGET`] again.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

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

/// Samples both outboxes' backlog and the services' consumer lag every second until `stop`.
pub async fn sample(
    dbs: [PgPool; 2],
    metrics: Vec<String>,
    stop: CancellationToken,
) -> Vec<Sample> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .expect("http client");
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
        let mut lag = 0;
        for url in &metrics {
            lag += consumer_lag(&http, url).await.unwrap_or(0);
        }
        samples.push(Sample {
            at: epoch(SystemTime::now()),
            backlog,
            lag,
        });
    }
    samples
}

async fn consumer_lag(http: &reqwest::Client, base: &str) -> Option<i64> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("consumer_lag "))
        .and_then(|v| v.trim().parse().ok())
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

/// Fills `recovered_secs` of each injection. `load_started`: the wall-clock start of the
/// load, which the injections' times count from; `steady`: the most backlog and lag that
/// count as steady.
pub fn measure(
    done: &mut [Done],
    load_started: SystemTime,
    samples: &[Sample],
    latencies: &[(f64, f64)],
    steady: i64,
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
            .find(|s| s.backlog <= steady && s.lag <= steady && p99_met(latencies, s.at))
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
        measure(&mut injections, start, &samples, &latencies, 10);
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
        measure(&mut injections, start, &samples, &slow, 10);
        assert_eq!(injections[0].recovered_secs, None);
        assert_eq!(per_kind(&injections)[&Fault::LoseBroker].not_recovered, 1);
    }
}

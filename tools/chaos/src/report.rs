//! The run's report: what was done, what the clients saw, and every check with its breaches;
//! printed, and written to `report.md` and `report.json` in the run's folder.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::audit::Check;
use crate::config::Config;
use crate::faults::Done;
use crate::load::{Outcome, Results};
use crate::recovery::Mttr;
use crate::schedule::Fault;

#[derive(Debug, Serialize)]
pub struct Report {
    pub seed: u64,
    pub checkouts: u64,
    pub rate: f64,
    pub load_secs: f64,
    pub accepted: u64,
    pub accepted_with_declined_card: u64,
    /// Checkouts that did not get a 202, by why (none of them is owed anything).
    pub not_accepted: BTreeMap<String, u64>,
    pub client_retries: u64,
    pub injections: Vec<Done>,
    /// Kinds of fault asked for (`CHAOS_FAULTS`) but never injected: the run proves less.
    pub never_injected: Vec<String>,
    pub restarts: BTreeMap<String, u32>,
    pub unexpected_exits: Vec<String>,
    /// From the end of the load until every accepted checkout was final and the outboxes
    /// were drained; `None`: it never settled within the timeout.
    pub settled_after_secs: Option<f64>,
    pub checks: Vec<Check>,
    /// Recovery time per fault kind.
    pub recovery: BTreeMap<Fault, Mttr>,
}

impl Report {
    pub fn new(config: &Config, results: &Results) -> Self {
        let declined = results
            .outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Outcome::Accepted {
                        declined_card: true,
                        ..
                    }
                )
            })
            .count();
        Self {
            seed: config.seed,
            checkouts: config.checkouts,
            rate: config.rate,
            load_secs: results.elapsed.as_secs_f64(),
            accepted: results.accepted().len() as u64,
            accepted_with_declined_card: declined as u64,
            not_accepted: results.others(),
            client_retries: results.retries,
            injections: Vec::new(),
            never_injected: Vec::new(),
            restarts: BTreeMap::new(),
            unexpected_exits: Vec::new(),
            settled_after_secs: None,
            checks: Vec::new(),
            recovery: BTreeMap::new(),
        }
    }

    /// Broken guarantees, counting a run that never settled, a fault that could not be
    /// done or was never done, and a process that died by itself.
    pub fn breaches(&self) -> u64 {
        self.checks.iter().map(|c| c.breaches).sum::<u64>()
            + u64::from(self.settled_after_secs.is_none())
            + self.injections.iter().filter(|d| d.error.is_some()).count() as u64
            + self.unexpected_exits.len() as u64
            + self.never_injected.len() as u64
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# make chaos\n");
        let _ = writeln!(
            out,
            "Seed {}: {} checkouts at {}/s over {:.0} s. Accepted (202): {} ({} with a card the \
             provider declines). Client retries: {}.",
            self.seed,
            self.checkouts,
            self.rate,
            self.load_secs,
            self.accepted,
            self.accepted_with_declined_card,
            self.client_retries
        );
        for (why, count) in &self.not_accepted {
            let _ = writeln!(out, "- not accepted, {why}: {count}");
        }
        let _ = writeln!(out, "\n## Injections ({})\n", self.injections.len());
        let _ = writeln!(
            out,
            "| at (s) | fault | took (s) | recovered after (s) | error |\n|---:|---|---:|---:|---|"
        );
        for done in &self.injections {
            let _ = writeln!(
                out,
                "| {:.1} | {} | {:.1} | {} | {} |",
                done.at_secs,
                done.fault,
                done.took_secs,
                secs(done.recovered_secs),
                done.error.as_deref().unwrap_or("")
            );
        }
        let _ = writeln!(
            out,
            "\n## Recovery per fault kind\n\nFrom the end of each injection until the outbox \
             backlog and the consumer lag are steady again and submit → COMPLETED p99 is under \
             {} ms; \"not recovered\": not before the next fault began.\n\n\
             | fault | injected | p50 (s) | max (s) | not recovered |\n|---|---:|---:|---:|---:|",
            crate::recovery::P99_TARGET.as_millis()
        );
        for (fault, mttr) in &self.recovery {
            let _ = writeln!(
                out,
                "| {fault} | {} | {} | {} | {} |",
                mttr.injected,
                secs(mttr.p50_secs),
                secs(mttr.max_secs),
                mttr.not_recovered
            );
        }
        let starts: Vec<String> = self
            .restarts
            .iter()
            .map(|(n, s)| format!("{n} {s}"))
            .collect();
        let _ = writeln!(out, "\nStarts per process: {}.", starts.join(", "));
        if !self.never_injected.is_empty() {
            let _ = writeln!(
                out,
                "- **never injected**: {}",
                self.never_injected.join(", ")
            );
        }
        for exit in &self.unexpected_exits {
            let _ = writeln!(out, "- **unexpected exit**: {exit}");
        }
        match self.settled_after_secs {
            Some(secs) => {
                let _ = writeln!(out, "Settled {secs:.1} s after the load ended.");
            }
            None => {
                let _ = writeln!(out, "**Never settled** within the timeout.");
            }
        }
        let _ = writeln!(
            out,
            "\n## Checks\n\n| check | checked | breaches | examples |\n|---|---:|---:|---|"
        );
        for check in &self.checks {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                check.name,
                check.checked,
                check.breaches,
                check.examples.join("; ")
            );
        }
        let _ = writeln!(out, "\n**Breaches: {}**", self.breaches());
        out
    }
}

fn secs(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |s| format!("{s:.1}"))
}

//! The run's results: one JSON file per target in `target/bench/`, and the Markdown table
//! BENCHMARKS.md shows, each figure against its target (docs/architecture.md, section 8).
//! The rows and their targets are in `targets`, the machine's description in `machine`;
//! here, what the run records and how it is written.

mod machine;
mod targets;

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::capacity::Capacity;
use crate::config::Config;
use crate::procs::{Service, mib};
use crate::relay::Relay;
use crate::saga::Saga;
use crate::write_path::WritePath;
use machine::Machine;

#[derive(Debug, Default, Serialize)]
pub struct Memory {
    pub service: String,
    pub ready_ms: f64,
    pub idle_mib: f64,
    pub peak_mib: f64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub write_path: Option<WritePath>,
    pub saga: Option<Saga>,
    pub capacity: Option<Capacity>,
    pub relay: Option<Relay>,
    pub memory: Vec<Memory>,
}

impl Report {
    pub fn new(config: &Config) -> Self {
        Self {
            machine: Machine::read(config),
            write_path: None,
            saga: None,
            capacity: None,
            relay: None,
            memory: Vec::new(),
        }
    }

    fn memory_of(&mut self, service: &Service) -> &mut Memory {
        if let Some(i) = self.memory.iter().position(|m| m.service == service.name) {
            return &mut self.memory[i];
        }
        self.memory.push(Memory {
            service: service.name.to_owned(),
            ..Memory::default()
        });
        self.memory.last_mut().expect("just pushed")
    }

    pub fn started(&mut self, service: &Service) {
        self.memory_of(service).ready_ms = service.ready_after.as_secs_f64() * 1000.0;
    }

    pub fn idle(&mut self, service: &Service) {
        self.memory_of(service).idle_mib = mib(service.idle_rss);
    }

    fn peak(&mut self, service: &Service) {
        let peak = mib(service.peak_rss());
        let memory = self.memory_of(service);
        memory.peak_mib = memory.peak_mib.max(peak);
    }

    pub fn write_path(&mut self, result: WritePath, checkout: &Service) {
        self.peak(checkout);
        self.write_path = Some(result);
    }

    pub fn saga(&mut self, result: Saga, checkout: &Service, order: &Service) {
        self.peak(checkout);
        self.peak(order);
        self.saga = Some(result);
    }

    pub fn capacity(&mut self, result: Capacity, checkout: &Service, order: &Service) {
        self.peak(checkout);
        self.peak(order);
        self.capacity = Some(result);
    }

    pub fn relay(&mut self, result: Relay) {
        self.memory.push(Memory {
            service: "relay (checkout-service relay)".to_owned(),
            ready_ms: result.ready_ms,
            idle_mib: mib(result.idle_rss),
            peak_mib: mib(result.peak_rss),
        });
        self.relay = Some(result);
    }

    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        write_json(dir, "machine.json", &self.machine)?;
        write_json(dir, "write_path.json", &self.write_path)?;
        write_json(dir, "relay.json", &self.relay)?;
        write_json(dir, "saga.json", &self.saga)?;
        write_json(dir, "capacity.json", &self.capacity)?;
        write_json(dir, "memory.json", &self.memory)?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
        Ok(())
    }

    pub fn markdown(&self) -> String {
        let m = &self.machine;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Run {} · commit {} · {} build · scale {}",
            m.date, m.commit, m.profile, m.scale
        );
        let _ = writeln!(
            out,
            "Machine: {} ({} cores), {:.0} GiB, Linux {}\n",
            m.cpu, m.cores, m.memory_gib, m.kernel
        );
        let _ = writeln!(out, "| Measured | Figure | Target | Met |");
        let _ = writeln!(out, "|---|---|---|---|");
        for row in self.rows() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                row.what,
                row.figure,
                row.target,
                if row.met { "yes" } else { "**no**" }
            );
        }
        if let Some(c) = &self.capacity {
            out.push_str(&steps_table(c));
        }
        out
    }
}

/// The capacity search's steps: the latency curve (plotted in `capacity.png`).
fn steps_table(c: &Capacity) -> String {
    let mut out = format!(
        "\nSaga capacity steps ({} s each, open loop; plot: `target/bench/capacity.png`):\n\n\
         | Rate | Submitted | Completed | p50 | p99 | Backlog, 1st → 2nd half | Held |\n\
         |---|---|---|---|---|---|---|\n",
        c.step_seconds
    );
    let mut steps: Vec<_> = c.steps.iter().collect();
    steps.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    for s in steps {
        let _ = writeln!(
            out,
            "| {:.0}/s | {} | {} | {:.0} ms | {:.0} ms | {:.0} → {:.0} | {} |",
            s.rate,
            s.submitted,
            s.completed,
            s.submit_to_completed.p50_ms,
            s.submit_to_completed.p99_ms,
            s.backlog_first_half,
            s.backlog_second_half,
            if s.held {
                "yes".to_owned()
            } else {
                format!("no: {}", s.broke)
            }
        );
    }
    out
}

fn write_json(dir: &Path, name: &str, value: &impl Serialize) -> anyhow::Result<()> {
    std::fs::write(dir.join(name), serde_json::to_string_pretty(value)?)?;
    Ok(())
}

//! The run's results: one JSON file per target in `target/bench/`, and the Markdown table
//! BENCHMARKS.md shows, each figure against its target (docs/architecture.md, section 8).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::config::Config;
use crate::procs::{Service, mib};
use crate::relay::Relay;
use crate::saga::Saga;
use crate::write_path::WritePath;

#[derive(Debug, Default, Serialize)]
pub struct Memory {
    pub service: String,
    pub ready_ms: f64,
    pub idle_mib: f64,
    pub peak_mib: f64,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub date: String,
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub commit: String,
    pub profile: String,
    pub scale: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub write_path: Option<WritePath>,
    pub saga: Option<Saga>,
    pub relay: Option<Relay>,
    pub memory: Vec<Memory>,
}

/// One row of the table: what was measured, its target, and whether it held.
struct Row {
    what: String,
    figure: String,
    target: &'static str,
    met: bool,
}

impl Report {
    pub fn new(config: &Config) -> Self {
        Self {
            machine: Machine::read(config),
            write_path: None,
            saga: None,
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
        write_json(dir, "memory.json", &self.memory)?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
        Ok(())
    }

    pub fn all_met(&self) -> bool {
        self.rows().iter().all(|row| row.met)
    }

    fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let mut row = |what: String, figure: String, target: &'static str, met: bool| {
            rows.push(Row {
                what,
                figure,
                target,
                met,
            });
        };
        if let Some(w) = &self.write_path {
            row(
                format!(
                    "Checkout write path, most throughput ({} connections, {} in flight)",
                    w.connections, w.concurrency
                ),
                format!(
                    "{:.0}/s vs pgbench {:.0} tps = **{:.0}%**",
                    w.max_per_second,
                    w.pgbench_tps,
                    w.ratio * 100.0
                ),
                "≥ 60% of pgbench",
                w.ratio >= 0.60,
            );
            row(
                format!(
                    "Checkout write path at half that rate ({:.0}/s, open loop)",
                    w.half_rate
                ),
                format!(
                    "p50 {:.1} ms, **p99 {:.1} ms** ({} failed)",
                    w.half_rate_latency.p50_ms, w.half_rate_latency.p99_ms, w.half_rate_failed
                ),
                "p99 ≤ 25 ms",
                w.half_rate_latency.p99_ms <= 25.0 && w.half_rate_failed == 0,
            );
        }
        if let Some(r) = &self.relay {
            row(
                format!(
                    "Relay, pre-filled outbox ({} × {} B, {} partitions)",
                    r.messages, r.payload_bytes, r.partitions
                ),
                format!(
                    "**{:.0} events/s** vs bare producer {:.0} msg/s = {:.0}%",
                    r.relay_per_second,
                    r.bare_per_second,
                    r.ratio * 100.0
                ),
                "≥ 20,000 events/s",
                r.relay_per_second >= 20_000.0,
            );
            row(
                "Relay commit → ack, idle".to_owned(),
                format!(
                    "p50 {:.1} ms, **p99 {:.1} ms**",
                    r.commit_to_ack_idle.p50_ms, r.commit_to_ack_idle.p99_ms
                ),
                "p99 ≤ 20 ms",
                r.commit_to_ack_idle.p99_ms <= 20.0,
            );
            row(
                format!(
                    "Relay commit → ack, while {} events/s are written",
                    r.load_rate
                ),
                format!(
                    "p50 {:.1} ms, p99 {:.1} ms",
                    r.commit_to_ack_loaded.p50_ms, r.commit_to_ack_loaded.p99_ms
                ),
                "reported",
                true,
            );
        }
        if let Some(s) = &self.saga {
            row(
                format!(
                    "Saga submit → COMPLETED at {}/s ({} submitted, {} completed, {} failed, {} unfinished)",
                    s.rate, s.submitted, s.completed, s.failed, s.unfinished
                ),
                format!(
                    "p50 {:.0} ms, **p99 {:.0} ms**; broker hop p50 {:.1} ms, p99 {:.1} ms",
                    s.submit_to_completed.p50_ms,
                    s.submit_to_completed.p99_ms,
                    s.broker_hop.p50_ms,
                    s.broker_hop.p99_ms
                ),
                "p99 ≤ 300 ms",
                s.submit_to_completed.p99_ms <= 300.0 && s.unfinished == 0 && s.submit_failed == 0,
            );
        }
        for m in &self.memory {
            row(
                format!("{}: start → ready", m.service),
                format!("{:.0} ms", m.ready_ms),
                "< 1 s",
                m.ready_ms < 1000.0,
            );
            row(
                format!("{}: RSS idle", m.service),
                format!("{:.1} MiB", m.idle_mib),
                "≤ 40 MiB",
                m.idle_mib <= 40.0,
            );
            row(
                format!("{}: RSS peak under load", m.service),
                format!("{:.1} MiB", m.peak_mib),
                "≤ 150 MiB",
                m.peak_mib <= 150.0,
            );
        }
        rows
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
        out
    }
}

impl Machine {
    fn read(config: &Config) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .unwrap_or("unknown")
            .trim()
            .to_owned();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: f64 = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let commit = std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        Self {
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            cpu,
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            memory_gib: memory_kib / (1024.0 * 1024.0),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            commit,
            profile: config.profile.clone(),
            scale: config.scale.name.to_owned(),
        }
    }
}

fn write_json(dir: &Path, name: &str, value: &impl Serialize) -> anyhow::Result<()> {
    std::fs::write(dir.join(name), serde_json::to_string_pretty(value)?)?;
    Ok(())
}

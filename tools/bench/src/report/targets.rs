//! Each figure against its target (docs/architecture.md, section 8): the rows of the table
//! and whether they held. Apart from the recording and the writing because this is where a
//! target changes when the architecture's budget does.

use super::Report;
use crate::cpu::Share;

/// `**3.10 ms**: checkout-service 1.20, postgres 0.90, ...` (CPU-milliseconds per checkout).
fn shares(shares: &[Share]) -> String {
    let total = shares
        .iter()
        .find(|s| s.process == "total")
        .map_or(0.0, |s| s.ms_per_checkout);
    let parts: Vec<String> = shares
        .iter()
        .filter(|s| s.process != "total")
        .map(|s| format!("{} {:.2}", s.process, s.ms_per_checkout))
        .collect();
    format!("**{total:.2} CPU-ms**: {}", parts.join(", "))
}

/// One row of the table: what was measured, its target, and whether it held.
pub(super) struct Row {
    pub(super) what: String,
    pub(super) figure: String,
    pub(super) target: &'static str,
    pub(super) met: bool,
}

impl Report {
    pub fn all_met(&self) -> bool {
        self.rows().iter().all(|row| row.met)
    }

    pub(super) fn rows(&self) -> Vec<Row> {
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
            let spent: f64 = r.drain_steps.iter().map(|(_, s)| s).sum();
            if spent > 0.0 {
                let split: Vec<String> = r
                    .drain_steps
                    .iter()
                    .map(|(step, s)| format!("{step} {:.0}%", s / spent * 100.0))
                    .collect();
                row(
                    "Relay drain: where its passes spent their time".to_owned(),
                    format!("{} of {spent:.2} s", split.join(", ")),
                    "reported",
                    true,
                );
            }
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
        if let Some(c) = &self.capacity {
            let write_share = self
                .write_path
                .as_ref()
                .map(|w| {
                    format!(
                        "; {:.0}% of the write path's most ({:.0}/s)",
                        c.capacity / w.max_per_second * 100.0,
                        w.max_per_second
                    )
                })
                .unwrap_or_default();
            row(
                format!(
                    "Saga capacity: the highest open-loop rate with ≥ 99.9% COMPLETED, p99 ≤ 300 ms and no backlog growth ({} steps of {} s)",
                    c.steps.len(),
                    c.step_seconds
                ),
                format!(
                    "**{:.0} checkouts/s** vs pgbench with the saga's SQL {:.0}/s (checkout db {:.0}, order db {:.0} tps, at once) = **{:.0}%**{write_share}",
                    c.capacity,
                    c.pgbench.per_second,
                    c.pgbench.checkout_db_tps,
                    c.pgbench.order_db_tps,
                    c.ratio_to_pgbench * 100.0
                ),
                "≥ 50% of pgbench (saga SQL)",
                c.ratio_to_pgbench >= 0.50,
            );
            row(
                format!(
                    "CPU per completed checkout at {:.0}/s (half the capacity; {} checkouts)",
                    c.cpu_rate, c.cpu_checkouts
                ),
                shares(&c.cpu),
                "reported",
                true,
            );
            row(
                "CPU per checkout of pgbench running the saga's SQL at that rate".to_owned(),
                shares(&c.pgbench_cpu),
                "reported",
                true,
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
}

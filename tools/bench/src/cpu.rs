//! CPU time per process, from /proc: what one checkout costs each process, a figure far less
//! noisy than a rate on a shared machine.

use std::collections::BTreeMap;

use serde::Serialize;

/// The processes a checkout touches, by the name the report gives them.
#[derive(Debug, Clone)]
pub struct Processes {
    /// (name, pid) of the processes the bench started: the services (their relays embedded).
    pub own: Vec<(String, u32)>,
}

/// CPU seconds each group of processes had used at one instant.
#[derive(Debug, Clone, Default)]
pub struct Sample(BTreeMap<String, f64>);

/// CPU milliseconds per checkout of one group of processes.
#[derive(Debug, Clone, Serialize)]
pub struct Share {
    pub process: String,
    pub ms_per_checkout: f64,
}

impl Processes {
    /// Every group's CPU so far: the bench's own services, the load driver (this process), the
    /// pgbench runs it waited for, and the machine's Postgres (postmaster and every backend),
    /// Redis and Kafka broker processes.
    pub fn sample(&self) -> Sample {
        let mut groups = BTreeMap::new();
        let tick = clock_ticks_per_second();
        for (name, pid) in &self.own {
            groups.insert(name.clone(), cpu_seconds(*pid, tick).unwrap_or(0.0));
        }
        let (driver, children) = self_and_children(tick).unwrap_or((0.0, 0.0));
        groups.insert("load driver".to_owned(), driver);
        // pgbench runs as the bench's child: its CPU is the children's, once it was waited for.
        groups.insert("pgbench".to_owned(), children);
        for (pid, group) in shared_processes() {
            // With its children's: a Postgres backend that exits (pgbench's, at the end of a
            // run) leaves its CPU time to the postmaster that reaped it.
            *groups.entry(group.to_owned()).or_default() +=
                cpu_with_children(pid, tick).unwrap_or(0.0);
        }
        Sample(groups)
    }
}

impl Sample {
    /// What each group used from `self` to `later`, per checkout of `checkouts`, largest first,
    /// with the total last.
    pub fn per_checkout(&self, later: &Sample, checkouts: u64) -> Vec<Share> {
        let checkouts = checkouts.max(1) as f64;
        let mut shares: Vec<Share> = later
            .0
            .iter()
            .map(|(process, after)| {
                let before = self.0.get(process).copied().unwrap_or(0.0);
                Share {
                    process: process.clone(),
                    ms_per_checkout: (after - before).max(0.0) * 1000.0 / checkouts,
                }
            })
            .collect();
        shares.sort_by(|a, b| b.ms_per_checkout.total_cmp(&a.ms_per_checkout));
        let total = shares.iter().map(|s| s.ms_per_checkout).sum();
        shares.push(Share {
            process: "total".to_owned(),
            ms_per_checkout: total,
        });
        shares
    }
}

/// The machine's shared processes a checkout reaches: (pid, group).
fn shared_processes() -> Vec<(u32, &'static str)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            let group = match comm.trim() {
                "postgres" => "postgres",
                "redis-server" => "redis",
                "java" => {
                    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
                    let kafka = cmdline.split(|b| *b == 0).any(|arg| arg == b"kafka.Kafka");
                    if !kafka {
                        return None;
                    }
                    "kafka broker"
                }
                _ => return None,
            };
            Some((pid, group))
        })
        .collect()
}

/// utime + stime of `pid` in seconds (fields 14 and 15 of /proc/<pid>/stat).
fn cpu_seconds(pid: u32, ticks_per_second: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&stat).map(|ticks| ticks as f64 / ticks_per_second)
}

/// utime + stime + cutime + cstime of `pid` in seconds: its own and its reaped children's.
fn cpu_with_children(pid: u32, ticks_per_second: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields = stat_fields(&stat)?;
    let ticks = (UTIME..UTIME + 4)
        .map(|i| fields.get(i)?.parse::<u64>().ok())
        .sum::<Option<u64>>()?;
    Some(ticks as f64 / ticks_per_second)
}

/// This process's utime + stime, and its waited-for children's (cutime + cstime), in seconds.
fn self_and_children(ticks_per_second: f64) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields = stat_fields(&stat)?;
    let sum = |a: usize, b: usize| -> Option<f64> {
        let a: u64 = fields.get(a)?.parse().ok()?;
        let b: u64 = fields.get(b)?.parse().ok()?;
        Some((a + b) as f64 / ticks_per_second)
    };
    Some((sum(UTIME, UTIME + 1)?, sum(UTIME + 2, UTIME + 3)?))
}

/// Index of utime among the fields after the comm (field 14 of /proc/<pid>/stat, then stime,
/// cutime and cstime).
const UTIME: usize = 11;

/// The fields after the comm, which may hold spaces and so is skipped to its last `)`.
fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    Some(stat[stat.rfind(')')? + 2..].split_whitespace().collect())
}

fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let fields = stat_fields(stat)?;
    let utime: u64 = fields.get(UTIME)?.parse().ok()?;
    let stime: u64 = fields.get(UTIME + 1)?.parse().ok()?;
    Some(utime + stime)
}

/// `getconf CLK_TCK`: 100 on every Linux this runs on, asked rather than assumed.
fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utime_and_stime_after_a_comm_with_spaces() {
        let stat = "4242 (tokio worker) S 1 4242 4242 0 -1 4194560 1200 0 3 0 250 75 0 0 20 0 9 0";
        assert_eq!(parse_cpu_ticks(stat), Some(325));
    }

    #[test]
    fn shares_are_per_checkout_with_a_total() {
        let before = Sample(BTreeMap::from([
            ("a".to_owned(), 1.0),
            ("b".to_owned(), 2.0),
        ]));
        let after = Sample(BTreeMap::from([
            ("a".to_owned(), 3.0),
            ("b".to_owned(), 2.5),
        ]));
        let shares = before.per_checkout(&after, 1000);
        let figures: Vec<(&str, f64)> = shares
            .iter()
            .map(|s| (s.process.as_str(), s.ms_per_checkout))
            .collect();
        assert_eq!(figures, [("a", 2.0), ("b", 0.5), ("total", 2.5)]);
    }
}

//! USE metrics (utilisation, saturation) of the process, read at each scrape: CPU, resident
//! memory and file descriptors from `/proc`, the Tokio runtime's workers and queue, the
//! connection pool's size, and the spans the exporter failed to send.

use std::fmt;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use sqlx::PgPool;

/// Registered in the registry: encodes its readings at every scrape.
#[derive(Debug)]
pub(crate) struct Resources {
    runtime: tokio::runtime::Handle,
    db: PgPool,
}

impl Resources {
    /// Reads the runtime it is created on.
    pub(crate) fn new(db: &PgPool) -> Self {
        Self {
            runtime: tokio::runtime::Handle::current(),
            db: db.clone(),
        }
    }
}

impl Collector for Resources {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let mut gauge = |name: &str, help: &str, value: i64| {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)
        };
        if let Some(process) = ProcessStat::read() {
            gauge(
                "process_resident_memory_bytes",
                "Resident memory",
                process.resident_bytes,
            )?;
        }
        if let Some(open) = open_fds() {
            gauge("process_open_fds", "Open file descriptors", open)?;
        }
        if let Some(max) = max_fds() {
            gauge(
                "process_max_fds",
                "Most file descriptors the process may open",
                max,
            )?;
        }
        let metrics = self.runtime.metrics();
        let workers = metrics.num_workers();
        gauge(
            "tokio_workers",
            "Tokio runtime worker threads",
            as_i64(workers),
        )?;
        gauge(
            "tokio_alive_tasks",
            "Tasks alive on the runtime",
            as_i64(metrics.num_alive_tasks()),
        )?;
        gauge(
            "tokio_global_queue_depth",
            "Tasks waiting in the runtime's global queue for a worker (saturation)",
            as_i64(metrics.global_queue_depth()),
        )?;
        gauge(
            "db_pool_max_connections",
            "Most connections the Postgres pool opens (DB_POOL_MAX)",
            i64::from(self.db.options().get_max_connections()),
        )?;
        let busy: Duration = (0..workers)
            .map(|w| metrics.worker_total_busy_duration(w))
            .sum();
        let mut counter = |name: &str, help: &str, value: f64| {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)
        };
        if let Some(process) = ProcessStat::read() {
            counter(
                "process_cpu_seconds",
                "CPU time, user and system",
                process.cpu_seconds,
            )?;
        }
        counter(
            "tokio_worker_busy_seconds",
            "Time the runtime's workers spent running tasks; over time and per worker, their busy ratio",
            busy.as_secs_f64(),
        )?;
        let mut failures = encoder.encode_descriptor(
            "otel_export_failures",
            "OTLP exports that failed, by signal (the collector down or refusing)",
            None,
            MetricType::Counter,
        )?;
        for (signal, failed) in [
            ("traces", telemetry::failed_exports()),
            ("metrics", crate::metrics::push::failed_pushes()),
        ] {
            ConstCounter::new(failed).encode(failures.encode_family(&[("signal", signal)])?)?;
        }
        Ok(())
    }
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The unit of `/proc`'s CPU times: the kernel's ABI fixes it at 100 on x86-64 and arm64.
const USER_HZ: f64 = 100.0;

/// `VmRSS` of `/proc/self/status`.
fn resident_kib() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What `/proc/self/stat` says of the process.
struct ProcessStat {
    cpu_seconds: f64,
    resident_bytes: i64,
}

impl ProcessStat {
    fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The fields after the command name, which is in parentheses and may hold spaces:
        // utime and stime are fields 14 and 15 of the line.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let field = |n: usize| fields.get(n - 3)?.parse::<i64>().ok();
        Some(Self {
            cpu_seconds: (field(14)? + field(15)?) as f64 / USER_HZ,
            resident_bytes: resident_kib()? * 1024,
        })
    }
}

fn open_fds() -> Option<i64> {
    Some(as_i64(std::fs::read_dir("/proc/self/fd").ok()?.count()))
}

fn max_fds() -> Option<i64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_reads_its_own_cpu_memory_and_descriptors() {
        let spin = std::time::Instant::now();
        while spin.elapsed() < Duration::from_millis(50) {
            std::hint::black_box(0u64);
        }
        let process = ProcessStat::read().expect("/proc/self/stat");
        assert!(process.cpu_seconds > 0.0);
        assert!(process.resident_bytes > 1 << 20, "more than a MiB resident");
        let open = open_fds().expect("/proc/self/fd");
        let file = std::fs::File::open("/proc/self/stat").expect("open");
        assert_eq!(
            open_fds(),
            Some(open + 1),
            "one more file, one more descriptor"
        );
        drop(file);
        assert!(max_fds().expect("limits") >= open);
    }
}

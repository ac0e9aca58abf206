//! The processes a run measures: started from the built binaries, timed to readiness, their
//! resident memory sampled while they work.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::config::Config;

#[derive(Debug)]
pub struct Service {
    pub name: &'static str,
    pub base_url: String,
    child: Child,
    pid: u32,
    /// From spawn to the first 200 of `/health/ready`.
    pub ready_after: Duration,
    /// Resident set after start, with nothing to do.
    pub idle_rss: u64,
    peak_rss: Arc<AtomicU64>,
    sampler: tokio::task::JoinHandle<()>,
}

impl Service {
    /// Spawns `<bin_dir>/<name> serve` (or `relay`) and waits until it is ready.
    pub async fn start(
        config: &Config,
        name: &'static str,
        env: Vec<(String, String)>,
    ) -> anyhow::Result<Self> {
        Self::spawn(config, name, "serve", env).await
    }

    pub async fn spawn(
        config: &Config,
        name: &'static str,
        command: &str,
        env: Vec<(String, String)>,
    ) -> anyhow::Result<Self> {
        let addr = env
            .iter()
            .find(|(k, _)| k == "HTTP_ADDR")
            .map(|(_, v)| v.clone())
            .context("HTTP_ADDR must be set")?;
        let log = std::fs::File::create(
            config
                .out_dir
                .join("logs")
                .join(format!("{name}-{command}.log")),
        )?;
        let started = Instant::now();
        let child = Command::new(config.bin_dir.join(name))
            .arg(command)
            .envs(env)
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {name} {command}"))?;
        let pid = child.id().context("the process exited at once")?;
        let base_url = format!("http://{addr}");
        let client = reqwest::Client::new();
        let ready_after = loop {
            let ready = client
                .get(format!("{base_url}/health/ready"))
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                break started.elapsed();
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!(
                    "{name} {command} was not ready after 30 s; see {}",
                    config.out_dir.join("logs").display()
                );
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        let peak_rss = Arc::new(AtomicU64::new(0));
        let sampler = tokio::spawn(sample_peak(pid, peak_rss.clone()));
        Ok(Self {
            name,
            base_url,
            child,
            pid,
            ready_after,
            idle_rss: 0,
            peak_rss,
            sampler,
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Lets start-up work finish, then reads the idle resident set.
    pub async fn settle_idle(&mut self) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        self.idle_rss = rss_bytes(self.pid).unwrap_or(0);
        self.reset_peak();
    }

    /// Forgets the peak so far: the next [`Self::peak_rss`] covers what follows.
    pub fn reset_peak(&self) {
        self.peak_rss
            .store(rss_bytes(self.pid).unwrap_or(0), Ordering::Relaxed);
    }

    /// Highest resident set sampled since the last reset.
    pub fn peak_rss(&self) -> u64 {
        self.peak_rss.load(Ordering::Relaxed)
    }

    /// SIGTERM (the services drain and exit), then waits.
    pub async fn stop(mut self) {
        self.sampler.abort();
        // The crate forbids unsafe code, so no libc::kill: the `kill` command sends it.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

async fn sample_peak(pid: u32, peak: Arc<AtomicU64>) {
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tick.tick().await;
        match rss_bytes(pid) {
            Some(rss) => {
                peak.fetch_max(rss, Ordering::Relaxed);
            }
            None => return,
        }
    }
}

/// `VmRSS` of a process, from /proc.
fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

//! The processes a run owns: started, killed, paused and started again; each one's output
//! appended to its own log so a restart's story reads in one file. The private Postgres,
//! run through `pg_ctl` rather than as a child, is in `postgres`.

mod postgres;

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

pub use postgres::Postgres;

/// How a process shows it is ready to serve.
#[derive(Debug, Clone)]
pub enum Ready {
    /// Accepts TCP connections on this port.
    Listening(u16),
    /// `GET <url>` answers 2xx.
    Http(String),
}

/// A process the driver owns and may kill and start again.
#[derive(Debug)]
pub struct Proc {
    pub name: String,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    log: PathBuf,
    ready: Ready,
    child: Option<Child>,
    /// Starts so far (the first included).
    pub starts: u32,
}

const READY_TIMEOUT: Duration = Duration::from_secs(90);

impl Proc {
    pub fn new(
        name: &str,
        program: impl Into<PathBuf>,
        args: &[&str],
        env: Vec<(String, String)>,
        log_dir: &Path,
        ready: Ready,
    ) -> Self {
        Self {
            name: name.to_owned(),
            program: program.into(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            env,
            log: log_dir.join(format!("{name}.log")),
            ready,
            child: None,
            starts: 0,
        }
    }

    /// Spawns the process and waits until it is ready.
    pub async fn start(&mut self) -> anyhow::Result<Duration> {
        let started = Instant::now();
        self.spawn()?;
        self.wait_ready(started).await
    }

    /// The environment it is started with.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Whether it runs (it may not be ready yet).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Spawns the process without waiting for it.
    pub fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = Command::new(&self.program)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} ({})", self.name, self.program.display()))?;
        self.child = Some(child);
        self.starts += 1;
        Ok(())
    }

    /// Waits until the process spawned at `started` is ready.
    pub async fn wait_ready(&mut self, started: Instant) -> anyhow::Result<Duration> {
        while !self.is_ready().await {
            if let Some(status) = self.exited() {
                bail!(
                    "{} exited at start ({status}); see {}",
                    self.name,
                    self.log.display()
                );
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "{} was not ready after {READY_TIMEOUT:?}; see {}",
                    self.name,
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(started.elapsed())
    }

    async fn is_ready(&self) -> bool {
        match &self.ready {
            Ready::Listening(port) => tokio::net::TcpStream::connect(("127.0.0.1", *port))
                .await
                .is_ok(),
            Ready::Http(url) => reqwest::Client::new()
                .get(url)
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success()),
        }
    }

    /// SIGKILL, as the kernel's OOM killer or a lost node would, and reaps it.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// Sends a signal by name (`STOP`, `CONT`, `TERM`).
    pub async fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let pid = self
            .child
            .as_ref()
            .and_then(Child::id)
            .with_context(|| format!("{} is not running", self.name))?;
        // The workspace forbids unsafe code, so no libc::kill: the `kill` command sends it.
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .await?;
        anyhow::ensure!(status.success(), "kill -{signal} {} failed", self.name);
        Ok(())
    }

    /// The exit status if the process ended on its own.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// SIGTERM and a wait (the services drain), then SIGKILL if it lingers.
    pub async fn stop(&mut self) {
        if self.signal("TERM").await.is_ok()
            && let Some(child) = self.child.as_mut()
            && tokio::time::timeout(Duration::from_secs(15), child.wait())
                .await
                .is_ok()
        {
            self.child = None;
            return;
        }
        let _ = self.kill().await;
    }
}

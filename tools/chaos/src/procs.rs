//! The processes a run owns: started, killed, paused and started again; each one's output
//! appended to its own log so a restart's story reads in one file.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

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

/// A Postgres cluster of the run's own, made by `initdb` in the run's folder, run with
/// `pg_ctl` (as the `postgres` user when the driver is root: Postgres refuses to run as root).
#[derive(Debug)]
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

impl Postgres {
    /// `initdb` into `dir` (a temporary folder, emptied first), listening on 127.0.0.1:`port`
    /// only; the server log goes to `log`.
    pub async fn init(bin: &Path, dir: &Path, log: &Path, port: u16) -> anyhow::Result<Self> {
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .await
            .map(|o| o.stdout.starts_with(b"0\n"))
            .unwrap_or(false);
        let postgres = Self {
            bin: bin.to_owned(),
            data: dir.to_owned(),
            log: log.to_owned(),
            port,
            as_postgres,
        };
        if dir.join("postmaster.pid").exists() {
            // A cluster left running by an interrupted run: stop it before it is replaced.
            let _ = postgres.pg_ctl(&["stop", "-m", "immediate"]).await;
        }
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir)?;
        std::fs::File::create(log)?;
        if as_postgres {
            for path in [dir, log] {
                postgres
                    .run("chown", &["postgres", &path.display().to_string()])
                    .await?;
            }
        }
        let data = postgres.data.display().to_string();
        postgres
            .run_pg(
                "initdb",
                &[
                    "-D",
                    &data,
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
            )
            .await?;
        // fsync stays on: a crash restart must recover what was committed, as in production.
        let conf = format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data}'\n\
             max_connections = 200\nlog_min_messages = warning\n"
        );
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(postgres.data.join("postgresql.conf"))?;
        std::io::Write::write_all(&mut file, conf.as_bytes())?;
        Ok(postgres)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub async fn start(&self) -> anyhow::Result<()> {
        self.pg_ctl(&["start"]).await
    }

    /// An immediate shutdown (no checkpoint: recovery replays the WAL at start), then a start.
    pub async fn crash_restart(&self) -> anyhow::Result<()> {
        self.pg_ctl(&["restart", "-m", "immediate"]).await
    }

    /// Stops the cluster and removes its folder.
    pub async fn remove(&self) -> anyhow::Result<()> {
        self.pg_ctl(&["stop", "-m", "fast"]).await?;
        std::fs::remove_dir_all(&self.data)?;
        Ok(())
    }

    async fn pg_ctl(&self, args: &[&str]) -> anyhow::Result<()> {
        let (data, log) = (
            self.data.display().to_string(),
            self.log.display().to_string(),
        );
        let mut all = vec!["-D", &data, "-l", &log, "-w", "-t", "60"];
        all.extend_from_slice(args);
        self.run_pg("pg_ctl", &all).await
    }

    async fn run_pg(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let program = self.bin.join(tool).display().to_string();
        if self.as_postgres {
            let mut all = vec!["-u", "postgres", "--", &program];
            all.extend_from_slice(args);
            self.run("runuser", &all).await
        } else {
            self.run(&program, args).await
        }
    }

    async fn run(&self, program: &str, args: &[&str]) -> anyhow::Result<()> {
        let output = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .with_context(|| format!("running {program}"))?;
        if !output.status.success() {
            bail!(
                "{program} {args:?} failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }
}

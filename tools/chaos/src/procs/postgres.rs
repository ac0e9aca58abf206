//! The run's own Postgres cluster. Apart from [`super::Proc`] because it is not a child of
//! the driver: `initdb` makes it and `pg_ctl` starts, crashes and stops it.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use tokio::process::Command;

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

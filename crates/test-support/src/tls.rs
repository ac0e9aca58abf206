//! TLS in the tests: a certificate authority of the test's own (made with the `openssl`
//! command), and PostgreSQL and Redis servers of the test's own that accept TLS connections
//! only, with a certificate that CA signed for 127.0.0.1. (A Kafka cluster with TLS listeners
//! is `kafka::KafkaCluster::start_with_tls`.)

use std::path::{Path, PathBuf};
use std::process::Command;

use uuid::Uuid;

fn run(what: &str, command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA and a server certificate it signed for `127.0.0.1` and `localhost`, in a folder of
/// their own (removed on drop).
#[derive(Debug)]
pub struct Ca {
    pub dir: PathBuf,
}

impl Ca {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("orderflow-ca-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("CA folder");
        let openssl = |what: &str, args: &[&str]| {
            run(what, Command::new("openssl").args(args).current_dir(&dir));
        };
        openssl(
            "the CA",
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=orderflow test CA",
            ],
        );
        openssl(
            "the server key",
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        );
        std::fs::write(
            dir.join("server.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .expect("extensions");
        openssl(
            "the server certificate",
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "server.ext",
            ],
        );
        Self { dir }
    }

    /// The CA's certificate: what a client verifies the server with.
    pub fn certificate(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The server's key and certificate in one PEM file, as a Kafka broker reads them.
    pub fn keystore(&self) -> PathBuf {
        let path = self.dir.join("keystore.pem");
        if !path.exists() {
            let key = std::fs::read_to_string(self.dir.join("server.key")).expect("server key");
            let certificate =
                std::fs::read_to_string(self.dir.join("server.pem")).expect("server certificate");
            std::fs::write(&path, key + &certificate).expect("keystore");
        }
        path
    }
}

impl Default for Ca {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Ca {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// PostgreSQL's tools: as root they run as the `postgres` user (Postgres refuses root).
fn as_postgres(tool: &str) -> Command {
    let bin = postgres_bin().join(tool);
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(bin);
        command
    } else {
        Command::new(bin)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn postgres_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions
        .pop()
        .expect("Debian's PostgreSQL server package (/usr/lib/postgresql/<v>/bin)")
}

/// A PostgreSQL server on a free port of loopback that accepts TLS connections only
/// (`hostssl` in pg_hba.conf, everything else rejected), stopped and removed on drop.
#[derive(Debug)]
pub struct TlsPostgres {
    pub port: u16,
    data: PathBuf,
}

impl TlsPostgres {
    /// Starts the server with the certificate `ca` signed.
    pub fn start(ca: &Ca) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let data = std::env::temp_dir().join(format!("orderflow-tls-pg-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&data).expect("data folder");
        if is_root() {
            run("chown", Command::new("chown").arg("postgres").arg(&data));
        }
        run(
            "initdb",
            as_postgres("initdb").arg("-D").arg(&data).args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]),
        );
        for (from, to) in [("server.pem", "server.crt"), ("server.key", "server.key")] {
            std::fs::copy(ca.dir.join(from), data.join(to)).expect("copy the certificate");
        }
        run(
            "chmod",
            Command::new("chmod")
                .arg("600")
                .arg(data.join("server.key")),
        );
        if is_root() {
            run(
                "chown",
                Command::new("chown").arg("-R").arg("postgres").arg(&data),
            );
        }
        let append = |file: &str, text: &str| {
            let path = data.join(file);
            let mut content = std::fs::read_to_string(&path).expect(file);
            content.push_str(text);
            std::fs::write(&path, content).expect(file);
        };
        append(
            "postgresql.conf",
            &format!(
                "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
                 ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
                data.display()
            ),
        );
        // TLS or nothing: a plain connection is refused by the server itself.
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n",
        )
        .expect("pg_hba.conf");
        run(
            "pg_ctl start",
            as_postgres("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(data.join("server.log"))
                .args(["-w", "-t", "60", "start"]),
        );
        Self { port, data }
    }

    /// A URL of its `postgres` database with `params` (e.g. `sslmode=verify-full&sslrootcert=...`)
    /// and a password, which trust authentication ignores: the errors must not show it.
    pub fn url(&self, params: &str) -> String {
        format!(
            "postgres://postgres:not-shown-anywhere@127.0.0.1:{}/postgres?{params}",
            self.port
        )
    }

    /// `sslmode=verify-full` against `certificate`.
    pub fn verified_url(&self, certificate: &Path) -> String {
        self.url(&format!(
            "sslmode=verify-full&sslrootcert={}",
            certificate.display()
        ))
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        let _ = as_postgres("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// A Redis server on a free port of loopback that speaks TLS only (its plain port off), with
/// the certificate `ca` signed; killed on drop.
#[derive(Debug)]
pub struct TlsRedis {
    pub port: u16,
    child: std::process::Child,
}

impl TlsRedis {
    pub async fn start(ca: &Ca) -> Self {
        Self::start_with(ca, None).await
    }

    /// [`TlsRedis::start`], requiring AUTH with `password`.
    pub async fn start_with_password(ca: &Ca, password: &str) -> Self {
        Self::start_with(ca, Some(password)).await
    }

    async fn start_with(ca: &Ca, password: Option<&str>) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--tls-port")
            .arg(port.to_string())
            .arg("--tls-cert-file")
            .arg(ca.dir.join("server.pem"))
            .arg("--tls-key-file")
            .arg(ca.dir.join("server.key"))
            .arg("--tls-ca-cert-file")
            .arg(ca.certificate())
            .args(["--tls-auth-clients", "no"])
            .args(password.map(|p| ["--requirepass", p]).into_iter().flatten())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (scripts/setup.sh installs it)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self { port, child };
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the TLS Redis did not listen on {port}");
    }

    /// `rediss://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}", self.port)
    }

    /// `rediss://:<password>@127.0.0.1:<port>`.
    pub fn url_with_password(&self, password: &str) -> String {
        format!("rediss://:{password}@127.0.0.1:{}", self.port)
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

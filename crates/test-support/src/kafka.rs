//! Apache Kafka clusters of a test's own, for tests that freeze, kill or restart brokers
//! without disturbing the shared test broker. Each node is `scripts/kafka.sh node`: one
//! broker+controller, its data in a folder of the cluster's, kept across a restart.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use uuid::Uuid;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/kafka.sh");
const READY_WITHIN: Duration = Duration::from_secs(120);

/// One node: its ports, its folder and, while it runs, its JVM.
#[derive(Debug)]
struct Node {
    id: usize,
    port: u16,
    controller_port: u16,
    /// Its `SSL` and `SASL_SSL` client listeners, when the cluster has them.
    tls_ports: Option<(u16, u16)>,
    dir: PathBuf,
    child: Option<Child>,
}

/// TLS client listeners for every node: `SSL`, and `SASL_SSL` with SCRAM-SHA-512 for `users`.
#[derive(Debug, Clone)]
pub struct Tls {
    /// A PEM file with the brokers' key and certificate (`tls::Ca::keystore`).
    pub keystore: PathBuf,
    /// (name, password) of each SCRAM user.
    pub users: Vec<(String, String)>,
}

/// A KRaft cluster whose every node is a broker and a voter of the controller quorum.
#[derive(Debug)]
pub struct KafkaCluster {
    nodes: Vec<Node>,
    voters: String,
    cluster_id: String,
    dir: PathBuf,
    tls: Option<Tls>,
}

impl KafkaCluster {
    /// Starts `size` nodes and returns once every broker is in the cluster's metadata.
    pub async fn start(size: usize) -> Self {
        Self::start_with(size, None).await
    }

    /// [`KafkaCluster::start`], every node also listening with `tls`.
    pub async fn start_with_tls(size: usize, tls: Tls) -> Self {
        Self::start_with(size, Some(tls)).await
    }

    async fn start_with(size: usize, tls: Option<Tls>) -> Self {
        let dir = std::env::temp_dir().join(format!("orderflow-kafka-{}", Uuid::now_v7()));
        let nodes: Vec<Node> = (1..=size)
            .map(|id| Node {
                id,
                port: free_port(),
                controller_port: free_port(),
                tls_ports: tls.as_ref().map(|_| (free_port(), free_port())),
                dir: dir.join(format!("node-{id}")),
                child: None,
            })
            .collect();
        let voters = nodes
            .iter()
            .map(|n| format!("{}@127.0.0.1:{}", n.id, n.controller_port))
            .collect::<Vec<_>>()
            .join(",");
        let mut cluster = Self {
            nodes,
            voters,
            cluster_id: cluster_id(),
            dir,
            tls,
        };
        for node in 0..size {
            cluster.spawn(node);
        }
        cluster.wait_for_brokers(size).await;
        cluster
    }

    /// The bootstrap servers: every node.
    pub fn bootstrap(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The bootstrap servers of the `SSL` listeners.
    pub fn ssl_bootstrap(&self) -> String {
        self.tls_bootstrap(|(ssl, _)| ssl)
    }

    /// The bootstrap servers of the `SASL_SSL` listeners.
    pub fn sasl_ssl_bootstrap(&self) -> String {
        self.tls_bootstrap(|(_, sasl)| sasl)
    }

    fn tls_bootstrap(&self, port: impl Fn((u16, u16)) -> u16) -> String {
        self.nodes
            .iter()
            .map(|n| {
                let ports = n.tls_ports.expect("a cluster started with TLS listeners");
                // librdkafka checks a broker's certificate against the name it was given as a
                // DNS name, even an IP address, so TLS clients use the certificate's DNS name.
                format!("localhost:{}", port(ports))
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The node (0-based) that leads partition `partition` of `topic`, from the metadata.
    pub async fn leader_of(&self, topic: &str, partition: i32) -> usize {
        let (bootstrap, topic) = (self.bootstrap(), topic.to_owned());
        let leader = tokio::task::spawn_blocking(move || {
            let client: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &bootstrap)
                .create()
                .expect("metadata client");
            let metadata = client
                .fetch_metadata(Some(&topic), Duration::from_secs(10))
                .expect("metadata");
            metadata.topics()[0]
                .partitions()
                .iter()
                .find(|p| p.id() == partition)
                .map(|p| p.leader())
                .expect("the partition exists")
        })
        .await
        .expect("leader");
        usize::try_from(leader - 1).expect("a node id from 1")
    }

    /// Sends a signal (`-STOP`, `-CONT`, `-KILL`) to node `node` (0-based).
    pub fn signal(&self, node: usize, signal: &str) {
        let Some(child) = &self.nodes[node].child else {
            panic!("node {node} is not running");
        };
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal} node {node}");
    }

    /// SIGKILL, as a lost machine would: no controlled shutdown.
    pub fn kill(&mut self, node: usize) {
        if let Some(mut child) = self.nodes[node].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a killed node again on its data, and waits until it is a broker again.
    pub async fn restart(&mut self, node: usize) {
        self.spawn(node);
        self.wait_for_brokers(self.nodes.len()).await;
    }

    fn spawn(&mut self, node: usize) {
        let (voters, cluster_id) = (self.voters.clone(), self.cluster_id.clone());
        let tls = self.tls.clone();
        let node = &mut self.nodes[node];
        std::fs::create_dir_all(&node.dir).expect("node folder");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(node.dir.join("kafka.log"))
            .expect("node log");
        let mut command = Command::new(SCRIPT);
        if let (Some(tls), Some((ssl, sasl))) = (tls, node.tls_ports) {
            let users = tls
                .users
                .iter()
                .map(|(name, password)| format!("{name}={password}"));
            command
                .env(
                    "KAFKA_EXTRA_LISTENERS",
                    format!("TLS:{ssl}:localhost:{ssl}:SSL SASL:{sasl}:localhost:{sasl}:SASL_SSL"),
                )
                .env("KAFKA_TLS_KEYSTORE", &tls.keystore)
                .env("KAFKA_SCRAM_USERS", users.collect::<Vec<_>>().join(" "));
        }
        let child = command
            .args([
                "node",
                &node.dir.display().to_string(),
                &node.id.to_string(),
                &node.port.to_string(),
                &node.controller_port.to_string(),
                &voters,
            ])
            .env("KAFKA_CLUSTER_ID", cluster_id)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("scripts/kafka.sh runs (make test installs Kafka)");
        node.child = Some(child);
    }

    async fn wait_for_brokers(&self, want: usize) {
        let bootstrap = self.bootstrap();
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            let client: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &bootstrap)
                .set("log_level", "3")
                .create()
                .expect("metadata client");
            let started = Instant::now();
            loop {
                let brokers = client
                    .fetch_metadata(None, Duration::from_secs(2))
                    .map_or(0, |m| m.brokers().len());
                if brokers >= want {
                    return;
                }
                assert!(
                    started.elapsed() < READY_WITHIN,
                    "{brokers} of {want} Kafka brokers up after {READY_WITHIN:?}; see {}",
                    dir.display()
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        })
        .await
        .expect("wait for brokers");
    }
}

impl Drop for KafkaCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = Command::new("kill")
                    .args(["-CONT", &child.id().to_string()])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if std::thread::panicking() {
            eprintln!(
                "the Kafka cluster's logs and data are kept in {}",
                self.dir.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A cluster id as Kafka's storage tool makes them: 16 random bytes, base64url, no padding.
fn cluster_id() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Uuid::new_v4().as_bytes())
}

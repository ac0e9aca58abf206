//! The run's Kafka cluster: three nodes, each a broker and a controller, each reached by the
//! services through proxies of its own.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use messaging::KafkaSettings;
use rdkafka::consumer::{BaseConsumer, Consumer};
use test_support::TcpProxy;

use crate::config::Config;
use crate::procs::{Proc, Ready};
use crate::world::{BROKERS, BROKERS_FROM};

/// One Kafka node (broker and controller) and the proxies clients reach it through.
#[derive(Debug)]
pub struct Broker {
    pub proc: Proc,
    /// Every client but checkout-service: where latency is added.
    pub proxy: TcpProxy,
    /// checkout-service's own way in: blackholed to cut it off from the brokers.
    pub isolated: TcpProxy,
}

/// Starts the [`BROKERS`] nodes, each behind its two proxies, and waits until they listen.
pub async fn start(config: &Config, logs: &Path) -> anyhow::Result<Vec<Broker>> {
    let port = |node: usize, n: u16| config.port(BROKERS_FROM + 4 * node as u16 + n);
    let voters = (0..BROKERS)
        .map(|node| format!("{}@127.0.0.1:{}", node + 1, port(node, 3)))
        .collect::<Vec<_>>()
        .join(",");
    let cluster_id = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
    };
    let mut brokers = Vec::new();
    for node in 0..BROKERS {
        let proxy = TcpProxy::start(&format!("127.0.0.1:{}", port(node, 1))).await;
        let isolated = TcpProxy::start(&format!("127.0.0.1:{}", port(node, 2))).await;
        let listeners = format!(
            "CLIENT:{}:127.0.0.1:{} ISOLATED:{}:127.0.0.1:{}",
            port(node, 1),
            proxy.addr().port(),
            port(node, 2),
            isolated.addr().port()
        );
        let dir = config.out_dir.join(format!("kafka-{}", node + 1));
        let proc = Proc::new(
            &format!("broker-{}", node + 1),
            &config.kafka_script,
            &[
                "node",
                &dir.display().to_string(),
                &(node + 1).to_string(),
                &port(node, 0).to_string(),
                &port(node, 3).to_string(),
                &voters,
            ],
            vec![
                ("KAFKA_CLUSTER_ID".into(), cluster_id.clone()),
                ("KAFKA_EXTRA_LISTENERS".into(), listeners),
                ("KAFKA_HEAP_OPTS".into(), "-Xms128m -Xmx384m".into()),
            ],
            logs,
            Ready::Listening(port(node, 1)),
        );
        brokers.push(Broker {
            proc,
            proxy,
            isolated,
        });
    }
    // All at once: a node waits for a quorum of controllers before it listens.
    let started = std::time::Instant::now();
    for broker in &mut brokers {
        broker.proc.spawn()?;
    }
    for broker in &mut brokers {
        broker.proc.wait_ready(started).await?;
    }
    Ok(brokers)
}

/// Waits until the cluster's metadata lists `want` brokers (topics with three replicas can
/// only be made then).
pub async fn wait_for(kafka: &KafkaSettings, want: usize) -> anyhow::Result<()> {
    let kafka = kafka.clone();
    tokio::task::spawn_blocking(move || {
        let client: BaseConsumer = kafka.client_config().create()?;
        for _ in 0..300 {
            let up = client
                .fetch_metadata(None, Duration::from_secs(2))
                .map_or(0, |m| m.brokers().len());
            if up >= want {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        anyhow::bail!("fewer than {want} brokers in the metadata after a minute")
    })
    .await?
}

/// The broker (0-based) leading partition 0 of `topic`.
pub async fn leader(kafka: &KafkaSettings, topic: &str) -> anyhow::Result<usize> {
    let (kafka, topic) = (kafka.clone(), topic.to_owned());
    tokio::task::spawn_blocking(move || {
        let client: BaseConsumer = kafka.client_config().create()?;
        let metadata = client.fetch_metadata(Some(&topic), Duration::from_secs(10))?;
        let leader = metadata
            .topics()
            .first()
            .and_then(|t| t.partitions().iter().find(|p| p.id() == 0))
            .map(|p| p.leader())
            .context("no partition 0")?;
        usize::try_from(leader - 1).context("no leader")
    })
    .await?
}

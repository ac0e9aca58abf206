//! The consumer under test, its handler, and what sends it events.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use cloudevents::binding::rdkafka::{FutureRecordExt, MessageRecord};
use cloudevents::{EventBuilder, EventBuilderV10};
use consumer::{Consumer, ConsumerConfig, ConsumerStats, Envelope, Handler, HandlerError};
use messaging::KafkaSettings;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde::Deserialize;
use sqlx::{PgPool, Postgres, Transaction};
use tokio_util::sync::CancellationToken;

pub const TOPIC: &str = "test.things.v1";
pub const RECORDED: &str = "dev.test.thing.recorded.v1";
/// Version 2: the number moved into an object (`{"thing": {"n": 1}}`).
pub const RECORDED_V2: &str = "dev.test.thing.recorded.v2";

#[derive(Deserialize)]
struct Thing {
    n: i64,
    #[serde(default)]
    behaviour: String,
}

/// Records things; `behaviour` makes it fail on purpose.
#[derive(Clone, Default)]
pub struct Recorder {
    pub outages_left: Arc<AtomicU32>,
}

impl Handler for Recorder {
    const TYPES: &'static [&'static str] = &[RECORDED];

    async fn handle(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        let thing: Thing = event.data()?;
        if thing.behaviour == "slow outage" {
            // Long enough for the events sent after this one to be fetched meanwhile.
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        match thing.behaviour.as_str() {
            "fail" => return Err(HandlerError::Failed("told to fail".into())),
            "outage" | "slow outage"
                if self
                    .outages_left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok() =>
            {
                return Err(HandlerError::Unavailable("database away".into()));
            }
            "deadlock" => {
                // Row 1, then row 2: the test holds row 2 and then asks for row 1.
                for id in [1, 2] {
                    sqlx::query("UPDATE locks SET n = n + 1 WHERE id = $1")
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            _ => {}
        }
        sqlx::query("INSERT INTO things (event_id, n) VALUES ($1, $2)")
            .bind(&event.id)
            .bind(thing.n)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

pub struct Setup {
    pub db: PgPool,
    pub kafka: KafkaSettings,
    pub config: ConsumerConfig,
    pub producer: FutureProducer,
    pub stats: Arc<ConsumerStats>,
    pub shutdown: CancellationToken,
    first: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The consumer on topics of its own on the test broker (Apache Kafka in `make test`).
pub async fn setup(handler: impl Handler) -> Setup {
    setup_with(handler, |_| {}).await
}

/// As [`setup`], with the consumer's configuration changed by `tune`.
pub async fn setup_with(handler: impl Handler, tune: impl FnOnce(&mut ConsumerConfig)) -> Setup {
    started(handler, tune, true).await
}

/// As [`setup_with`], but the consumer starts before any topic exists
/// ([`Setup::create_topic`]).
pub async fn setup_before_topics(
    handler: impl Handler,
    tune: impl FnOnce(&mut ConsumerConfig),
) -> Setup {
    started(handler, tune, false).await
}

async fn started(
    handler: impl Handler,
    tune: impl FnOnce(&mut ConsumerConfig),
    with_topics: bool,
) -> Setup {
    let url = test_support::fresh_database().await;
    let db = PgPool::connect(&url).await.expect("connect");
    sqlx::migrate!("../../migrations/order")
        .run(&db)
        .await
        .expect("schema");
    sqlx::raw_sql(
        "CREATE TABLE things (event_id text PRIMARY KEY, n bigint NOT NULL);
         CREATE TABLE locks (id int PRIMARY KEY, n int NOT NULL);
         INSERT INTO locks VALUES (1, 0), (2, 0);",
    )
    .execute(&db)
    .await
    .expect("table");
    let prefix = test_support::unique_topic_prefix();
    let mut kafka = KafkaSettings::local(&test_support::kafka_brokers(), &prefix);
    kafka.partitions = 1;
    let mut config = ConsumerConfig {
        group: format!("{prefix}test"),
        topics: vec![TOPIC],
        max_attempts: 3,
        concurrency: 4,
        retry_base: Duration::from_millis(10),
        retry_max: Duration::from_millis(50),
        inbox_retention: Duration::from_secs(3600),
        instance_id: None,
        session_timeout: Duration::from_secs(45),
        max_poll_interval: Duration::from_secs(300),
        dead_letter_timeout: Duration::from_secs(60),
    };
    tune(&mut config);
    let (stats, shutdown, running) = start(&db, &kafka, &config, handler);
    let setup = Setup {
        db,
        producer: messaging::producer::idempotent(&kafka).expect("producer"),
        kafka,
        config,
        stats,
        shutdown,
        first: std::sync::Mutex::new(Some(running)),
    };
    if with_topics {
        setup.create_topics().await;
    }
    setup
}

fn start(
    db: &PgPool,
    kafka: &KafkaSettings,
    config: &ConsumerConfig,
    handler: impl Handler,
) -> (
    Arc<ConsumerStats>,
    CancellationToken,
    tokio::task::JoinHandle<()>,
) {
    let consumer = Consumer::new(db.clone(), kafka, config.clone(), handler).expect("consumer");
    let stats = consumer.stats();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(consumer.run(shutdown.clone()));
    (stats, shutdown, running)
}

impl Setup {
    /// Makes the consumer's topic and its dead-letter topic.
    pub async fn create_topics(&self) {
        self.create_topic(TOPIC).await;
    }

    /// Makes the logical topic `logical` and its dead-letter topic.
    pub async fn create_topic(&self, logical: &str) {
        let name = format!("{}{logical}", self.kafka.topic_prefix);
        let names = [format!("{name}.dlq"), name];
        messaging::topics::create(&self.kafka, &names)
            .await
            .expect("topics");
    }

    /// Stops the first consumer, waiting until it has committed and left the group.
    pub async fn stop_first(&self) {
        self.shutdown.cancel();
        let running = self.first.lock().expect("lock").take();
        if let Some(running) = running {
            running.await.expect("the consumer stops");
        }
    }

    /// Another consumer of the same group, database and topic (a newer version of it, say).
    pub fn start_another(
        &self,
        handler: impl Handler,
    ) -> (
        Arc<ConsumerStats>,
        CancellationToken,
        tokio::task::JoinHandle<()>,
    ) {
        start(&self.db, &self.kafka, &self.config, handler)
    }

    /// Sends one event as its two versions, `v1` then `v2`, twins (as `enqueue_twins` writes).
    pub async fn send_twins(&self, id: &str, v1: serde_json::Value, v2: serde_json::Value) {
        self.send_version(id, 1, v1).await;
        self.send_version(id, 2, v2).await;
    }

    /// Sends version `version` (1 or 2) of event `id`, one of a pair of twins.
    pub async fn send_version(&self, id: &str, version: u8, data: serde_json::Value) {
        let ty = if version == 1 { RECORDED } else { RECORDED_V2 };
        let message = encode_as(&format!("{id}-v{version}"), ty, data, Some(id));
        self.send_message(&message).await;
    }

    pub fn topic(&self) -> String {
        format!("{}{TOPIC}", self.kafka.topic_prefix)
    }

    /// Sends `events` without waiting between them: one record batch, all of one key.
    pub async fn send_batch(&self, events: &[(String, serde_json::Value)]) {
        let keyed: Vec<_> = events
            .iter()
            .map(|(id, data)| (id.clone(), "k".to_owned(), data.clone()))
            .collect();
        self.send_keyed(&keyed).await;
    }

    /// Sends events keyed as given, without waiting between them: (id, key, data).
    pub async fn send_keyed(&self, events: &[(String, String, serde_json::Value)]) {
        let topic = self.topic();
        let mut acks = Vec::new();
        for (id, key, data) in events {
            let message = encode(id, RECORDED, data.clone());
            let record = FutureRecord::to(&topic).key(key).message_record(&message);
            acks.push(
                self.producer
                    .send_result(record)
                    .map_err(|(e, _)| e)
                    .expect("queued"),
            );
        }
        for ack in acks {
            ack.await
                .expect("delivered")
                .map_err(|(e, _)| e)
                .expect("acked");
        }
    }

    pub async fn send_event(&self, id: &str, ty: &str, data: serde_json::Value) {
        self.send_message(&encode(id, ty, data)).await;
    }

    /// As [`Self::send_event`], to the logical topic `logical`.
    pub async fn send_event_to(&self, logical: &str, id: &str, data: serde_json::Value) {
        let topic = format!("{}{logical}", self.kafka.topic_prefix);
        let message = encode(id, RECORDED, data);
        let record = FutureRecord::to(&topic).key("k").message_record(&message);
        self.producer
            .send(record, Duration::from_secs(5))
            .await
            .expect("produce");
    }

    async fn send_message(&self, message: &MessageRecord) {
        let topic = self.topic();
        let record = FutureRecord::to(&topic).key("k").message_record(message);
        self.producer
            .send(record, Duration::from_secs(5))
            .await
            .expect("produce");
    }

    pub async fn send_raw(&self, payload: &[u8], headers: OwnedHeaders) {
        let topic = self.topic();
        let record: FutureRecord<'_, str, [u8]> = FutureRecord::to(&topic)
            .key("k")
            .payload(payload)
            .headers(headers);
        self.producer
            .send(record, Duration::from_secs(5))
            .await
            .expect("produce");
    }

    pub async fn things(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM things")
            .fetch_one(&self.db)
            .await
            .expect("count")
    }

    pub async fn dead_letters(&self) -> Vec<messaging::dlq::DeadLetter> {
        messaging::dlq::list(&self.kafka, &format!("{}.dlq", self.topic()), 100)
            .await
            .expect("read dlq")
    }

    /// Waits until `done(stats)` holds (at most 20 s).
    pub async fn until(&self, done: impl Fn(&ConsumerStats) -> bool) {
        self.until_within(Duration::from_secs(20), done).await;
    }

    pub async fn until_within(&self, within: Duration, done: impl Fn(&ConsumerStats) -> bool) {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if done(&self.stats) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the consumer never got there in {within:?}");
    }
}

pub fn thing(n: i64, behaviour: &str) -> serde_json::Value {
    serde_json::json!({ "n": n, "behaviour": behaviour })
}

/// A CloudEvent from `/test`, as the consumer reads it off Kafka.
fn encode(id: &str, ty: &str, data: serde_json::Value) -> MessageRecord {
    encode_as(id, ty, data, None)
}

/// As [`encode`], one of twins when `twin` is set.
fn encode_as(id: &str, ty: &str, data: serde_json::Value, twin: Option<&str>) -> MessageRecord {
    let mut event = EventBuilderV10::new()
        .id(id)
        .ty(ty)
        .source("/test")
        .data("application/json", data);
    if let Some(twin) = twin {
        event = event.extension("twin", twin);
    }
    messaging::envelope::encode(event.build().expect("event")).expect("encode")
}

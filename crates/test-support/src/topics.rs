//! Test topics: each test makes its own (`t<uuidv7>.` prefix, [`crate::unique_topic_prefix`])
//! and never deletes them, so a broker that runs for days accumulates thousands of partitions
//! until it runs out of heap. `make test` drops the ones over an hour old; the prefix's UUIDv7
//! carries the time it was made, so a test run going on beside (another clone, CI) keeps its own.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;

/// Topics deleted per request, so one request stays small whatever the backlog.
const PER_REQUEST: usize = 200;

/// When the test that made `topic` started, if `topic` is a test topic: its name begins with
/// `t`, 32 hex digits of a UUIDv7 (the first 12 the milliseconds since the epoch) and a dot.
pub fn made_at(topic: &str) -> Option<SystemTime> {
    let hex = topic.strip_prefix('t')?.get(..33)?;
    let (uuid, dot) = hex.split_at(32);
    if dot != "." || !uuid.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let millis = u64::from_str_radix(&uuid[..12], 16).ok()?;
    Some(UNIX_EPOCH + Duration::from_millis(millis))
}

/// Deletes the test topics on `brokers` made more than `older_than` ago; returns how many.
pub async fn drop_old(brokers: &str, older_than: Duration) -> Result<usize, KafkaError> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()?;
    let cutoff = SystemTime::now() - older_than;
    let metadata = admin
        .inner()
        .fetch_metadata(None, Duration::from_secs(30))?;
    let old: Vec<String> = metadata
        .topics()
        .iter()
        .map(|t| t.name().to_owned())
        .filter(|name| made_at(name).is_some_and(|made| made < cutoff))
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(60)));
    for chunk in old.chunks(PER_REQUEST) {
        let names: Vec<&str> = chunk.iter().map(String::as_str).collect();
        admin.delete_topics(&names, &options).await?;
    }
    Ok(old.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_topic_tells_when_it_was_made_and_another_does_not() {
        let prefix = crate::unique_topic_prefix();
        let made = made_at(&format!("{prefix}orderflow.order.v1")).expect("a test topic");
        let age = SystemTime::now()
            .duration_since(made)
            .expect("made in the past");
        assert!(age < Duration::from_secs(60), "{age:?}");

        for other in [
            "orderflow.order.v1",
            "tnothex0000000000000000000000000.x",
            "t0190abcd.short",
            "t0190abcdef0123456789abcdef012345x",
        ] {
            assert_eq!(made_at(other), None, "{other}");
        }
    }
}

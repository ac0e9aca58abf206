//! Waiting for the subscribed topics to exist before subscribing.

use std::time::{Duration, Instant};

use messaging::KafkaSettings;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use tokio_util::sync::CancellationToken;

/// How often the broker is asked again while a topic is missing.
const ASK_EVERY: Duration = Duration::from_secs(1);
/// How often the wait is logged.
const LOG_EVERY: Duration = Duration::from_secs(30);

/// Returns true once every topic of `names` exists, false when `shutdown` fires first.
///
/// Subscribed to a topic that does not exist, librdkafka looks for it again only at its next
/// metadata refresh (`topic.metadata.refresh.interval.ms`, five minutes by default): a service
/// started before its topics are made (a plain `kubectl apply` starts it beside the Job that
/// makes them) would then idle for minutes after they exist, its sagas waiting. Asking every
/// second, it subscribes within a second of the last topic being made.
pub(super) async fn wait_until_they_exist(
    kafka: &KafkaSettings,
    names: &[String],
    shutdown: &CancellationToken,
) -> bool {
    let mut logged: Option<Instant> = None;
    loop {
        let why = match missing(kafka.clone(), names.to_vec()).await {
            Ok(missing) if missing.is_empty() => return true,
            Ok(missing) => format!("topics {missing:?} do not exist yet"),
            Err(e) => format!("cannot tell whether the topics exist: {e}"),
        };
        if logged.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
            tracing::warn!(why, "consumer waiting before it subscribes");
            logged = Some(Instant::now());
        }
        tokio::select! {
            () = shutdown.cancelled() => return false,
            () = tokio::time::sleep(ASK_EVERY) => {}
        }
    }
}

/// The topics of `names` that the broker does not know (a blocking metadata request, so off
/// the async threads).
async fn missing(kafka: KafkaSettings, names: Vec<String>) -> Result<Vec<String>, String> {
    tokio::task::spawn_blocking(move || {
        let client: BaseConsumer = kafka.client_config().create().map_err(|e| e.to_string())?;
        let mut missing = Vec::new();
        for name in names {
            let metadata = client
                .fetch_metadata(Some(&name), Duration::from_secs(5))
                .map_err(|e| e.to_string())?;
            let known = metadata
                .topics()
                .iter()
                .any(|t| t.name() == name && t.error().is_none());
            if !known {
                missing.push(name);
            }
        }
        Ok(missing)
    })
    .await
    .map_err(|e| e.to_string())?
}

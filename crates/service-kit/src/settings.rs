use std::time::Duration;

use messaging::KafkaSettings;
use settings::Env;

/// Settings of the event backbone, read with the service's other settings.
#[derive(Debug, Clone)]
pub struct EventSettings {
    pub kafka: KafkaSettings,
    /// `RELAY_MODE=embedded` (default): the relay runs inside the service.
    pub relay_embedded: bool,
    pub outbox_retention: Duration,
    pub consumer_max_attempts: u32,
    pub consumer_concurrency: usize,
    pub inbox_retention: Duration,
    pub saga_timeout: Duration,
    /// `CONSUMER_INSTANCE_ID`: static group membership when set.
    pub consumer_instance_id: Option<String>,
}

impl EventSettings {
    pub fn read(env: &mut Env) -> Option<Self> {
        let kafka = KafkaSettings::read(env);
        let relay_mode = env.parse_checked("RELAY_MODE", |m: &String| {
            if m == "embedded" || m == "off" {
                Ok(())
            } else {
                Err("expected `embedded` or `off`")
            }
        });
        let outbox_retention = env.duration("OUTBOX_RETENTION");
        let consumer_max_attempts = env.parse_checked("CONSUMER_MAX_ATTEMPTS", |n: &u32| {
            if (1..=100).contains(n) {
                Ok(())
            } else {
                Err("must be between 1 and 100")
            }
        });
        let consumer_concurrency = env.parse_checked("CONSUMER_CONCURRENCY", |n: &usize| {
            if (1..=256).contains(n) {
                Ok(())
            } else {
                Err("must be between 1 and 256")
            }
        });
        let inbox_retention = env.duration("INBOX_RETENTION");
        let saga_timeout = env.duration("SAGA_TIMEOUT");
        let consumer_instance_id = env
            .string("CONSUMER_INSTANCE_ID")
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty());
        Some(Self {
            kafka: kafka?,
            relay_embedded: relay_mode? == "embedded",
            outbox_retention: outbox_retention?,
            consumer_max_attempts: consumer_max_attempts?,
            consumer_concurrency: consumer_concurrency?,
            inbox_retention: inbox_retention?,
            saga_timeout: saga_timeout?,
            consumer_instance_id,
        })
    }
}

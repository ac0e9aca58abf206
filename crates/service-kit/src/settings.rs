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
        // A handler may hold two connections at once (checkout-service's payment provider
        // records on its own connection inside the consumer's transaction): with fewer handlers
        // than connections, one is always free and no handler waits on another for ever.
        // Read raw: a bad DB_POOL_MAX is reported where the pool's settings are read.
        let pool_max = env
            .string("DB_POOL_MAX")
            .and_then(|n| n.trim().parse::<u32>().ok());
        if let (Some(concurrency), Some(pool_max)) = (consumer_concurrency, pool_max)
            && concurrency >= pool_max as usize
        {
            env.invalid(
                "CONSUMER_CONCURRENCY",
                "must be less than DB_POOL_MAX: a handler may hold two connections at once",
            );
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<(), settings::SettingsError> {
        let mut env = Env::from_pairs(pairs.iter().copied());
        let _ = EventSettings::read(&mut env);
        env.finish()
    }

    #[test]
    fn consumer_concurrency_must_leave_a_connection_free() {
        let refused = read(&[("CONSUMER_CONCURRENCY", "10"), ("DB_POOL_MAX", "10")])
            .expect_err("as many handlers as connections");
        assert!(
            refused
                .to_string()
                .contains("CONSUMER_CONCURRENCY: must be less than DB_POOL_MAX"),
            "{refused}"
        );
        read(&[("CONSUMER_CONCURRENCY", "9"), ("DB_POOL_MAX", "10")]).expect("one left free");
        read(&[]).expect("the defaults fit");
    }
}

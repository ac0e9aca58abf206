//! The settings every HTTP service reads, through [`settings::Env`].

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use settings::Env;

use crate::auth::AuthSettings;
use crate::rate_limit::RateLimitSettings;

mod auth;

/// Settings every service has.
#[derive(Debug, Clone)]
pub struct CommonSettings {
    pub http_addr: SocketAddr,
    pub database_url: SecretString,
    pub db_pool_max: u32,
    pub db_acquire_timeout: Duration,
    /// How bearer tokens are verified: a shared secret or a provider's keys.
    pub auth: AuthSettings,
    /// `service.name`, as [`CommonSettings::otel`] has it.
    pub service_name: String,
    pub log_format: telemetry::LogFormat,
    /// The OpenTelemetry SDK's variables: export, resource, sampler.
    pub otel: telemetry::OtelSettings,
    /// The fault flags at start (`FAULT_FLAGS`); all off by default.
    pub fault_flags: faults::FaultFlags,
    pub rate_limit: RateLimitSettings,
}

impl CommonSettings {
    /// Reads the common variables; `None` where one was bad (the error is kept in `env`).
    pub fn read(env: &mut Env, binary_name: &str) -> Option<Self> {
        let http_addr = env.parse("HTTP_ADDR");
        let database_url = env.secret("DATABASE_URL", 1).filter(|url| {
            let valid = url
                .expose_secret()
                .parse::<sqlx::postgres::PgConnectOptions>()
                .is_ok();
            if !valid {
                env.invalid("DATABASE_URL", "not a valid postgres:// URL");
            }
            valid
        });
        let db_pool_max = env.parse_checked("DB_POOL_MAX", |n: &u32| {
            if (1..=1000).contains(n) {
                Ok(())
            } else {
                Err("must be between 1 and 1000")
            }
        });
        let db_acquire_timeout = env.duration("DB_ACQUIRE_TIMEOUT");
        let auth = auth::read(env);
        let log_format = env.parse("LOG_FORMAT");
        let otel = telemetry::OtelSettings::read(env, binary_name);
        let fault_flags = env.parse("FAULT_FLAGS");
        let writes_per_second = env.parse_checked("RATE_LIMIT_WRITES_PER_SECOND", |n: &f64| {
            if n.is_finite() && (0.0..=1e6).contains(n) {
                Ok(())
            } else {
                Err("must be a number from 0 (no limit) to 1000000")
            }
        });
        let burst = env.parse_checked("RATE_LIMIT_BURST", |n: &u32| {
            if (1..=1_000_000).contains(n) {
                Ok(())
            } else {
                Err("must be between 1 and 1000000")
            }
        });
        Some(Self {
            http_addr: http_addr?,
            database_url: database_url?,
            db_pool_max: db_pool_max?,
            db_acquire_timeout: db_acquire_timeout?,
            auth: auth?,
            log_format: log_format?,
            service_name: otel.as_ref()?.service_name.clone(),
            otel: otel?,
            fault_flags: fault_flags?,
            rate_limit: RateLimitSettings {
                writes_per_second: writes_per_second?,
                burst: burst?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_fill_what_is_not_set() {
        let mut env = Env::from_pairs([
            ("DATABASE_URL", "postgres://x/y"),
            ("AUTH_JWT_SECRET", SECRET),
        ]);
        let common = CommonSettings::read(&mut env, "order-service").expect("valid");
        env.finish().expect("no errors");
        assert_eq!(common.db_pool_max, 10);
        assert_eq!(common.http_addr.port(), 8080);
        assert_eq!(common.service_name, "order-service");
        assert!(common.fault_flags.all_off());
    }

    #[test]
    fn fault_flags_are_read_at_start() {
        let mut env = Env::from_pairs([
            ("DATABASE_URL", "postgres://x/y"),
            ("AUTH_JWT_SECRET", SECRET),
            ("FAULT_FLAGS", "fail_readiness=true,db_latency_ms=20"),
        ]);
        let common = CommonSettings::read(&mut env, "order-service").expect("valid");
        env.finish().expect("no errors");
        assert!(common.fault_flags.fail_readiness);
        assert_eq!(common.fault_flags.db_latency_ms, 20);
    }

    #[test]
    fn every_bad_variable_is_named_in_one_error() {
        let mut env = Env::from_pairs([
            ("DATABASE_URL", "postgres://x/y"),
            ("AUTH_JWT_SECRET", "short"),
            ("DB_POOL_MAX", "lots"),
            ("DB_ACQUIRE_TIMEOUT", "soon"),
            ("FAULT_FLAGS", "kafka_produce_fail_rate=2"),
        ]);
        assert!(CommonSettings::read(&mut env, "order-service").is_none());
        let message = env.finish().expect_err("must fail").to_string();
        for name in [
            "AUTH_JWT_SECRET",
            "DB_POOL_MAX",
            "DB_ACQUIRE_TIMEOUT",
            "FAULT_FLAGS: kafka_produce_fail_rate",
        ] {
            assert!(message.contains(name), "{name} missing from {message}");
        }
        assert!(
            !message.contains("short"),
            "a secret must not be echoed: {message}"
        );
    }

    #[test]
    fn a_required_variable_that_is_missing_is_named() {
        let mut env = Env::from_pairs([("AUTH_JWT_SECRET", SECRET)]);
        assert!(CommonSettings::read(&mut env, "order-service").is_none());
        let message = env.finish().expect_err("must fail").to_string();
        assert!(message.contains("DATABASE_URL: required"), "{message}");
    }

    #[test]
    fn the_write_limit_defaults_to_on_and_zero_turns_it_off() {
        let mut env = Env::from_pairs([
            ("DATABASE_URL", "postgres://x/y"),
            ("AUTH_JWT_SECRET", SECRET),
        ]);
        let common = CommonSettings::read(&mut env, "order-service").expect("valid");
        assert!(common.rate_limit.writes_per_second > 0.0);
        let mut env = Env::from_pairs([
            ("DATABASE_URL", "postgres://x/y"),
            ("AUTH_JWT_SECRET", SECRET),
            ("RATE_LIMIT_WRITES_PER_SECOND", "0"),
        ]);
        let common = CommonSettings::read(&mut env, "order-service").expect("valid");
        assert_eq!(common.rate_limit.writes_per_second, 0.0);
    }

    #[test]
    fn a_negative_write_rate_or_an_empty_burst_is_refused_by_name() {
        let mut env = Env::from_pairs([
            ("DATABASE_URL", "postgres://x/y"),
            ("AUTH_JWT_SECRET", SECRET),
            ("RATE_LIMIT_WRITES_PER_SECOND", "-1"),
            ("RATE_LIMIT_BURST", "0"),
        ]);
        assert!(CommonSettings::read(&mut env, "order-service").is_none());
        let message = env.finish().expect_err("must fail").to_string();
        assert!(
            message.contains("RATE_LIMIT_WRITES_PER_SECOND"),
            "{message}"
        );
        assert!(message.contains("RATE_LIMIT_BURST"), "{message}");
    }

    #[test]
    fn a_pool_of_zero_connections_is_refused() {
        let mut env = Env::from_pairs([
            ("DATABASE_URL", "postgres://x/y"),
            ("AUTH_JWT_SECRET", SECRET),
            ("DB_POOL_MAX", "0"),
        ]);
        assert!(CommonSettings::read(&mut env, "order-service").is_none());
        assert!(
            env.finish()
                .expect_err("must fail")
                .to_string()
                .contains("DB_POOL_MAX")
        );
    }
}

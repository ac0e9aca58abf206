//! Kafka settings, read with the other settings at start.

use std::path::PathBuf;

use rdkafka::ClientConfig;
use secrecy::{ExposeSecret, SecretString};
use settings::Env;

/// How to reach Kafka and name its topics.
#[derive(Debug, Clone)]
pub struct KafkaSettings {
    pub brokers: String,
    pub topic_prefix: String,
    pub partitions: i32,
    /// Replicas of each topic created, and how many must have a write (`acks=all`).
    pub replication_factor: i32,
    pub min_insync_replicas: i32,
    pub security_protocol: String,
    pub sasl_mechanism: String,
    pub sasl_username: String,
    pub sasl_password: SecretString,
    /// The CA (PEM) the brokers' certificates are verified against over `ssl` and `sasl_ssl`;
    /// `None` trusts the system's roots.
    pub ssl_ca_file: Option<PathBuf>,
}

/// A check for `Env::parse_checked` that a number lies in `range`; `why` says it otherwise.
fn within(
    range: std::ops::RangeInclusive<i32>,
    why: &'static str,
) -> impl Fn(&i32) -> Result<(), &'static str> + Clone {
    move |n| if range.contains(n) { Ok(()) } else { Err(why) }
}

const PROTOCOLS: [&str; 4] = ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"];
const MECHANISMS: [&str; 4] = ["", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

impl KafkaSettings {
    /// Reads the `KAFKA_*` variables; `None` where one was bad (the error is kept in `env`).
    pub fn read(env: &mut Env) -> Option<Self> {
        let brokers = env.string("KAFKA_BROKERS").filter(|b| {
            let ok = !b.trim().is_empty();
            if !ok {
                env.invalid("KAFKA_BROKERS", "must name at least one broker");
            }
            ok
        });
        let topic_prefix = env.parse_checked("KAFKA_TOPIC_PREFIX", |p: &String| {
            let ok = p
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if ok {
                Ok(())
            } else {
                Err("may only hold A-Z, a-z, 0-9, '.', '_', '-'")
            }
        });
        let partitions = env.parse_checked(
            "KAFKA_PARTITIONS",
            within(1..=1000, "must be between 1 and 1000"),
        );
        let replicas = within(1..=7, "must be between 1 and 7");
        let replication_factor = env.parse_checked("KAFKA_REPLICATION_FACTOR", replicas.clone());
        let min_insync_replicas = env.parse_checked("KAFKA_MIN_INSYNC_REPLICAS", replicas);
        if let (Some(replicas), Some(insync)) = (replication_factor, min_insync_replicas)
            && insync > replicas
        {
            env.invalid(
                "KAFKA_MIN_INSYNC_REPLICAS",
                "must not exceed KAFKA_REPLICATION_FACTOR: no write could succeed",
            );
            return None;
        }
        let security_protocol = env.parse_checked("KAFKA_SECURITY_PROTOCOL", |p: &String| {
            if PROTOCOLS.contains(&p.as_str()) {
                Ok(())
            } else {
                Err("expected plaintext, ssl, sasl_plaintext or sasl_ssl")
            }
        });
        let sasl_mechanism = env.parse_checked("KAFKA_SASL_MECHANISM", |m: &String| {
            if MECHANISMS.contains(&m.as_str()) {
                Ok(())
            } else {
                Err("expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
            }
        });
        let sasl_username = env.string("KAFKA_SASL_USERNAME");
        let sasl_password = env.secret("KAFKA_SASL_PASSWORD", 0);
        let ssl_ca_file = env
            .string("KAFKA_SSL_CA_FILE")
            .map(|f| (!f.trim().is_empty()).then(|| PathBuf::from(f.trim())));
        if let Some(protocol) = &security_protocol {
            let (sasl, tls) = (protocol.starts_with("sasl"), protocol.ends_with("ssl"));
            if sasl && sasl_mechanism.as_deref() == Some("") {
                env.invalid("KAFKA_SASL_MECHANISM", "must be set with a sasl_* protocol");
            }
            if sasl && sasl_username.as_deref() == Some("") {
                env.invalid("KAFKA_SASL_USERNAME", "must be set with a sasl_* protocol");
            }
            match ssl_ca_file.as_ref().and_then(Option::as_ref) {
                Some(_) if !tls => env.invalid(
                    "KAFKA_SSL_CA_FILE",
                    "is only used with KAFKA_SECURITY_PROTOCOL ssl or sasl_ssl",
                ),
                Some(ca) if std::fs::File::open(ca).is_err() => {
                    env.invalid(
                        "KAFKA_SSL_CA_FILE",
                        &format!("{}: cannot be read", ca.display()),
                    );
                }
                _ => {}
            }
        }
        Some(Self {
            brokers: brokers?,
            topic_prefix: topic_prefix?,
            partitions: partitions?,
            replication_factor: replication_factor?,
            min_insync_replicas: min_insync_replicas?,
            security_protocol: security_protocol?,
            sasl_mechanism: sasl_mechanism?,
            sasl_username: sasl_username?,
            sasl_password: sasl_password?,
            ssl_ca_file: ssl_ca_file?,
        })
    }

    /// Local defaults with a topic prefix: what tests use.
    pub fn local(brokers: &str, topic_prefix: &str) -> Self {
        Self {
            brokers: brokers.to_owned(),
            topic_prefix: topic_prefix.to_owned(),
            partitions: 3,
            replication_factor: 1,
            min_insync_replicas: 1,
            security_protocol: "plaintext".to_owned(),
            sasl_mechanism: String::new(),
            sasl_username: String::new(),
            sasl_password: SecretString::from(String::new()),
            ssl_ca_file: None,
        }
    }

    /// The client config every producer, consumer and admin client starts from.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("security.protocol", &self.security_protocol)
            .set("log_level", "4");
        if self.security_protocol.ends_with("ssl") {
            // The broker's name is checked against its certificate (librdkafka's default since
            // 2.0, stated so that no older default can turn it off).
            config.set("ssl.endpoint.identification.algorithm", "https");
            if let Some(ca) = &self.ssl_ca_file {
                config.set("ssl.ca.location", ca.display().to_string());
            }
        }
        if self.security_protocol.starts_with("sasl") {
            config
                .set("sasl.mechanism", &self.sasl_mechanism)
                .set("sasl.username", &self.sasl_username)
                .set("sasl.password", self.sasl_password.expose_secret());
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The errors `pairs` give, each naming its variable.
    fn errors(pairs: &[(&str, &str)]) -> String {
        let mut env = Env::from_pairs(pairs.iter().copied());
        let _ = KafkaSettings::read(&mut env);
        env.finish()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn sasl_needs_a_mechanism_and_a_user() {
        let found = errors(&[("KAFKA_SECURITY_PROTOCOL", "sasl_ssl")]);
        assert!(found.contains("KAFKA_SASL_MECHANISM"), "{found}");
        assert!(found.contains("KAFKA_SASL_USERNAME"), "{found}");
        let complete = errors(&[
            ("KAFKA_SECURITY_PROTOCOL", "sasl_ssl"),
            ("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
            ("KAFKA_SASL_USERNAME", "orderflow"),
            ("KAFKA_SASL_PASSWORD", "secret"),
        ]);
        assert_eq!(complete, "");
    }

    #[test]
    fn a_ca_file_must_be_readable_and_used_with_tls() {
        let missing = errors(&[
            ("KAFKA_SECURITY_PROTOCOL", "ssl"),
            ("KAFKA_SSL_CA_FILE", "/nonexistent/ca.pem"),
        ]);
        assert!(
            missing.contains("KAFKA_SSL_CA_FILE: /nonexistent/ca.pem: cannot be read"),
            "{missing}"
        );
        let plaintext = errors(&[("KAFKA_SSL_CA_FILE", "/etc/hostname")]);
        assert!(
            plaintext.contains("KAFKA_SSL_CA_FILE: is only used with"),
            "{plaintext}"
        );
    }

    #[test]
    fn the_client_verifies_the_brokers_name_and_uses_the_ca() {
        let mut settings = KafkaSettings::local("broker:9093", "t");
        settings.security_protocol = "ssl".to_owned();
        settings.ssl_ca_file = Some(PathBuf::from("/etc/ca.pem"));
        let config = settings.client_config();
        assert_eq!(config.get("ssl.ca.location"), Some("/etc/ca.pem"));
        assert_eq!(
            config.get("ssl.endpoint.identification.algorithm"),
            Some("https")
        );
        assert_eq!(config.get("sasl.mechanism"), None);
    }
}

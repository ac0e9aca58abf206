//! The `KAFKA_*` TLS and SASL settings against a real broker with `SSL` and `SASL_SSL`
//! (SCRAM-SHA-512) listeners, its certificate signed by a CA the test makes: what verifies
//! is accepted, what the broker refuses for good is said by naming the setting, and a broker
//! that is down is not mistaken for a refusal.

use std::time::Duration;

use messaging::KafkaSettings;
use secrecy::SecretString;
use test_support::kafka::{KafkaCluster, Tls};
use test_support::tls::Ca;

const USER: &str = "orderflow";
const PASSWORD: &str = "the-right-scram-password";
const WITHIN: Duration = Duration::from_secs(10);

fn settings(brokers: &str, protocol: &str, ca: &Ca, password: &str) -> KafkaSettings {
    let mut settings = KafkaSettings::local(brokers, "tls");
    settings.security_protocol = protocol.to_owned();
    settings.ssl_ca_file = Some(ca.certificate());
    if protocol == "sasl_ssl" {
        settings.sasl_mechanism = "SCRAM-SHA-512".to_owned();
        settings.sasl_username = USER.to_owned();
        settings.sasl_password = SecretString::from(password.to_owned());
    }
    settings
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_settings_are_accepted_or_refused_naming_the_setting_and_never_the_password() {
    let (ca, other) = (Ca::new(), Ca::new());
    let kafka = KafkaCluster::start_with_tls(
        1,
        Tls {
            keystore: ca.keystore(),
            users: vec![(USER.to_owned(), PASSWORD.to_owned())],
        },
    )
    .await;
    let (ssl, sasl) = (kafka.ssl_bootstrap(), kafka.sasl_ssl_bootstrap());

    for good in [
        settings(&ssl, "ssl", &ca, ""),
        settings(&sasl, "sasl_ssl", &ca, PASSWORD),
    ] {
        let protocol = good.security_protocol.clone();
        messaging::refused_for_good(&good, WITHIN)
            .await
            .unwrap_or_else(|e| panic!("{protocol} with the right CA: {e:?}"));
        messaging::topics::ensure(&good)
            .await
            .unwrap_or_else(|e| panic!("{protocol}: the topics are created: {e}"));
    }

    for (bad, setting) in [
        (settings(&ssl, "ssl", &other, ""), "KAFKA_SSL_CA_FILE"),
        (
            settings(&sasl, "sasl_ssl", &other, PASSWORD),
            "KAFKA_SSL_CA_FILE",
        ),
        (
            settings(&sasl, "sasl_ssl", &ca, "a-wrong-password"),
            "KAFKA_SASL_PASSWORD",
        ),
    ] {
        let (named, why) = messaging::refused_for_good(&bad, WITHIN)
            .await
            .expect_err("the brokers refuse these settings");
        assert_eq!(named, setting, "{why}");
        for secret in [PASSWORD, "a-wrong-password"] {
            assert!(!why.contains(secret), "{why}");
        }
    }
}

#[tokio::test]
async fn brokers_that_are_down_are_not_a_refusal() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let ca = Ca::new();
    let down = settings(&format!("localhost:{port}"), "sasl_ssl", &ca, PASSWORD);
    messaging::refused_for_good(&down, WITHIN)
        .await
        .expect("nobody answered: not a settings error");
}

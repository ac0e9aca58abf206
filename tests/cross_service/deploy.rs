//! The deployment files and the code agree: variable names, ports and paths cannot drift.

use std::collections::BTreeSet;

use settings::VARIABLES;

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).expect(path)
}

/// The environment keys set for our own containers in docker-compose.yml: the shared
/// `x-service-env` block and the services built from our Dockerfiles.
fn compose_service_env() -> BTreeSet<String> {
    let compose = read("docker-compose.yml");
    let mut keys = BTreeSet::new();
    let (mut section, mut ours) = ("", false);
    for line in compose
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    {
        let indent = line.len() - line.trim_start().len();
        let key = line.trim().split(':').next().unwrap_or_default();
        if indent == 0 {
            section = key;
            ours = key == "x-service-env";
        } else if indent == 2 && section == "services" {
            ours = [
                "checkout-service",
                "order-service",
                "migrate-checkout",
                "migrate-order",
            ]
            .contains(&key);
        } else if ours
            && !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            keys.insert(key.to_owned());
        }
    }
    keys
}

#[test]
fn compose_sets_only_variables_the_services_read() {
    let known: BTreeSet<&str> = VARIABLES.iter().map(|v| v.name).collect();
    let set = compose_service_env();

    assert!(
        set.contains("DATABASE_URL") && set.contains("KAFKA_BROKERS"),
        "{set:?}"
    );
    for key in &set {
        assert!(
            known.contains(key.as_str()),
            "docker-compose.yml sets {key}, which no service reads"
        );
    }
    for required in VARIABLES.iter().filter(|v| v.default.is_none()) {
        assert!(
            set.contains(required.name),
            "docker-compose.yml misses the required {}",
            required.name
        );
    }
}

#[test]
fn ports_probes_and_scrape_paths_match_the_services() {
    let default_port = VARIABLES
        .iter()
        .find(|v| v.name == "HTTP_ADDR")
        .and_then(|v| v.default)
        .and_then(|addr| addr.rsplit(':').next())
        .expect("HTTP_ADDR has a default port");
    let compose = read("docker-compose.yml");
    let prometheus = read("docker/prometheus/prometheus.yml");

    for service in ["checkout-service", "order-service"] {
        assert!(
            compose.contains(&format!("{service}:8080"))
                || compose.contains(&format!(":{default_port}\"]")),
            "compose port of {service}"
        );
        assert!(
            compose.contains(&format!("\"/usr/local/bin/{service}\", \"healthcheck\"")),
            "{service}'s compose healthcheck runs its own probe"
        );
        assert!(
            read(&format!("docker/{service}.Dockerfile"))
                .contains(&format!("EXPOSE {default_port}"))
        );
        assert!(
            prometheus.contains(&format!("\"{service}:{default_port}\"")),
            "Prometheus scrapes {service} on {default_port}"
        );
    }
    assert!(prometheus.contains("metrics_path: /metrics"));
}

#[test]
fn kubernetes_sets_only_variables_the_services_read_and_probes_their_health_paths() {
    let known: BTreeSet<&str> = VARIABLES.iter().map(|v| v.name).collect();
    let config = read("kubernetes/base/config.env");
    for line in config
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let key = line.split('=').next().unwrap_or_default();
        assert!(
            known.contains(key),
            "the ConfigMap sets {key}, which no service reads"
        );
    }
    for service in ["checkout-service", "order-service"] {
        let deployment = read(&format!("kubernetes/base/{service}-deployment.yaml"));
        for expected in [
            "path: /health/ready",
            "path: /health/live",
            "containerPort: 8080",
            "readOnlyRootFilesystem: true",
        ] {
            assert!(
                deployment.contains(expected),
                "{service}'s Deployment lacks `{expected}`"
            );
        }
        for secret in deployment
            .lines()
            .filter_map(|l| l.trim().strip_prefix("key: "))
        {
            assert!(
                known.contains(secret),
                "{service} reads the secret key {secret}, which is no setting"
            );
        }
    }
}

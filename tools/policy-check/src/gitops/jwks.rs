//! A Deployment whose settings name `AUTH_JWKS_URL` verifies an identity provider's tokens
//! with the keys of its JWKS document, fetched over HTTPS from outside the cluster. When a
//! NetworkPolicy isolates its pods' egress, one must let them out on TCP 443, or no token is
//! ever accepted.

use serde_json::Value;

use super::{containers, kind, matches, name, pod_labels, pod_spec};

const SETTING: &str = "AUTH_JWKS_URL";
const HTTPS: u64 = 443;

/// Whether the pod spec's containers get `SETTING`: in their env, or from a ConfigMap of the
/// overlay they read whole (a ConfigMap made out of band is not known here).
fn names_the_setting(spec: &Value, objects: &[Value]) -> bool {
    containers(spec).any(|container| {
        let in_env = container["env"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|env| env["name"] == SETTING);
        let in_config_map = container["envFrom"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|from| from["configMapRef"]["name"].as_str())
            .any(|config| {
                objects.iter().any(|o| {
                    kind(o) == "ConfigMap" && name(o) == config && !o["data"][SETTING].is_null()
                })
            });
        in_env || in_config_map
    })
}

fn isolates_egress(policy: &Value) -> bool {
    match policy["spec"]["policyTypes"].as_array() {
        Some(types) => types.iter().any(|t| t == "Egress"),
        None => !policy["spec"]["egress"].is_null(),
    }
}

/// Whether one of the policy's egress rules lets TCP 443 out of the cluster: any port, or 443
/// (or a range holding it), to anywhere or to an address block.
fn allows_https_out(policy: &Value) -> bool {
    policy["spec"]["egress"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|rule| {
            let ports = rule["ports"].as_array().filter(|p| !p.is_empty());
            let port_ok = ports.is_none_or(|ports| {
                ports.iter().any(|p| {
                    let tcp = p["protocol"].as_str().is_none_or(|t| t == "TCP");
                    let first = p["port"].as_u64();
                    let last = p["endPort"].as_u64().or(first);
                    tcp && (p["port"].is_null() || (first <= Some(HTTPS) && Some(HTTPS) <= last))
                })
            });
            let peers = rule["to"].as_array().filter(|t| !t.is_empty());
            let out = peers.is_none_or(|peers| peers.iter().any(|peer| !peer["ipBlock"].is_null()));
            port_ok && out
        })
}

pub(super) fn check(objects: &[Value]) -> Vec<String> {
    let policies: Vec<&Value> = objects
        .iter()
        .filter(|o| kind(o) == "NetworkPolicy")
        .collect();
    let mut findings = Vec::new();
    for deployment in objects.iter().filter(|o| kind(o) == "Deployment") {
        let (Some(spec), labels) = (pod_spec(deployment), pod_labels(deployment)) else {
            continue;
        };
        if !names_the_setting(spec, objects) {
            continue;
        }
        let governing: Vec<&&Value> = policies
            .iter()
            .filter(|p| matches(&p["spec"]["podSelector"], labels) && isolates_egress(p))
            .collect();
        if !governing.is_empty() && !governing.iter().any(|p| allows_https_out(p)) {
            findings.push(format!(
                "Deployment {}: its settings name {SETTING}, but no NetworkPolicy lets its pods out on TCP {HTTPS}, so the JWKS is never fetched",
                name(deployment)
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn overlay(egress: Value) -> Vec<Value> {
        vec![
            json!({"kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {SETTING: ""}}),
            json!({"kind": "NetworkPolicy", "metadata": {"name": "default-deny"},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
            json!({"kind": "NetworkPolicy", "metadata": {"name": "api"}, "spec": {
                "podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Egress"],
                "egress": egress}}),
            json!({"kind": "Deployment", "metadata": {"name": "api"}, "spec": {"template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"envFrom": [{"configMapRef": {"name": "cfg"}}]}]}}}}),
        ]
    }

    #[test]
    fn https_to_an_address_block_lets_the_keys_in() {
        let egress = json!([{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
            "ports": [{"protocol": "TCP", "port": 443}]}]);
        assert_eq!(check(&overlay(egress)), Vec::<String>::new());
    }

    #[test]
    fn egress_to_the_database_only_is_found() {
        let egress = json!([{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
            "ports": [{"protocol": "TCP", "port": 5432}]}]);
        let findings = check(&overlay(egress));
        assert!(findings[0].contains("TCP 443"), "{findings:?}");
    }
}

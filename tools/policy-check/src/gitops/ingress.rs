//! The Ingress is public: none of its paths may carry the services' operator API
//! (`/v1/admin/...`) or the console (`/ops`, and the `/ops/<service>/v1/admin/` paths the
//! storefront passes on). The catch-all `/` is the exception: it reaches the storefront's
//! public port, which answers 404 under both.

use serde_json::Value;

use super::{kind, name};

const OPERATOR_PATHS: [&str; 2] = ["/v1/admin", "/ops"];

/// Whether a request under `operator` can take this Ingress path. A `Prefix` path matches whole
/// segments (the Ingress API's rule); an `ImplementationSpecific` one is read as a plain string
/// prefix, the widest a controller may apply.
fn carries(path: &str, path_type: &str, operator: &str) -> bool {
    let under = |path: &str, prefix: &str| {
        let prefix = prefix.trim_end_matches('/');
        path == prefix || path.starts_with(&format!("{prefix}/"))
    };
    match path_type {
        "Exact" => under(path, operator),
        "Prefix" => under(path, operator) || under(operator, path),
        _ => path.starts_with(operator) || operator.starts_with(path),
    }
}

pub(super) fn check(objects: &[Value]) -> Vec<String> {
    let mut findings = Vec::new();
    for ingress in objects.iter().filter(|o| kind(o) == "Ingress") {
        let rules = ingress["spec"]["rules"].as_array().into_iter().flatten();
        for route in rules
            .filter_map(|r| r["http"]["paths"].as_array())
            .flatten()
        {
            let path = route["path"].as_str().unwrap_or("/");
            let path_type = route["pathType"]
                .as_str()
                .unwrap_or("ImplementationSpecific");
            if path == "/" {
                continue;
            }
            for operator in OPERATOR_PATHS
                .iter()
                .filter(|o| carries(path, path_type, o))
            {
                findings.push(format!(
                    "Ingress {}: path {path} ({path_type}, to {}) routes {operator}, an operator path, from the public entry",
                    name(ingress),
                    route["backend"]["service"]["name"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shoppers_paths_carry_no_operator_path() {
        for path in ["/v1/orders", "/v1/cart", "/v1/checkouts", "/opsx"] {
            for operator in OPERATOR_PATHS {
                assert!(
                    !carries(path, "Prefix", operator),
                    "{path} carries {operator}"
                );
            }
        }
    }

    #[test]
    fn a_path_above_or_below_an_operator_path_carries_it() {
        assert!(carries("/v1", "Prefix", "/v1/admin"));
        assert!(carries("/v1/", "Prefix", "/v1/admin"));
        assert!(carries("/v1/admin/outbox", "Exact", "/v1/admin"));
        assert!(carries("/ops", "Prefix", "/ops"));
        assert!(carries("/o", "ImplementationSpecific", "/ops"));
        assert!(!carries(
            "/v1/orders",
            "ImplementationSpecific",
            "/v1/admin"
        ));
    }
}

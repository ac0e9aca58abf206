//! A store's data directory is a directory below a persistent volume's mount, never the mount
//! itself: a new ext4 volume's root holds `lost+found`, which Kafka takes for a damaged
//! partition directory and `initdb` for data already there, and neither starts.

use serde_json::Value;

use super::{containers, kind, name, pod_spec};

/// The settings of the stores' images that name their data directories (comma-separated).
const DATA_DIRS: [&str; 2] = ["KAFKA_LOG_DIRS", "PGDATA"];

/// The names of the pod's volumes that persist: claims of a StatefulSet's templates, and
/// volumes of the pod spec backed by a PersistentVolumeClaim.
fn persistent(workload: &Value, spec: &Value) -> Vec<String> {
    let templates = workload["spec"]["volumeClaimTemplates"].as_array();
    let claims = templates
        .into_iter()
        .flatten()
        .map(|t| &t["metadata"]["name"]);
    let volumes = spec["volumes"].as_array().into_iter().flatten();
    let backed = volumes
        .filter(|v| !v["persistentVolumeClaim"].is_null())
        .map(|v| &v["name"]);
    claims
        .chain(backed)
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

pub(super) fn check(objects: &[Value]) -> Vec<String> {
    let mut findings = Vec::new();
    for workload in objects {
        let Some(spec) = pod_spec(workload) else {
            continue;
        };
        let persistent = persistent(workload, spec);
        for container in containers(spec) {
            let roots: Vec<&str> = container["volumeMounts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|m| m["subPath"].is_null())
                .filter(|m| persistent.iter().any(|p| m["name"] == p.as_str()))
                .filter_map(|m| m["mountPath"].as_str())
                .map(|p| p.trim_end_matches('/'))
                .collect();
            let settings = container["env"].as_array().into_iter().flatten();
            for env in settings.filter(|e| DATA_DIRS.iter().any(|d| e["name"] == *d)) {
                let dirs = env["value"].as_str().unwrap_or_default().split(',');
                for dir in dirs.map(|d| d.trim().trim_end_matches('/')) {
                    if roots.contains(&dir) {
                        findings.push(format!(
                            "{} {}: {} is {dir}, the root of a persistent volume; use a directory below it",
                            kind(workload),
                            name(workload),
                            env["name"].as_str().unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kafka(log_dirs: &str) -> Value {
        json!({"kind": "StatefulSet", "metadata": {"name": "kafka"}, "spec": {
            "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
            "template": {"spec": {"containers": [{
                "env": [{"name": "KAFKA_LOG_DIRS", "value": log_dirs}],
                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/kafka/data"}]}]}}}})
    }

    #[test]
    fn a_directory_below_the_mount_is_sound() {
        assert_eq!(
            check(&[kafka("/var/lib/kafka/data/logs")]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn the_mount_itself_is_found() {
        let findings = check(&[kafka("/var/lib/kafka/data/")]);
        assert!(
            findings[0].contains("root of a persistent volume"),
            "{findings:?}"
        );
    }
}

//! Checks that a rendered overlay converges under Argo CD and runs under its own network
//! policies, each a mistake this repository once shipped:
//! - a Deployment an HPA scales sets no `spec.replicas` (Argo CD and the HPA would fight);
//! - a hook Job runs after what it uses: everything it reads (ConfigMap, ServiceAccount) is
//!   in an earlier wave, and a `PreSync` hook uses nothing of the overlay (nothing of it
//!   exists yet on the first sync);
//! - every Job pod has egress under a default deny: some policy of an earlier wave selects
//!   it and allows egress;
//! - every Secret key a workload reads is documented (the operations guide's table of
//!   Secrets names each `secret`/`key` pair);
//! - no Job's pods are counted among a workload's ([`job_pods`]);
//! - a Deployment that fetches an identity provider's JWKS may reach it ([`jwks`]);
//! - no Ingress path carries the operator paths ([`ingress`]);
//! - no data directory is a volume's root ([`volumes`]).

use serde_json::Value;

mod ingress;
mod job_pods;
mod jwks;
mod selector;
mod volumes;

use selector::matches;

fn kind(object: &Value) -> &str {
    object["kind"].as_str().unwrap_or_default()
}

fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// The labels of the pods a workload makes (null for an object that makes none).
fn pod_labels(object: &Value) -> &Value {
    match kind(object) {
        "CronJob" => &object["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"],
        _ => &object["spec"]["template"]["metadata"]["labels"],
    }
}

fn annotation<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object["metadata"]["annotations"][key].as_str()
}

/// Argo CD's sync wave of `object` (0 unless annotated).
fn wave(object: &Value) -> i64 {
    annotation(object, "argocd.argoproj.io/sync-wave")
        .and_then(|w| w.trim().parse().ok())
        .unwrap_or(0)
}

fn pod_spec(object: &Value) -> Option<&Value> {
    match kind(object) {
        "Deployment" | "Job" | "StatefulSet" | "DaemonSet" => {
            Some(&object["spec"]["template"]["spec"])
        }
        "CronJob" => Some(&object["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
        _ => None,
    }
}

fn containers(spec: &Value) -> impl Iterator<Item = &Value> {
    ["initContainers", "containers"]
        .into_iter()
        .filter_map(|field| spec[field].as_array())
        .flatten()
}

/// The (secret, key) pairs a pod spec reads through `secretKeyRef`.
fn secret_keys(spec: &Value) -> Vec<(String, String)> {
    containers(spec)
        .filter_map(|c| c["env"].as_array())
        .flatten()
        .filter_map(|env| {
            let reference = &env["valueFrom"]["secretKeyRef"];
            Some((
                reference["name"].as_str()?.to_owned(),
                reference["key"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// The ConfigMaps and the ServiceAccount a pod spec needs before it can start.
fn needs(spec: &Value) -> Vec<(&'static str, String)> {
    let mut needs: Vec<(&'static str, String)> = containers(spec)
        .filter_map(|c| c["envFrom"].as_array())
        .flatten()
        .filter_map(|from| from["configMapRef"]["name"].as_str())
        .map(|n| ("ConfigMap", n.to_owned()))
        .collect();
    if let Some(account) = spec["serviceAccountName"].as_str() {
        needs.push(("ServiceAccount", account.to_owned()));
    }
    needs
}

fn selects(policy: &Value, labels: &Value) -> bool {
    matches(&policy["spec"]["podSelector"], labels)
}

fn allows_egress(policy: &Value) -> bool {
    policy["spec"]["egress"]
        .as_array()
        .is_some_and(|rules| !rules.is_empty())
}

/// Every finding, one line each; none when the overlay is sound. `secrets_doc` is the text
/// that must document each Secret key.
pub fn check(objects: &[Value], secrets_doc: &str) -> Vec<String> {
    let mut findings = Vec::new();
    for hpa in objects
        .iter()
        .filter(|o| kind(o) == "HorizontalPodAutoscaler")
    {
        let target = &hpa["spec"]["scaleTargetRef"];
        let scaled = objects.iter().find(|o| {
            kind(o) == target["kind"].as_str().unwrap_or_default()
                && name(o) == target["name"].as_str().unwrap_or_default()
        });
        if let Some(deployment) = scaled
            && !deployment["spec"]["replicas"].is_null()
        {
            findings.push(format!(
                "{} {}: sets spec.replicas, but HorizontalPodAutoscaler {} owns it",
                kind(deployment),
                name(deployment),
                name(hpa)
            ));
        }
    }
    for job in objects.iter().filter(|o| kind(o) == "Job") {
        let spec = &job["spec"]["template"]["spec"];
        let hook = annotation(job, "argocd.argoproj.io/hook");
        for (needed_kind, needed) in needs(spec) {
            let Some(found) = objects
                .iter()
                .find(|o| kind(o) == needed_kind && name(o) == needed)
            else {
                continue; // made outside the overlay (the namespace's default ServiceAccount)
            };
            if hook == Some("PreSync") {
                findings.push(format!(
                    "Job {}: a PreSync hook runs before {needed_kind} {needed} exists on a first sync",
                    name(job)
                ));
            } else if wave(found) >= wave(job) {
                findings.push(format!(
                    "Job {} (wave {}): needs {needed_kind} {needed}, which is in wave {}",
                    name(job),
                    wave(job),
                    wave(found)
                ));
            }
        }
        let labels = &job["spec"]["template"]["metadata"]["labels"];
        let egress = objects.iter().any(|o| {
            kind(o) == "NetworkPolicy"
                && selects(o, labels)
                && allows_egress(o)
                && wave(o) < wave(job)
        });
        let deny_all = objects.iter().any(|o| {
            kind(o) == "NetworkPolicy"
                && o["spec"]["podSelector"]
                    .as_object()
                    .is_some_and(|s| s.is_empty())
        });
        if deny_all && !egress {
            findings.push(format!(
                "Job {}: no NetworkPolicy of an earlier wave selects its pods and allows egress, so the default deny cuts it off",
                name(job)
            ));
        }
    }
    for workload in objects {
        let Some(spec) = pod_spec(workload) else {
            continue;
        };
        for (secret, key) in secret_keys(spec) {
            let documented = secrets_doc
                .lines()
                .any(|l| l.contains(&format!("`{secret}`")) && l.contains(&format!("`{key}`")));
            if !documented {
                findings.push(format!(
                    "{} {}: reads key {key} of Secret {secret}, which the table of Secrets does not document",
                    kind(workload),
                    name(workload)
                ));
            }
        }
    }
    findings.extend(job_pods::check(objects));
    findings.extend(jwks::check(objects));
    findings.extend(ingress::check(objects));
    findings.extend(volumes::check(objects));
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(hook: &str, wave: &str, config: &str) -> Value {
        json!({
            "kind": "Job",
            "metadata": {"name": "migrate", "annotations": {
                "argocd.argoproj.io/hook": hook, "argocd.argoproj.io/sync-wave": wave}},
            "spec": {"template": {"metadata": {"labels": {"app": "m"}}, "spec": {
                "containers": [{"envFrom": [{"configMapRef": {"name": config}}],
                    "env": [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "db", "key": "DATABASE_URL"}}}]}]}}}
        })
    }

    fn config(wave: &str) -> Value {
        json!({"kind": "ConfigMap", "metadata": {"name": "cfg", "annotations": {"argocd.argoproj.io/sync-wave": wave}}})
    }

    fn egress(wave: &str) -> Value {
        json!({"kind": "NetworkPolicy", "metadata": {"name": "m", "annotations": {"argocd.argoproj.io/sync-wave": wave}},
            "spec": {"podSelector": {"matchLabels": {"app": "m"}}, "egress": [{"to": []}]}})
    }

    const DOC: &str = "| `db` | `DATABASE_URL` | the database |";

    #[test]
    fn an_ordered_job_with_egress_and_documented_secrets_is_sound() {
        let objects = [config("-2"), egress("-2"), job("Sync", "-1", "cfg")];
        assert_eq!(check(&objects, DOC), Vec::<String>::new());
    }

    #[test]
    fn each_mistake_is_found() {
        let presync = check(
            &[config("-2"), egress("-2"), job("PreSync", "-1", "cfg")],
            DOC,
        );
        assert!(presync[0].contains("PreSync"), "{presync:?}");
        let same_wave = check(&[config("-1"), egress("-2"), job("Sync", "-1", "cfg")], DOC);
        assert!(same_wave[0].contains("wave -1"), "{same_wave:?}");
        let deny = json!({"kind": "NetworkPolicy", "metadata": {"name": "deny"}, "spec": {"podSelector": {}}});
        let cut_off = check(&[config("-2"), deny, job("Sync", "-1", "cfg")], DOC);
        assert!(cut_off[0].contains("egress"), "{cut_off:?}");
        let undocumented = check(&[config("-2"), egress("-2"), job("Sync", "-1", "cfg")], "");
        assert!(undocumented[0].contains("DATABASE_URL"), "{undocumented:?}");
        let hpa = json!({"kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}}});
        let deployment = json!({"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": 2,
            "template": {"spec": {"containers": []}}}});
        let fought = check(&[hpa, deployment], DOC);
        assert!(fought[0].contains("spec.replicas"), "{fought:?}");
    }
}

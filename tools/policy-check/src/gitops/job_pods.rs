//! No Job's pods are counted among a long-running workload's. A migration pod that carries its
//! Deployment's labels joins the Deployment's selector, the pods its HPA averages, its
//! PodDisruptionBudget, its topology spread, its Service's endpoints and the NetworkPolicies
//! written for it: it is then spread, budgeted and admitted as if it served.

use serde_json::Value;

use super::{kind, matches, name, pod_labels, selector};

/// Every selector that picks out a workload's pods, with what it is, for the findings.
fn selectors(objects: &[Value]) -> Vec<(String, Value)> {
    let workloads: Vec<&Value> = objects
        .iter()
        .filter(|o| matches!(kind(o), "Deployment" | "StatefulSet" | "DaemonSet"))
        .collect();
    let mut selectors = Vec::new();
    for object in objects {
        let what = format!("{} {}", kind(object), name(object));
        match kind(object) {
            "Deployment" | "StatefulSet" | "DaemonSet" => {
                selectors.push((
                    format!("the selector of {what}"),
                    object["spec"]["selector"].clone(),
                ));
                let spread = &object["spec"]["template"]["spec"]["topologySpreadConstraints"];
                for constraint in spread.as_array().into_iter().flatten() {
                    selectors.push((
                        format!("a topology spread of {what}"),
                        constraint["labelSelector"].clone(),
                    ));
                }
            }
            "PodDisruptionBudget" => {
                selectors.push((
                    format!("the selector of {what}"),
                    object["spec"]["selector"].clone(),
                ));
            }
            "HorizontalPodAutoscaler" => {
                let target = &object["spec"]["scaleTargetRef"];
                if let Some(scaled) = workloads.iter().find(|w| {
                    kind(w) == target["kind"].as_str().unwrap_or_default()
                        && name(w) == target["name"].as_str().unwrap_or_default()
                }) {
                    selectors.push((
                        format!("the pods {what} averages ({}'s selector)", name(scaled)),
                        scaled["spec"]["selector"].clone(),
                    ));
                }
            }
            "Service" => selectors.push((
                format!("the selector of {what}"),
                selector::of_service(object),
            )),
            // A policy written for a workload's pods; one that selects every pod is for all.
            "NetworkPolicy" => {
                let policy = &object["spec"]["podSelector"];
                let for_a_workload = policy.as_object().is_some_and(|s| !s.is_empty())
                    && workloads.iter().any(|w| matches(policy, pod_labels(w)));
                if for_a_workload {
                    selectors.push((format!("the pod selector of {what}"), policy.clone()));
                }
            }
            _ => {}
        }
    }
    selectors
}

pub(super) fn check(objects: &[Value]) -> Vec<String> {
    let selectors = selectors(objects);
    let mut findings = Vec::new();
    for job in objects
        .iter()
        .filter(|o| matches!(kind(o), "Job" | "CronJob"))
    {
        for (what, selector) in &selectors {
            if matches(selector, pod_labels(job)) {
                findings.push(format!(
                    "{} {}: its pods match {what}, so they are counted as that workload's pods",
                    kind(job),
                    name(job)
                ));
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn objects(job_name: &str) -> Vec<Value> {
        let selector = json!({"matchLabels": {"app.kubernetes.io/name": "order-service"}});
        vec![
            json!({"kind": "Deployment", "metadata": {"name": "order-service"}, "spec": {
                "selector": selector,
                "template": {"metadata": {"labels": {"app.kubernetes.io/name": "order-service"}}}}}),
            json!({"kind": "PodDisruptionBudget", "metadata": {"name": "order-service"},
                "spec": {"selector": selector}}),
            json!({"kind": "Job", "metadata": {"name": "order-service-migrate"}, "spec": {
                "template": {"metadata": {"labels": {"app.kubernetes.io/name": job_name}}}}}),
        ]
    }

    #[test]
    fn a_job_with_a_name_of_its_own_is_no_workloads_pod() {
        assert_eq!(
            check(&objects("order-service-migrate")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_job_with_the_deployments_labels_is_found_by_each_selector() {
        let findings = check(&objects("order-service"));
        assert_eq!(findings.len(), 2, "{findings:?}");
        assert!(
            findings[0].contains("Deployment order-service"),
            "{findings:?}"
        );
        assert!(
            findings[1].contains("PodDisruptionBudget order-service"),
            "{findings:?}"
        );
    }
}

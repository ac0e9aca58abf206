//! Label selectors, matched as the API server matches them.

use serde_json::{Value, json};

/// Whether a `LabelSelector` (`matchLabels` and `matchExpressions`, all of them) selects a pod
/// with `labels`. An empty selector selects every pod; a missing one (null) selects none.
pub(super) fn matches(selector: &Value, labels: &Value) -> bool {
    let Some(selector) = selector.as_object() else {
        return false;
    };
    let label = |key: &str| labels.get(key).and_then(Value::as_str);
    let by_labels = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .all(|(key, value)| label(key).is_some_and(|l| Some(l) == value.as_str()));
    let by_expressions = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|expression| {
            let found = label(expression["key"].as_str().unwrap_or_default());
            let listed = |value: &str| {
                expression["values"]
                    .as_array()
                    .is_some_and(|values| values.iter().any(|v| v.as_str() == Some(value)))
            };
            match expression["operator"].as_str() {
                Some("In") => found.is_some_and(listed),
                Some("NotIn") => !found.is_some_and(listed),
                Some("Exists") => found.is_some(),
                Some("DoesNotExist") => found.is_none(),
                _ => false,
            }
        });
    by_labels && by_expressions
}

/// A Service's selector (a plain map) as a `LabelSelector`; a Service without one selects no
/// pod (its endpoints are made by hand), hence null.
pub(super) fn of_service(service: &Value) -> Value {
    match service["spec"]["selector"].as_object() {
        Some(map) if !map.is_empty() => json!({ "matchLabels": map }),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_expressions_must_all_hold() {
        let pod = json!({"app.kubernetes.io/name": "checkout-service", "tier": "api"});
        let selector = json!({
            "matchLabels": {"tier": "api"},
            "matchExpressions": [
                {"key": "app.kubernetes.io/name", "operator": "In", "values": ["checkout-service", "order-service"]},
                {"key": "canary", "operator": "DoesNotExist"}]});
        assert!(matches(&selector, &pod));
        let migrate = json!({"app.kubernetes.io/name": "checkout-service-migrate", "tier": "api"});
        assert!(!matches(&selector, &migrate));
        let not_in =
            json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["api"]}]});
        assert!(!matches(&not_in, &pod));
        assert!(matches(&not_in, &json!({})));
    }

    #[test]
    fn an_empty_selector_selects_every_pod_and_a_missing_one_none() {
        assert!(matches(&json!({}), &json!({"a": "b"})));
        assert!(!matches(&Value::Null, &json!({"a": "b"})));
        assert!(!matches(
            &of_service(&json!({"spec": {}})),
            &json!({"a": "b"})
        ));
    }
}

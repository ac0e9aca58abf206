//! The parts of Gatekeeper's ConstraintTemplate and Constraint this tool honours: the Rego of
//! the first target, the parameter schema's property names, `match.kinds`,
//! `match.namespaces` and `match.excludedNamespaces`.

use std::collections::BTreeSet;

use anyhow::{Context, anyhow, bail};
use regorus::Engine;
use serde_json::Value;

/// A ConstraintTemplate with its Rego compiled.
#[derive(Debug)]
pub(crate) struct Template {
    pub(crate) kind: String,
    package: String,
    parameters: Option<BTreeSet<String>>,
    engine: Engine,
}

impl Template {
    pub(crate) fn parse(document: &Value) -> anyhow::Result<Self> {
        let name = text(document, "/metadata/name")?;
        let kind = text(document, "/spec/crd/spec/names/kind")?;
        if name != kind.to_lowercase() {
            bail!(
                "template {name}: Gatekeeper requires the name to be the lower-cased kind {kind}"
            );
        }
        let rego =
            text(document, "/spec/targets/0/rego").with_context(|| format!("template {name}"))?;
        let mut engine = Engine::new();
        // Gatekeeper's `rego` field is Rego v0, the syntax of its policy library.
        engine.set_rego_v0(true);
        let package = engine
            .add_policy(format!("{name}.rego"), rego.to_owned())
            .with_context(|| format!("compiling the Rego of template {name}"))?;
        let parameters = document
            .pointer("/spec/crd/spec/validation/openAPIV3Schema/properties")
            .and_then(Value::as_object)
            .map(|properties| properties.keys().cloned().collect());
        Ok(Self {
            kind: kind.to_owned(),
            package,
            parameters,
            engine,
        })
    }

    /// Every parameter a constraint sets is declared in the template's schema.
    pub(crate) fn check_parameters(&self, constraint: &Constraint) -> anyhow::Result<()> {
        let declared = self.parameters.clone().unwrap_or_default();
        for key in constraint.parameters.as_object().into_iter().flatten() {
            if !declared.contains(key.0) {
                bail!(
                    "constraint {}: parameter {} is not in the schema of template {}",
                    constraint.name,
                    key.0,
                    self.kind
                );
            }
        }
        Ok(())
    }

    /// A fresh copy of the compiled engine, ready for inputs.
    pub(crate) fn engine(&self) -> Engine {
        self.engine.clone()
    }

    /// The `msg` of every element of the template's `violation` set for the current input.
    pub(crate) fn violations(&self, engine: &mut Engine) -> anyhow::Result<Vec<String>> {
        let result = engine.eval_rule(format!("{}.violation", self.package))?;
        if result == regorus::Value::Undefined {
            return Ok(Vec::new());
        }
        let elements: Vec<Value> = serde_json::from_str(&result.to_json_str()?)
            .context("the violation rule must be a set of objects")?;
        elements
            .iter()
            .map(|element| {
                element["msg"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| anyhow!("a violation without a msg: {element}"))
            })
            .collect()
    }
}

/// A Constraint: which objects it applies to, and its parameters.
#[derive(Debug)]
pub(crate) struct Constraint {
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) parameters: Value,
    /// `(apiGroups, kinds)` pairs of `spec.match.kinds`.
    kinds: Vec<(Vec<String>, Vec<String>)>,
    namespaces: Option<Vec<String>>,
    excluded_namespaces: Vec<String>,
}

impl Constraint {
    pub(crate) fn parse(document: &Value) -> anyhow::Result<Self> {
        let name = text(document, "/metadata/name")?.to_owned();
        let strings = |value: &Value| -> Vec<String> {
            value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let matcher = &document["spec"]["match"];
        let kinds: Vec<_> = matcher["kinds"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| (strings(&k["apiGroups"]), strings(&k["kinds"])))
            .collect();
        if kinds.is_empty() {
            bail!("constraint {name}: spec.match.kinds is empty, so it would match everything");
        }
        Ok(Self {
            kind: text(document, "/kind")?.to_owned(),
            parameters: document["spec"]
                .get("parameters")
                .cloned()
                .unwrap_or_else(|| Value::Object(Default::default())),
            namespaces: matcher.get("namespaces").map(strings),
            excluded_namespaces: strings(&matcher["excludedNamespaces"]),
            kinds,
            name,
        })
    }

    /// Whether Gatekeeper would send `object` to this constraint.
    pub(crate) fn matches(&self, object: &Value) -> bool {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let kind = object["kind"].as_str().unwrap_or_default();
        let any = |list: &[String], value: &str| list.iter().any(|v| v == "*" || v == value);
        let kind_matches = self
            .kinds
            .iter()
            .any(|(groups, kinds)| any(groups, group) && any(kinds, kind));
        let namespace = object["metadata"]["namespace"].as_str();
        let namespace_matches = match (&self.namespaces, namespace) {
            (None, _) => true,
            (Some(list), Some(ns)) => list.iter().any(|n| n == ns),
            (Some(_), None) => false,
        };
        let excluded = namespace.is_some_and(|ns| self.excluded_namespaces.iter().any(|n| n == ns));
        kind_matches && namespace_matches && !excluded
    }
}

fn text<'a>(document: &'a Value, pointer: &str) -> anyhow::Result<&'a str> {
    document
        .pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("{pointer} missing"))
}

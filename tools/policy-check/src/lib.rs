#![doc = include_str!("../README.md")]

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use serde_json::{Value, json};

mod gatekeeper;
pub mod gitops;

use gatekeeper::{Constraint, Template};

/// Every document of a multi-document YAML stream, empty documents left out.
pub fn read_documents(yaml: &str) -> anyhow::Result<Vec<Value>> {
    let mut documents = Vec::new();
    for document in yaml_serde::Deserializer::from_str(yaml) {
        let value = Value::deserialize(document).context("a YAML document")?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}

/// One object a constraint rejects, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The constraint kind, which is the ConstraintTemplate's kind (`K8sRequiredProbes`).
    pub kind: String,
    /// The constraint's name.
    pub constraint: String,
    /// `Kind namespace/name` of the rejected object.
    pub object: String,
    /// The `msg` the Rego `violation` rule produced.
    pub msg: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}: {}",
            self.constraint, self.kind, self.object, self.msg
        )
    }
}

/// The Gatekeeper ConstraintTemplates and Constraints of a policy folder.
#[derive(Debug)]
pub struct Policies {
    templates: Vec<Template>,
    constraints: Vec<Constraint>,
}

impl Policies {
    /// Loads every `*.yaml` of `dir/templates` and `dir/constraints` (not `kustomization.yaml`):
    /// the two folders are applied one after the other, because a Constraint's kind exists only
    /// once Gatekeeper has made it from its template, so each must hold only its own kind of
    /// object.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let mut documents = Vec::new();
        for (folder, group) in [
            ("templates", "templates.gatekeeper.sh"),
            ("constraints", "constraints.gatekeeper.sh"),
        ] {
            for document in read_folder(&dir.join(folder))? {
                let api_version = document["apiVersion"].as_str().unwrap_or_default();
                if api_version.split_once('/').map(|(g, _)| g) != Some(group) {
                    bail!(
                        "{}/{folder} holds {}, which is no {group} object",
                        dir.display(),
                        describe(&document)
                    );
                }
                documents.push(document);
            }
        }
        Self::from_documents(&documents)
    }

    /// Sorts ConstraintTemplates from Constraints; every Constraint needs its template and
    /// every template at least one Constraint, or the folder is inconsistent.
    pub fn from_documents(documents: &[Value]) -> anyhow::Result<Self> {
        let mut templates = Vec::new();
        let mut constraints = Vec::new();
        for document in documents {
            let api_version = document["apiVersion"].as_str().unwrap_or_default();
            if api_version.starts_with("templates.gatekeeper.sh/") {
                templates.push(Template::parse(document)?);
            } else if api_version.starts_with("constraints.gatekeeper.sh/") {
                constraints.push(Constraint::parse(document)?);
            } else {
                bail!("not a Gatekeeper object: {}", describe(document));
            }
        }
        for constraint in &constraints {
            let template = templates
                .iter()
                .find(|t| t.kind == constraint.kind)
                .ok_or_else(|| anyhow!("constraint {} has no template", constraint.name))?;
            template.check_parameters(constraint)?;
        }
        for template in &templates {
            if !constraints.iter().any(|c| c.kind == template.kind) {
                bail!("template {} has no constraint", template.kind);
            }
        }
        Ok(Self {
            templates,
            constraints,
        })
    }

    /// The constraint kinds (one per template), sorted.
    pub fn kinds(&self) -> BTreeSet<&str> {
        self.templates.iter().map(|t| t.kind.as_str()).collect()
    }

    /// Evaluates every constraint against every object it matches, as Gatekeeper's admission
    /// webhook would on CREATE: `input.review.object` and `input.parameters`.
    pub fn check(&self, objects: &[Value]) -> anyhow::Result<Vec<Violation>> {
        let mut violations = Vec::new();
        for template in &self.templates {
            let mut engine = template.engine();
            for constraint in self.constraints.iter().filter(|c| c.kind == template.kind) {
                for object in objects.iter().filter(|o| constraint.matches(o)) {
                    engine.set_input(review(object, &constraint.parameters).into());
                    for msg in template.violations(&mut engine).with_context(|| {
                        format!("evaluating {} on {}", template.kind, describe(object))
                    })? {
                        violations.push(Violation {
                            kind: template.kind.clone(),
                            constraint: constraint.name.clone(),
                            object: describe(object),
                            msg,
                        });
                    }
                }
            }
        }
        Ok(violations)
    }
}

/// Every document of the `*.yaml` files directly in `dir`, in name order, leaving out
/// `kustomization.yaml`.
fn read_folder(dir: &Path) -> anyhow::Result<Vec<Value>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.sort();
    let mut documents = Vec::new();
    for path in paths {
        let is_yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        let is_kustomization = path
            .file_stem()
            .is_some_and(|s| s.eq_ignore_ascii_case("kustomization"));
        if path.is_file() && is_yaml && !is_kustomization {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            documents.extend(
                read_documents(&text).with_context(|| format!("parsing {}", path.display()))?,
            );
        }
    }
    Ok(documents)
}

/// Gatekeeper's input document for one object under admission.
fn review(object: &Value, parameters: &Value) -> Value {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    json!({
        "review": {
            "kind": {"group": group, "version": version, "kind": object["kind"]},
            "name": object["metadata"]["name"],
            "namespace": object["metadata"]["namespace"],
            "operation": "CREATE",
            "object": object,
        },
        "parameters": parameters,
    })
}

/// `Kind namespace/name`, or `Kind name` for a cluster-scoped object.
fn describe(object: &Value) -> String {
    let kind = object["kind"].as_str().unwrap_or("?");
    let name = object["metadata"]["name"].as_str().unwrap_or("?");
    match object["metadata"]["namespace"].as_str() {
        Some(namespace) => format!("{kind} {namespace}/{name}"),
        None => format!("{kind} {name}"),
    }
}

//! The policies in kubernetes/policies reject each bad fixture by exactly its own rule, and
//! let the real overlays through.

use std::path::{Path, PathBuf};
use std::process::Command;

use policy_check::{Policies, read_documents};

fn kubernetes() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kubernetes")
}

fn policies() -> Policies {
    Policies::load(&kubernetes().join("policies")).expect("the policies load")
}

fn fixture(name: &str) -> Vec<serde_json::Value> {
    let path = kubernetes().join("policies/fixtures").join(name);
    read_documents(&std::fs::read_to_string(&path).expect("fixture")).expect("YAML")
}

#[test]
fn each_rule_has_a_fixture_and_rejects_every_object_in_it_alone() {
    let policies = policies();
    assert_eq!(policies.kinds().len(), 6, "{:?}", policies.kinds());

    for kind in policies.kinds() {
        let objects = fixture(&format!("{}.yaml", kind.to_lowercase()));
        assert!(!objects.is_empty(), "{kind} has an empty fixture");

        for object in &objects {
            let violations = policies
                .check(std::slice::from_ref(object))
                .expect("evaluates");
            let name = &object["metadata"]["name"];
            assert!(!violations.is_empty(), "{kind} let {name} through");
            for violation in violations {
                assert_eq!(
                    violation.kind, kind,
                    "{name} broke another rule: {violation}"
                );
            }
        }
    }
}

#[test]
fn the_compliant_fixture_passes_every_rule() {
    let violations = policies()
        .check(&fixture("compliant.yaml"))
        .expect("evaluates");

    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn the_rendered_overlays_pass_every_rule() {
    let policies = policies();
    for overlay in ["dev", "production"] {
        let output = Command::new("kubectl")
            .arg("kustomize")
            .arg(kubernetes().join("overlays").join(overlay))
            .output()
            .expect("kubectl is installed (make lint-infra needs it too)");
        assert!(output.status.success(), "{output:?}");
        let objects =
            read_documents(&String::from_utf8(output.stdout).expect("utf-8")).expect("YAML");
        let workloads = objects
            .iter()
            .filter(|o| o["kind"] == "Deployment" || o["kind"] == "Job")
            .count();
        assert!(
            workloads >= 5,
            "{overlay} rendered only {workloads} workloads"
        );

        let violations = policies.check(&objects).expect("evaluates");

        assert!(violations.is_empty(), "{overlay}: {violations:#?}");
    }
}

#[test]
fn objects_outside_the_matched_namespaces_and_kinds_are_not_checked() {
    let mut objects = fixture("k8simagetags.yaml");
    objects[0]["metadata"]["namespace"] = "kube-system".into();
    objects[1]["kind"] = "ReplicaSet".into();

    let violations = policies().check(&objects).expect("evaluates");

    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn a_constraint_without_its_template_is_an_error() {
    let documents = read_documents(
        "apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sMissing
metadata: {name: orphan}
spec: {match: {kinds: [{apiGroups: [apps], kinds: [Deployment]}]}}
",
    )
    .expect("YAML");

    let error = Policies::from_documents(&documents).expect_err("rejected");

    assert!(error.to_string().contains("no template"), "{error}");
}

#[test]
fn a_constraint_among_the_templates_is_an_error() {
    let dir = std::env::temp_dir().join(format!("policy-check-{}", std::process::id()));
    for folder in ["templates", "constraints"] {
        std::fs::create_dir_all(dir.join(folder)).expect("folder");
    }
    let constraint = kubernetes().join("policies/constraints/image-tags.yaml");
    std::fs::copy(constraint, dir.join("templates/image-tags.yaml")).expect("copy");

    let error = Policies::load(&dir).expect_err("rejected");

    std::fs::remove_dir_all(&dir).expect("clean up");
    assert!(
        error.to_string().contains("templates.gatekeeper.sh"),
        "{error}"
    );
}

#[test]
fn a_parameter_the_template_does_not_declare_is_an_error() {
    let mut documents = Vec::new();
    for folder in ["templates", "constraints"] {
        let path = kubernetes()
            .join("policies")
            .join(folder)
            .join("image-tags.yaml");
        let text = std::fs::read_to_string(path).expect("file");
        documents.extend(read_documents(&text).expect("YAML"));
    }
    documents[1]["spec"]["parameters"]["allowedTags"] = serde_json::json!(["v1"]);

    let error = Policies::from_documents(&documents).expect_err("rejected");

    assert!(error.to_string().contains("allowedTags"), "{error}");
}

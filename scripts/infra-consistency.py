"""What no single checker of scripts/lint-infra.sh sees: that the deployment files agree with
each other. Run by lint-infra.sh with the Kubernetes version the manifests are validated
against; prints one line per mistake and exits 1 if there is any.

- every image an overlay runs (orderflow/<image>) has its Dockerfile, an ECR repository, a
  workflow that builds and pushes it, a choice in promote.yml, a production entry, and is
  built and loaded by the kind walk-through (docs/operations/kind.md and the README);
- the EKS version is the validated one, and the cluster autoscaler's minor matches it;
- EKS admits operators by access entries; the plan role writes nothing but the state lock;
  the environment's idea of the state bucket and key is backend.hcl's;
- every Chaos Mesh experiment selects pods the dev overlay runs, and names no external host.
"""
import glob
import re
import subprocess
import sys

import hcl2
import yaml

problems = []


def problem(text):
    problems.append(text)


def one(value):
    """python-hcl2 wraps each attribute's value in a list of one."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def hcl(path):
    with open(path) as f:
        return hcl2.load(f)


def blocks(doc, block_type, label):
    return [b[label] for b in doc.get(block_type, []) if label in b]


def render(overlay):
    out = subprocess.run(["kubectl", "kustomize", overlay], check=True, capture_output=True, text=True)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


# Images: from each overlay's `images:` (the names the base uses).
overlays = {o: yaml.safe_load(open(f"kubernetes/overlays/{o}/kustomization.yaml")) for o in ("dev", "production")}
images = {e["name"].removeprefix("orderflow/") for o in overlays.values() for e in o.get("images", [])}
ecr = one(blocks(hcl("terraform/modules/ecr/variables.tf"), "variable", "services")[0]["default"])
promote = yaml.safe_load(open(".github/workflows/promote.yml"))
choices = promote[True]["workflow_dispatch"]["inputs"]["service"]["options"]  # `on:` reads as True
kind_doc = open("docs/operations/kind.md").read() + open("README.md").read()
built_on_kind = [set(m.split()) for m in re.findall(r"^for service in ([a-z -]+); do", kind_doc, re.M)]
for image in sorted(images):
    if not glob.glob(f"docker/{image}.Dockerfile"):
        problem(f"{image}: no docker/{image}.Dockerfile")
    if image not in ecr:
        problem(f"{image}: no ECR repository (terraform/modules/ecr, services)")
    workflows = [w for w in glob.glob(".github/workflows/*.yml") if re.search(
        rf"uses: \./\.github/workflows/_(image|service)\.yml\n\s+with:\n\s+(image|service): {image}\n", open(w).read())]
    if not workflows:
        problem(f"{image}: no workflow calls _image.yml or _service.yml for it")
    if image not in choices:
        problem(f"{image}: not a choice of promote.yml")
    if not any(e["name"] == f"orderflow/{image}" for e in overlays["production"].get("images", [])):
        problem(f"{image}: no entry in the production overlay's images")
    if not built_on_kind or any(image not in loop for loop in built_on_kind):
        problem(f"{image}: a kind walk-through (docs/operations/kind.md, README.md) does not build and load it")

# Versions: the validated Kubernetes, the EKS default, the cluster autoscaler's minor.
validated = ".".join(sys.argv[1].split(".")[:2])
eks_variables = hcl("terraform/modules/eks/variables.tf")
eks_version = one(blocks(eks_variables, "variable", "kubernetes_version")[0]["default"])
if eks_version != validated:
    problem(f"EKS runs Kubernetes {eks_version}, the manifests are validated against {validated}")
autoscaler = yaml.safe_load(open("kubernetes/argocd/cluster-autoscaler.yaml"))
tag = autoscaler["spec"]["source"]["helm"]["valuesObject"]["image"]["tag"]
if not tag.startswith(f"v{validated}."):
    problem(f"the cluster autoscaler is {tag}, not a {validated} release")

# EKS access: entries for operators, and the API authentication mode.
eks = hcl("terraform/modules/eks/main.tf")
cluster = blocks(eks, "resource", "aws_eks_cluster")[0]["this"]
mode = one(one(cluster.get("access_config", [{}]))["authentication_mode"]) if "access_config" in cluster else None
if mode not in ("API", "API_AND_CONFIG_MAP"):
    problem(f"EKS authentication_mode is {mode}: access entries need API or API_AND_CONFIG_MAP")
for resource in ("aws_eks_access_entry", "aws_eks_access_policy_association"):
    if not blocks(eks, "resource", resource):
        problem(f"terraform/modules/eks has no {resource}: nobody but the cluster's creator reaches the API")

# The plan role: reads, except the state lock; its secret reads are named, never "*".
plan = blocks(hcl("terraform/modules/plan-role/main.tf"), "data", "aws_iam_policy_document")
for statement in [s for d in plan if "plan" in d for s in d["plan"]["statement"]]:
    actions, resources = one(statement["actions"]), one(statement["resources"])
    resources = resources if isinstance(resources, list) else [resources]
    for action in actions:
        verb = action.split(":")[1]
        if action in ("s3:PutObject", "s3:DeleteObject"):
            if not all(r.endswith(".tflock") for r in resources):
                problem(f"the plan role may {action} on {resources}: only the state's .tflock")
        elif not re.match(r"(Get|List|Describe|Decrypt)", verb):
            problem(f"the plan role may {action}, which writes")
        if "*" in resources:
            problem(f"the plan role's {action} applies to every resource")
backend = hcl("terraform/environments/production/backend.hcl")
env_variables = hcl("terraform/environments/production/variables.tf")
for key in ("bucket", "key"):
    default = one(blocks(env_variables, "variable", f"state_{key}")[0]["default"])
    if default != one(backend[key]):
        problem(f"variable state_{key} is {default}, backend.hcl's {key} is {one(backend[key])}")

# Chaos: each experiment's selector and target select pods of the rendered dev overlay.
dev = render("kubernetes/overlays/dev")
pods = [(o["metadata"].get("namespace"), o["spec"]["template"]["metadata"].get("labels", {}))
        for o in dev if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet")]
for path in sorted(glob.glob("kubernetes/chaos/experiments/*.yaml")):
    experiment = yaml.safe_load(open(path))
    spec = experiment["spec"]
    spec = spec.get("podChaos") or spec.get("networkChaos") or spec
    if "externalTargets" in spec:
        problem(f"{path}: targets hosts outside the dev overlay ({spec['externalTargets']})")
    for which, selector in (("selector", spec["selector"]), ("target", spec.get("target", {}).get("selector"))):
        if selector is None:
            continue
        wanted = selector.get("labelSelectors", {})
        if not any(ns in selector["namespaces"] and wanted.items() <= labels.items() for ns, labels in pods):
            problem(f"{path}: its {which} selects no pod of the dev overlay ({selector})")

for line in problems:
    print(line)
sys.exit(1 if problems else 0)

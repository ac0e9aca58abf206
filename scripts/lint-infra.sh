#!/usr/bin/env bash
# `make lint-infra`: every offline check of the deployment files. Nothing here needs Docker,
# a cluster or a cloud account (kubectl, with kustomize, ships on this machine kind).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/infra-tools.sh
bin=.venv/bin

echo "hadolint: Dockerfiles"
"$bin/hadolint" docker/*.Dockerfile

echo "docker-compose config: docker-compose.yml"
docker-compose -f docker-compose.yml config -q

echo "check-jsonschema: docker-compose.yml against the Compose Specification"
"$bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml

# The Kubernetes version the manifests target: EKS's (terraform/modules/eks, kubernetes_version)
# and the local cluster's; infra-consistency.py below fails when they part.
K8S_VERSION=1.34.0
for overlay in kubernetes/overlays/*/; do
  rendered=$(mktemp)
  echo "kubectl kustomize + kubernetes-validate --strict ($K8S_VERSION): $overlay"
  kubectl kustomize "$overlay" >"$rendered"
  "$bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$rendered"
  rm -f "$rendered"
done

# The templates and the Constraints are two kustomizations, applied in that order
# (scripts/apply-policies.sh); gator and Gatekeeper receive both.
render_policies() {
  kubectl kustomize kubernetes/policies/templates
  echo ---
  kubectl kustomize kubernetes/policies/constraints
}
echo "policy-check: the Gatekeeper policies (kubernetes/policies) against every rendered overlay"
render_policies >/dev/null
rendered=$(mktemp -d)
for overlay in kubernetes/overlays/*/; do kubectl kustomize "$overlay" >"$rendered/$(basename "$overlay").yaml"; done
cargo run -q -p policy-check -- --policies kubernetes/policies "$rendered"/*.yaml

echo "gator verify: kubernetes/policies/tests/suite.yaml on the fixtures, and fails when any policy denies nothing"
scripts/gator-verify.sh

# What Gatekeeper receives is the kustomization's output, so that is what gator tests: a policy
# file left out of kustomization.yaml would let its fixture through here.
echo "gator test: the policies as kustomize renders them, on every rendered overlay (no violation) and the fixtures"
policies=$(mktemp --suffix=.yaml)
render_policies >"$policies"
for overlay in "$rendered"/*.yaml; do
  "$bin/gator" test -f "$policies" -f "$overlay" && echo "$(basename "$overlay"): no violation"
done
denials=$(mktemp)
if "$bin/gator" test -f "$policies" -f kubernetes/policies/fixtures -o json >"$denials"; then
  echo "gator test denied none of kubernetes/policies/fixtures" >&2; exit 1
fi
"$bin/python" - "$denials" <<'PY'
import glob, json, os, sys, yaml
denied = {}
for violation in json.load(open(sys.argv[1])) or []:
    name = violation["violatingObject"]["metadata"]["name"]
    denied.setdefault(name, set()).add(violation["constraint"]["kind"].lower())
problems, objects = [], 0
for path in sorted(glob.glob("kubernetes/policies/fixtures/*.yaml")):
    rule = os.path.basename(path)[: -len(".yaml")]
    for doc in yaml.safe_load_all(open(path)):
        name, objects = doc["metadata"]["name"], objects + 1
        want = set() if rule == "compliant" else {rule}
        if denied.get(name, set()) != want:
            problems.append(f"{path}: {name} denied by {sorted(denied.get(name, []))}, expected {sorted(want)}")
if problems:
    sys.exit("\n".join(problems))
print(f"fixtures: {objects} objects, each bad one denied by its own rule alone, the compliant one by none")
PY
rm -f "$policies" "$denials"

echo "gitops-check: every overlay converges on a first Argo CD sync; each fixture's mistake is found"
gitops_check() { cargo run -q -p policy-check --bin gitops-check -- --secrets-doc docs/operations/kubernetes.md "$@"; }
gitops_check "$rendered"/*.yaml
for fixture in kubernetes/gitops-fixtures/*.yaml; do
  expect=$(sed -n '1s/^# expect: //p' "$fixture")
  if found=$(gitops_check "$fixture"); then
    echo "gitops-check passed $fixture, which has a mistake: $expect" >&2; exit 1
  fi
  grep -qF -- "$expect" <<<"$found" || { echo "$fixture: expected \"$expect\", got: $found" >&2; exit 1; }
done
rm -rf "$rendered"

echo "chaos experiments: kustomize build, and each against kubernetes/chaos/chaos-mesh.schema.json"
kubectl kustomize kubernetes/chaos >/dev/null
"$bin/check-jsonschema" --schemafile kubernetes/chaos/chaos-mesh.schema.json kubernetes/chaos/experiments/*.yaml

# The committed Applications name no repository, so the API server refuses them as they are
# (the CRD requires spec.source.repoURL); scripts/argocd-app.sh must add the one it is given,
# and refuse the old placeholder.
echo "Argo CD Applications: no repoURL committed; scripts/argocd-app.sh sets the one it is given"
for overlay in dev production; do
  app=kubernetes/argocd/orderflow-$overlay.yaml
  if grep -q '^ *repoURL:' "$app"; then echo "$app names a repository: apply it with scripts/argocd-app.sh" >&2; exit 1; fi
  url=https://github.com/orderflow-check/orderflow.git
  scripts/argocd-app.sh "$overlay" "$url" | "$bin/python" -c '
import sys, yaml
app = yaml.safe_load(sys.stdin)
if app["spec"]["source"].get("repoURL") != sys.argv[1]:
    sys.exit(f"scripts/argocd-app.sh {sys.argv[2]}: spec.source.repoURL is not {sys.argv[1]}")' "$url" "$overlay"
  if scripts/argocd-app.sh "$overlay" https://git.example.com/orderflow/orderflow.git >/dev/null 2>&1; then
    echo "scripts/argocd-app.sh accepted the placeholder repository" >&2; exit 1
  fi
done

echo "infra-consistency: images, ECR, workflows, promotion, kind; Kubernetes versions; EKS access; plan role; chaos targets"
"$bin/python" scripts/infra-consistency.py "$K8S_VERSION"

echo "GitHub workflows: check-jsonschema (vendor.github-workflows) and zizmor --offline"
"$bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
"$bin/zizmor" --offline --quiet --config .github/zizmor.yml .github/workflows/*.yml

# actionlint leaves out the shellcheck pass without a word when it cannot run shellcheck, so a
# workflow with one shell mistake and one expression mistake must first fail on both.
echo "actionlint (with shellcheck on every run: block): .github/workflows"
tools="$PWD/$bin"  # absolute: the canary runs from its own folder
actionlint() { "$tools/actionlint" -shellcheck="$tools/shellcheck" "$@"; }
canary=$(mktemp -d)
mkdir -p "$canary/.github/workflows"
cat >"$canary/.github/workflows/canary.yml" <<'YAML'
on: push
jobs:
  canary:
    runs-on: ubuntu-24.04
    steps:
      - run: echo $HOME
      - run: echo "${{ steps.missing.outputs.value }}"
YAML
found=$(cd "$canary" && actionlint .github/workflows/canary.yml) && { echo "actionlint passed its canary" >&2; exit 1; }
for rule in '[shellcheck]' '[expression]'; do
  grep -qF "$rule" <<<"$found" || { echo "actionlint found no $rule mistake in its canary: $found" >&2; exit 1; }
done
rm -rf "$canary"
actionlint .github/workflows/*.yml

echo "terraform: fmt (where terraform is installed) and every .tf parsed with python-hcl2"
if command -v terraform >/dev/null; then
  terraform fmt -check -recursive terraform
fi
git ls-files 'terraform/*.tf' | "$bin/python" -c '
import sys, hcl2
for path in sys.stdin.read().split():
    with open(path) as f:
        hcl2.load(f)
'

# checkov, one call per framework, skipping only what checkov-skips.yaml lists and justifies.
skips() { "$bin/python" -c "import sys, yaml; print(','.join(yaml.safe_load(open('checkov-skips.yaml'))[sys.argv[1]] or {}))" "$1"; }
checkov() { "$bin/checkov" --skip-download --quiet --compact --framework "$1" --skip-check "$(skips "$1")," "${@:2}"; }
echo "checkov: dockerfile"
checkov dockerfile -d docker
echo "checkov: kubernetes (the rendered overlays)"
rendered=$(mktemp -d)
for overlay in kubernetes/overlays/*/; do kubectl kustomize "$overlay" >"$rendered/$(basename "$overlay").yaml"; done
checkov kubernetes -d "$rendered"
rm -rf "$rendered"
echo "checkov: terraform"
checkov terraform -d terraform

echo "yamllint: every YAML file"
git ls-files '*.yml' '*.yaml' | xargs "$bin/yamllint" -c .yamllint.yml

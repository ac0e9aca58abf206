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

# The Kubernetes version the manifests target.
K8S_VERSION=1.31.0
for overlay in kubernetes/overlays/*/; do
  rendered=$(mktemp)
  echo "kubectl kustomize + kubernetes-validate --strict ($K8S_VERSION): $overlay"
  kubectl kustomize "$overlay" >"$rendered"
  "$bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$rendered"
  rm -f "$rendered"
done

echo "policy-check: the Gatekeeper policies (kubernetes/policies) against every rendered overlay"
kubectl kustomize kubernetes/policies >/dev/null
rendered=$(mktemp -d)
for overlay in kubernetes/overlays/*/; do kubectl kustomize "$overlay" >"$rendered/$(basename "$overlay").yaml"; done
cargo run -q -p policy-check -- --policies kubernetes/policies "$rendered"/*.yaml

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

echo "GitHub workflows: check-jsonschema (vendor.github-workflows) and zizmor --offline"
"$bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
"$bin/zizmor" --offline --quiet --config .github/zizmor.yml .github/workflows/*.yml

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

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

echo "yamllint: every YAML file"
git ls-files '*.yml' '*.yaml' | xargs "$bin/yamllint" -c .yamllint.yml

#!/usr/bin/env bash
# Applies the Gatekeeper policies to the current kubectl context, in the order a first run
# needs: the ConstraintTemplates (kubernetes/policies/templates); then a wait until Gatekeeper
# has made each template's CRD (<template>.constraints.gatekeeper.sh) and the API
# server serves it; then the Constraints (kubernetes/policies/constraints), which the API
# server refuses before that. Gatekeeper must be installed. Safe to run again.
# Needs kubectl 1.31 or later (`kubectl wait --for=create`).
set -euo pipefail
cd "$(dirname "$0")/.."
# A template is named after its kind in lower case (Gatekeeper requires it), its CRD after it.
templates=$(kubectl apply -k kubernetes/policies/templates -o name)
crds=()
for template in $templates; do
  crds+=("crd/${template##*/}.constraints.gatekeeper.sh")
done
[ "${#crds[@]}" -gt 0 ] || { echo "$0: no ConstraintTemplate was applied" >&2; exit 1; }
echo "waiting for Gatekeeper to make ${crds[*]}"
kubectl wait --for=create --timeout=2m "${crds[@]}"
kubectl wait --for=condition=established --timeout=2m "${crds[@]}"
kubectl apply -k kubernetes/policies/constraints

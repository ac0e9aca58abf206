#!/usr/bin/env bash
# NetworkPolicies enforced, by pods that try to connect: one in a namespace of its own (no
# policy limits its egress) must not reach Postgres, Redis or Kafka in NS, whose policies admit
# only their clients; one in the namespace traefik, which the services' policies admit, must
# reach checkout-service (so a refusal above is the policy, not the probe). Addresses are the
# Services' cluster IPs: no DNS on the way.
#   scripts/cluster/netpol-check.sh NS IMAGE...  (an IMAGE with bash: the overlay's redis)
set -euo pipefail
ns=$1
shift
image=$(printf '%s\n' "$@" | grep -m1 '^redis:') || { echo "netpol-check.sh: no redis image" >&2; exit 1; }
probe_ns=orderflow-netpol-probe
fail() { echo "netpol-check.sh: FAIL: $*" >&2; exit 1; }

# probe NAMESPACE NAME ADDRESS PORT: "open" or "closed", from a pod in NAMESPACE that tries
# once a second for 10 s: the policy engine admits a new pod's address a moment after it starts.
probe() {
  local overrides try="timeout 2 bash -c 'exec 3<>/dev/tcp/$3/$4' 2>/dev/null"
  overrides=$(jq -nc --arg image "$image" --arg cmd "for i in \$(seq 10); do $try && { echo open; exit 0; }; sleep 1; done; echo closed" '{
    spec: {
      restartPolicy: "Never", automountServiceAccountToken: false,
      securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: "RuntimeDefault"}},
      containers: [{name: "probe", image: $image, imagePullPolicy: "IfNotPresent",
        command: ["bash", "-c", $cmd],
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: ["ALL"]}}}]}}')
  kubectl -n "$1" run "$2" --image="$image" --restart=Never --overrides="$overrides" >/dev/null
  kubectl -n "$1" wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$2" --timeout=2m >/dev/null
  kubectl -n "$1" logs "$2" | tail -n1
  kubectl -n "$1" delete pod "$2" --wait=false >/dev/null
}

kubectl create namespace "$probe_ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl label namespace "$probe_ns" pod-security.kubernetes.io/enforce=restricted --overwrite >/dev/null
trap 'kubectl delete namespace "$probe_ns" --wait=false >/dev/null 2>&1 || true' EXIT
for store in postgres:5432 redis:6379 kafka:9092; do
  ip=$(kubectl -n "$ns" get service "${store%:*}" -o jsonpath='{.spec.clusterIP}')
  result=$(probe "$probe_ns" "probe-${store%:*}" "$ip" "${store#*:}")
  echo "a pod of $probe_ns to ${store%:*} ($ip:${store#*:}): $result"
  [ "$result" = closed ] || fail "${store%:*} accepted a connection its policy does not admit"
done
ip=$(kubectl -n "$ns" get service checkout-service -o jsonpath='{.spec.clusterIP}')
result=$(probe traefik probe-admitted "$ip" 8080)
echo "a pod of traefik to checkout-service ($ip:8080): $result"
[ "$result" = open ] || fail "checkout-service refused the namespace its policy admits"

#!/usr/bin/env bash
# `make cluster-test`: the dev overlay on the current kubectl context, proven end to end
# (docs/operations/local-cluster.md). The images are built and loaded (the local cluster's
# containerd, or kind's nodes), the overlay is applied as docs/operations/kind.md says, then:
# every Deployment available and every Job complete, the stores ready before the Jobs ended;
# Pod Security's restricted level enforced; a checkout through the Ingress completes; the
# browser tests pass against the in-cluster storefront; the NetworkPolicies enforced; a rollout
# restart of each service under k6 load loses no checkout; kubectl top and the HPAs' metrics
# answer. A report of the times, the pods' start-to-ready and the services' memory is written
# to target/cluster/report.md.
#   INGRESS_URL   where the Ingress answers (default: the local cluster's http://127.0.0.1:30080)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/cluster/env.sh
# The user's context, which up.sh made orderflow-local on this machine.
export KUBECONFIG=$USER_KUBECONFIG
NS=orderflow-dev
INGRESS_URL=${INGRESS_URL:-http://127.0.0.1:$INGRESS_PORT}
REPORT=target/cluster/report.md
mkdir -p target/cluster
context=$(kubectl config current-context)
t0=$(date +%s)
step_start=$t0
timings=()
step() { # records how long the step just ended took
  local now
  now=$(date +%s)
  timings+=("| $1 | $((now - step_start)) s |")
  echo "== $1: $((now - step_start)) s"
  step_start=$now
}
fail() { echo "cluster-test: FAIL: $*" >&2; exit 1; }

echo "cluster-test on the context $context"
scripts/images.sh build 2> >(grep -v "DEPRECATED\|BuildKit is currently\|environment-variable\.\|^$" >&2)
step "images built"
mapfile -t images < <(scripts/images.sh list)
case "$context" in
  orderflow-local)
    scripts/cluster/addons.sh load "${images[@]}"
    # Every image present before the apply: the node never goes to a registry for one.
    present=$(ctr --address "$RUN/containerd.sock" -n k8s.io images ls -q)
    for i in "${images[@]}"; do
      ref=$i
      # containerd's full names: Docker Hub's host, and library/ for a name of one part.
      [[ "${ref%%/*}" == *[.:]* ]] || ref=docker.io/$ref
      [[ "$i" == */* ]] || ref=docker.io/library/$i
      grep -qxF "$ref" <<<"$present" || fail "the image $i is not in the cluster's containerd"
    done
    ;;
  kind-*) for i in "${images[@]}"; do kind load docker-image "$i" --name "${context#kind-}"; done ;;
  *) echo "the context $context pulls the overlay's images from their registry" ;;
esac
step "images loaded"

# As the docs say: one apply, then the waits.
kubectl apply -k kubernetes/overlays/dev >/dev/null
kubectl -n "$NS" wait --for=condition=complete --timeout=30m \
  job/checkout-service-migrate job/order-service-migrate job/kafka-topics
kubectl -n "$NS" wait --for=condition=available --timeout=10m \
  deployment/checkout-service deployment/order-service deployment/storefront deployment/redis
kubectl -n "$NS" rollout status statefulset/postgres statefulset/kafka --timeout=10m
step "dev overlay applied and converged"

# The wave order the docs claim: each Job (-1) completed after the store it needs (-2) was ready.
ready_at() { # name: when the first pod of it became Ready (RFC 3339)
  kubectl -n "$NS" get pods -l "app.kubernetes.io/name=$1" -o json |
    jq -r '[.items[].status.conditions[]? | select(.type == "Ready" and .status == "True")
      | .lastTransitionTime] | min // empty'
}
for pair in postgres:checkout-service-migrate postgres:order-service-migrate kafka:kafka-topics; do
  store=${pair%%:*} job=${pair#*:}
  store_ready=$(ready_at "$store")
  [ -n "$store_ready" ] || fail "the store $store has no ready pod"
  done_at=$(kubectl -n "$NS" get job "$job" -o jsonpath='{.status.completionTime}')
  [[ ! "$done_at" < "$store_ready" ]] ||
    fail "job $job completed ($done_at) before $store was ready ($store_ready)"
done

# Pod Security: the namespace enforces restricted, and a privileged pod is refused.
[ "$(kubectl get ns "$NS" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')" = restricted ] ||
  fail "namespace $NS does not enforce the restricted Pod Security level"
if kubectl -n "$NS" run psa-probe --image="${images[0]}" --dry-run=server --restart=Never \
  --overrides='{"spec":{"containers":[{"name":"psa-probe","image":"'"${images[0]}"'","securityContext":{"privileged":true}}]}}' \
  >/dev/null 2>&1; then
  fail "a privileged pod was admitted to $NS"
fi
step "wave order and Pod Security checked"

scripts/cluster/checkout.sh "$INGRESS_URL"
step "a checkout through the Ingress"

scripts/cluster/browser.sh "$NS" "$INGRESS_URL"
step "the browser tests against the in-cluster storefront"

scripts/cluster/netpol-check.sh "$NS" "${images[@]}"
step "NetworkPolicies enforced"

scripts/cluster/rollout-under-load.sh "$NS" "$INGRESS_URL"
step "rollout restart of both services under k6 load"

# Resource metrics: kubectl top, and each HPA reading its CPU.
for _ in $(seq 60); do
  kubectl -n "$NS" top pods >/dev/null 2>&1 && break
  sleep 5
done
kubectl -n "$NS" top pods | tee target/cluster/top.txt
for hpa in checkout-service order-service; do
  for _ in $(seq 60); do
    current=$(kubectl -n "$NS" get hpa "$hpa" -o json |
      jq -r '[.status.currentMetrics[]?.resource.current.averageUtilization] | map(select(. != null)) | length')
    [ "$current" -gt 0 ] && break
    sleep 5
  done
  [ "$current" -gt 0 ] || fail "the HPA $hpa reads no metric"
done
kubectl -n "$NS" get hpa | tee target/cluster/hpa.txt
step "kubectl top and the HPAs' metrics"

scripts/cluster/report.sh "$NS" "$context" "$(($(date +%s) - t0))" "${timings[@]}" >"$REPORT"
cat "$REPORT"
echo "cluster-test: passed on $context in $(($(date +%s) - t0)) s (report: $REPORT)"

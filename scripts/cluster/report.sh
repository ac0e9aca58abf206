#!/usr/bin/env bash
# The cluster test's report (markdown on stdout): each step's time, each pod's start to ready,
# and each service pod's memory (the metrics API's working set and, on the local cluster, the
# resident set from its cgroup).
#   scripts/cluster/report.sh NS CONTEXT SECONDS "| step | time |"...
set -euo pipefail
ns=$1 context=$2 seconds=$3
shift 3
echo "# make cluster-test on $context, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Passed in $seconds s."
echo
echo "| step | time |"
echo "|---|---|"
printf '%s\n' "$@"
echo
echo "## Pods: created to ready"
echo
echo "| pod | created | ready after | restarts |"
echo "|---|---|---|---|"
kubectl -n "$ns" get pods -o json | jq -r '.items[]
  | select(.status.phase == "Running")
  | (.metadata.creationTimestamp | fromdate) as $created
  | ([.status.conditions[] | select(.type == "Ready" and .status == "True") | .lastTransitionTime | fromdate] | first) as $ready
  | "| \(.metadata.name) | \(.metadata.creationTimestamp) | \(if $ready then "\($ready - $created) s" else "not ready" end) | \([.status.containerStatuses[].restartCount] | add) |"'
echo
echo "## Memory of the service pods"
echo
echo "| pod | working set (metrics API) | RSS (cgroup) |"
echo "|---|---|---|"
kubectl -n "$ns" top pods --no-headers 2>/dev/null | while read -r pod _cpu mem; do
  case "$pod" in checkout-service-*|order-service-*|storefront-*) ;; *) continue ;; esac
  rss=-
  uid=$(kubectl -n "$ns" get pod "$pod" -o jsonpath='{.metadata.uid}')
  stat=$(find /sys/fs/cgroup/memory/kubepods* -maxdepth 3 -type d -name "pod$uid" 2>/dev/null | head -n1)
  if [ -n "$stat" ] && [ -r "$stat/memory.stat" ]; then
    rss="$(awk '$1 == "total_rss" { printf "%.0f MiB", $2 / 1048576 }' "$stat/memory.stat")"
  fi
  echo "| $pod | $mem | $rss |"
done

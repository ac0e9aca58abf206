#!/usr/bin/env bash
# Stops the local cluster that up.sh started and removes its state: its pods, processes, mounts,
# network (the node interface, kube-proxy's and the policy engine's rules) and STATE. The
# built programs and Docker's images stay in their caches for the next up.sh.
set -euo pipefail
cd "$(dirname "$0")"
source ./env.sh

# stop NAME: ends the process up.sh started as NAME, by SIGTERM, then SIGKILL after 10 s.
stop() {
  local pid
  pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
}

# The kubelet first, or it starts again the containers killed below; then every pod's
# processes (a container outlives containerd in its shim), then the rest.
stop kubelet
for group in /sys/fs/cgroup/*/kubepods; do
  [ -d "$group" ] || continue
  find "$group" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null || true
done
for name in kube-proxy kube-scheduler kube-controller-manager kube-apiserver etcd containerd; do
  stop "$name"
done
pkill -9 -f "containerd-shim-runc-v2 .*-address $RUN/containerd.sock" 2>/dev/null || true

# The pods' network namespaces, which containerd pins under /run/netns, and their host ends:
# a veth left behind keeps its route to a pod address the next cluster hands out again.
for ns in /run/netns/cni-*; do
  [ -e "$ns" ] || continue
  umount "$ns" 2>/dev/null || true
  rm -f "$ns"
done
ip route show | awk -v net="${POD_CIDR%.*}." 'index($1, net) == 1 && $2 == "dev" { print $3 }' |
  sort -u | xargs -r -n1 ip link del 2>/dev/null || true

# Mounts left under the kubelet's and containerd's folders, deepest first.
for dir in "$STATE" "$RUN"; do
  awk -v d="$dir" '$2 ~ "^"d { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
done
for group in /sys/fs/cgroup/*/kubepods; do
  [ -d "$group" ] && find "$group" -depth -type d -exec rmdir {} + 2>/dev/null || true
done

if command -v kube-proxy >/dev/null; then kube-proxy --cleanup >/dev/null 2>&1 || true; fi
# kube-router's chains and ipsets (its pods are gone, so nothing puts them back).
if command -v kube-router >/dev/null; then kube-router --cleanup-config >/dev/null 2>&1 || true; fi
for dir in -s -d; do iptables -D FORWARD "$dir" "$POD_CIDR" -j ACCEPT 2>/dev/null || true; done
ip link del "$NODE_LINK" 2>/dev/null || true
rm -rf "$STATE" "$RUN"
KUBECONFIG=$USER_KUBECONFIG kubectl config delete-context orderflow-local >/dev/null 2>&1 || true
echo "the local cluster is down"

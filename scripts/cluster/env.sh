# shellcheck shell=bash
# shellcheck disable=SC2034  # sourced: every name here is read by the script that sources it
# The local cluster's names, addresses and folders, read by every scripts/cluster/ script.
# shellcheck source=scripts/cluster/versions.env
source "$(dirname "${BASH_SOURCE[0]}")/versions.env"
CLUSTER_CACHE=${CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orderflow/cluster}
# Everything a running cluster writes (etcd, the kubelet, containerd's images and containers,
# the certificates, the logs); down.sh removes it.
STATE=${CLUSTER_STATE:-/var/lib/orderflow-cluster}
RUN=/run/orderflow-cluster
NODE_NAME=orderflow-local
NODE_LINK=orderflow0
NODE_IP=10.254.0.1
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
# Traefik's NodePort: the Ingress on 127.0.0.1.
INGRESS_PORT=30080
PAUSE_IMAGE=registry.k8s.io/pause:3.10.1
# The user's kubeconfig (the context orderflow-local goes there); the scripts use the admin's.
USER_KUBECONFIG=${USER_KUBECONFIG:-${KUBECONFIG:-$HOME/.kube/config}}
export KUBECONFIG=$STATE/admin.kubeconfig
PATH=$CLUSTER_CACHE/bin:$PATH

#!/usr/bin/env bash
# A single-node Kubernetes on this machine, from source (docs/operations/local-cluster.md):
# etcd and the control plane, a kubelet on a containerd of its own with CNI, kube-proxy, and as
# pods CoreDNS, metrics-server, kube-router's firewall (NetworkPolicy enforcement), the
# local-path storage class and Traefik (the Ingress, on 127.0.0.1:30080). Installs its Debian
# packages and builds its programs first (once). Makes the kubectl context orderflow-local the
# current one. Run as root. scripts/cluster/down.sh stops it and removes its state.
set -euo pipefail
cd "$(dirname "$0")"
source ./env.sh

[ "$(id -u)" -eq 0 ] || { echo "cluster/up.sh: run as root (it runs a kubelet)" >&2; exit 1; }
../install-packages.sh --cluster
./build.sh
../docker-engine.sh start

if [ -S "$RUN/containerd.sock" ] && kubectl get --raw /readyz >/dev/null 2>&1; then
  echo "the local cluster is already up (scripts/cluster/down.sh stops it)"
  exit 0
fi
# Whatever an earlier run left (processes ended from outside, mounts, rules, state) goes first:
# a cluster always starts empty.
./down.sh >/dev/null
mkdir -p "$STATE/logs" "$STATE/pki" "$RUN"
started=$(date +%s)

# start NAME COMMAND...: a process of the cluster, in the background, logging to logs/NAME.log.
start() {
  local name=$1
  shift
  setsid "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

# wait_for WHAT SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
  local what=$1 seconds=$2 i
  shift 2
  for ((i = 0; i < seconds; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "cluster/up.sh: $what did not come up in ${seconds}s; its log is in $STATE/logs" >&2
  exit 1
}

network() {
  # The node's address: on an interface of the cluster's own (a bridge with no ports: this
  # kernel has no dummy interfaces), so nothing of it is on the
  # machine's network and the API server can advertise it to pods (not 127.0.0.1, which the
  # kubernetes Service refuses as an endpoint).
  ip link show "$NODE_LINK" >/dev/null 2>&1 || ip link add "$NODE_LINK" type bridge
  ip addr replace "$NODE_IP/32" dev "$NODE_LINK"
  ip link set "$NODE_LINK" up
  sysctl -qw net.ipv4.ip_forward=1
  # Docker's FORWARD policy is DROP; the pods' traffic is routed through this host (ptp), so
  # accept it here. NetworkPolicies still apply: kube-router puts its chains first in FORWARD
  # and keeps them there, so its verdict comes before this accept.
  for dir in -s -d; do
    iptables -C FORWARD "$dir" "$POD_CIDR" -j ACCEPT 2>/dev/null ||
      iptables -I FORWARD "$dir" "$POD_CIDR" -j ACCEPT
  done
  mkdir -p "$STATE/cni"
  cat >"$STATE/cni/10-orderflow.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "orderflow",
  "plugins": [
    {
      "type": "ptp",
      "ipMasq": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
}

containerd_up() {
  cat >"$STATE/containerd.toml" <<TOML
version = 2
root = "$STATE/containerd"
state = "$RUN/containerd"
[grpc]
  address = "$RUN/containerd.sock"
[ttrpc]
  address = "$RUN/containerd-ttrpc.sock"
[debug]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/containerd-opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This machine refuses to lower a process's oom_score_adj; runc fails without this.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni"
TOML
  start containerd containerd --config "$STATE/containerd.toml"
  wait_for containerd 30 ctr --address "$RUN/containerd.sock" version
}

# The cluster's certificates: one CA for everything, a front-proxy CA for the aggregation
# layer (metrics-server), and the service-account signing key.
pki() {
  local pki=$STATE/pki
  [ -e "$pki/ca.crt" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=orderflow-local-ca \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=front-proxy-ca \
    -keyout "$pki/front-proxy-ca.key" -out "$pki/front-proxy-ca.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  cert apiserver /CN=kube-apiserver ca \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:$NODE_IP,IP:$API_SERVICE_IP,IP:127.0.0.1"
  cert kubelet "/CN=system:node:$NODE_NAME/O=system:nodes" ca "DNS:$NODE_NAME,IP:$NODE_IP,IP:127.0.0.1"
  cert apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client/O=system:masters" ca
  cert admin "/CN=orderflow-admin/O=system:masters" ca
  cert controller-manager /CN=system:kube-controller-manager ca
  cert scheduler /CN=system:kube-scheduler ca
  cert kube-proxy /CN=system:kube-proxy ca
  cert front-proxy-client /CN=front-proxy-client front-proxy-ca
}

# cert NAME SUBJECT CA [SANS]: a key and a certificate signed by CA.
cert() {
  local pki=$STATE/pki name=$1 subject=$2 ca=$3 sans=${4:-}
  openssl req -newkey rsa:2048 -nodes -subj "$subject" -keyout "$pki/$name.key" \
    -out "$pki/$name.csr" 2>/dev/null
  local ext=$pki/$name.ext
  echo "basicConstraints=CA:FALSE" >"$ext"
  echo "keyUsage=digitalSignature,keyEncipherment" >>"$ext"
  if [ -n "$sans" ]; then
    echo "extendedKeyUsage=serverAuth,clientAuth" >>"$ext"
    echo "subjectAltName=$sans" >>"$ext"
  else
    echo "extendedKeyUsage=clientAuth" >>"$ext"
  fi
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" \
    -CAcreateserial -days 3650 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
}

# kubeconfig NAME: a kubeconfig for the certificate NAME.
kubeconfig() {
  local file=$STATE/$1.kubeconfig
  KUBECONFIG=$file kubectl config set-cluster local --server="https://$NODE_IP:6443" \
    --certificate-authority="$STATE/pki/ca.crt" --embed-certs >/dev/null
  KUBECONFIG=$file kubectl config set-credentials "$1" --client-certificate="$STATE/pki/$1.crt" \
    --client-key="$STATE/pki/$1.key" --embed-certs >/dev/null
  KUBECONFIG=$file kubectl config set-context local --cluster=local --user="$1" >/dev/null
  KUBECONFIG=$file kubectl config use-context local >/dev/null
}

control_plane() {
  local pki=$STATE/pki
  start etcd etcd --name "$NODE_NAME" --data-dir "$STATE/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster "$NODE_NAME=http://127.0.0.1:2380" --listen-metrics-urls http://127.0.0.1:2381
  wait_for etcd 60 curl -sf http://127.0.0.1:2381/health

  start kube-apiserver kube-apiserver --etcd-servers=http://127.0.0.1:2379 \
    --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port=6443 \
    --service-cluster-ip-range="$SERVICE_CIDR" --service-node-port-range=30000-32767 \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" --authorization-mode=Node,RBAC \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --requestheader-client-ca-file="$pki/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$pki/front-proxy-client.crt" \
    --proxy-client-key-file="$pki/front-proxy-client.key" --enable-aggregator-routing=true \
    --allow-privileged=true --profiling=false
  wait_for kube-apiserver 120 kubectl get --raw /readyz

  start kube-controller-manager kube-controller-manager \
    --kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --cluster-cidr="$POD_CIDR" \
    --allocate-node-cidrs=false --controllers='*' \
    --horizontal-pod-autoscaler-sync-period=15s
  start kube-scheduler kube-scheduler --kubeconfig="$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig="$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig="$STATE/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false
}

node() {
  local pki=$STATE/pki
  cat >"$STATE/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $pki/ca.crt }
authorization:
  mode: Webhook
tlsCertFile: $pki/kubelet.crt
tlsPrivateKeyFile: $pki/kubelet.key
containerRuntimeEndpoint: unix://$RUN/containerd.sock
# cgroups v1 here, no systemd: the cgroupfs driver, as containerd's runc uses.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDomain: cluster.local
clusterDNS: [$DNS_SERVICE_IP]
resolvConf: /etc/resolv.conf
# The machine refuses a lower oom_score_adj for the kubelet itself.
oomScoreAdj: 0
podPidsLimit: 4096
maxPods: 110
serializeImagePulls: false
imageGCHighThresholdPercent: 95
evictionHard:
  memory.available: 200Mi
  nodefs.available: 2%
  imagefs.available: 2%
YAML
  start kubelet kubelet --config="$STATE/kubelet.yaml" --kubeconfig="$STATE/kubelet.kubeconfig" \
    --root-dir="$STATE/kubelet" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" \
    --cert-dir="$STATE/kubelet-pki"
  start kube-proxy kube-proxy --kubeconfig="$STATE/kube-proxy.kubeconfig" \
    --hostname-override="$NODE_NAME" --cluster-cidr="$POD_CIDR" --proxy-mode=iptables \
    --nodeport-addresses="127.0.0.1/32,$NODE_IP/32" \
    --bind-address=127.0.0.1 --metrics-bind-address=127.0.0.1:10249 \
    --healthz-bind-address=127.0.0.1:10256
  wait_for "the node $NODE_NAME" 120 kubectl get node "$NODE_NAME"
}

echo "starting the local cluster (state in $STATE, logs in $STATE/logs)"
network
pki
for c in admin controller-manager scheduler kubelet kube-proxy; do kubeconfig "$c"; done
# The admin's context in the user's kubeconfig, made the current one.
k() { KUBECONFIG=$USER_KUBECONFIG kubectl "$@"; }
mkdir -p "$(dirname "$USER_KUBECONFIG")"
k config set-cluster orderflow-local --server="https://$NODE_IP:6443" \
  --certificate-authority="$STATE/pki/ca.crt" --embed-certs >/dev/null
k config set-credentials orderflow-local-admin --client-certificate="$STATE/pki/admin.crt" \
  --client-key="$STATE/pki/admin.key" --embed-certs >/dev/null
k config set-context orderflow-local --cluster=orderflow-local \
  --user=orderflow-local-admin >/dev/null
k config use-context orderflow-local >/dev/null
export KUBECONFIG=$STATE/admin.kubeconfig
containerd_up
./addons.sh images
control_plane
node
./addons.sh apply
echo "the local cluster is up in $(($(date +%s) - started))s: kubectl context orderflow-local," \
  "the Ingress on http://127.0.0.1:$INGRESS_PORT/"

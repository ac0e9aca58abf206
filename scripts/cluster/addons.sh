#!/usr/bin/env bash
# The local cluster's own images and add-ons (called by up.sh):
#   addons.sh images   the sandbox image and an image per add-on, each its one program from
#                      build.sh on an empty root (CA certificates, a nonroot account), imported
#                      into the cluster's containerd under orderflow.local/NAME:VERSION
#   addons.sh apply    CoreDNS, metrics-server, kube-router (policies), local-path-provisioner
#                      and Traefik (addons/*.yaml), then waits until each is available
#   addons.sh load IMAGE...  copies images from Docker into the cluster's containerd
set -euo pipefail
cd "$(dirname "$0")"
source ./env.sh

ctr_() { ctr --address "$RUN/containerd.sock" --namespace k8s.io "$@"; }

# image NAME PROGRAM TAG: an image holding only PROGRAM as /NAME, built unless present.
image() {
  local name=$1 program=$2 tag=$3 root
  ctr_ images ls -q | grep -qxF "$tag" && return 0
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    root=$(mktemp -d)
    mkdir -p "$root/etc/ssl/certs" "$root/tmp"
    chmod 1777 "$root/tmp"
    install -m 0755 "$CLUSTER_CACHE/bin/$program" "$root/$name"
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
    printf 'root:x:0:0::/:/nonexistent\nnonroot:x:65532:65532::/:/nonexistent\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
    tar -C "$root" -c . | docker import --change "ENTRYPOINT [\"/$name\"]" - "$tag" >/dev/null
    rm -rf "$root"
  fi
  docker save "$tag" | ctr_ images import - >/dev/null
}

images() {
  ../docker-engine.sh start
  image pause pause "$PAUSE_IMAGE"
  image coredns coredns "orderflow.local/coredns:$COREDNS_VERSION"
  image metrics-server metrics-server "orderflow.local/metrics-server:$METRICS_SERVER_VERSION"
  router_image
  image local-path-provisioner local-path-provisioner \
    "orderflow.local/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION"
  image traefik traefik "orderflow.local/traefik:$TRAEFIK_VERSION"
  # The provisioner's helper pod makes and removes the volumes' folders with a shell.
  ../images.sh base debian:bookworm-slim
  load debian:bookworm-slim
}

# kube-router runs iptables and ipset: its image is Debian's minbase with those, and the program.
router_image() {
  local tag=orderflow.local/kube-router:$KUBE_ROUTER_VERSION
  ctr_ images ls -q | grep -qxF "$tag" && return 0
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    mmdebstrap --quiet --variant=minbase --include=iptables,ipset,conntrack \
      --customize-hook="install -m 0755 '$CLUSTER_CACHE/bin/kube-router' \"\$1/usr/local/bin/\"" \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
      bookworm - | docker import --change 'ENTRYPOINT ["/usr/local/bin/kube-router"]' - "$tag" >/dev/null
  fi
  docker save "$tag" | ctr_ images import - >/dev/null
}

load() {
  local image
  for image in "$@"; do
    echo "loading $image into the cluster"
    docker save "$image" | ctr_ images import - >/dev/null
  done
}

apply() {
  export COREDNS_VERSION METRICS_SERVER_VERSION KUBE_ROUTER_VERSION \
    LOCAL_PATH_PROVISIONER_VERSION TRAEFIK_VERSION DNS_SERVICE_IP INGRESS_PORT STATE
  local vars='$COREDNS_VERSION $METRICS_SERVER_VERSION $KUBE_ROUTER_VERSION
    $LOCAL_PATH_PROVISIONER_VERSION $TRAEFIK_VERSION $DNS_SERVICE_IP $INGRESS_PORT $STATE'
  local f
  for f in addons/*.yaml; do envsubst "$vars" <"$f"; echo ---; done | kubectl apply -f - >/dev/null
  kubectl -n kube-system rollout status deployment/coredns --timeout=180s
  kubectl -n kube-system rollout status daemonset/kube-router --timeout=180s
  kubectl -n kube-system rollout status deployment/metrics-server --timeout=180s
  kubectl -n local-path-storage rollout status deployment/local-path-provisioner --timeout=180s
  kubectl -n traefik rollout status deployment/traefik --timeout=180s
  kubectl wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io --timeout=180s
}

case "${1:-}" in
  images) images ;;
  apply) apply ;;
  load) shift; load "$@" ;;
  *) sed -n '2,9p' "$0" >&2; exit 2 ;;
esac

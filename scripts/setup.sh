#!/usr/bin/env bash
# Everything a fresh machine of this kind needs before `make up` or `make test`, each step
# skipped when already done: Debian packages, the toolchain's fmt and clippy, cargo-nextest,
# and Apache Kafka's jars.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-packages.sh
for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done
# The test runner (about 5 minutes to build, once).
command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest
scripts/kafka.sh install

#!/usr/bin/env bash
# Everything a fresh machine of this kind needs before `make up`, each step skipped when
# already done: Debian packages and Apache Kafka's jars. With --test-tools, also what
# `make test` runs: the toolchain's rustfmt and clippy, and cargo-nextest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-packages.sh
scripts/kafka.sh install
[ "${1:-}" = --test-tools ] || exit 0
for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done
# The test runner (about 6 minutes to build on 2 cores, once).
command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest

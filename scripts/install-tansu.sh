#!/usr/bin/env bash
# Installs the dev/CI Kafka-compatible broker, tansu, at a pinned version (about 15 minutes
# once on 2 cores); does nothing when that version is already installed.
set -euo pipefail
TANSU_VERSION=0.6.0
if command -v tansu >/dev/null && tansu --version 2>/dev/null | grep -q "$TANSU_VERSION"; then
  exit 0
fi
echo "installing tansu $TANSU_VERSION (once; about 15 minutes)"
cargo install --locked "tansu@$TANSU_VERSION" --features dynostore

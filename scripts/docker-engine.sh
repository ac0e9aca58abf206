#!/usr/bin/env bash
# Docker's engine for the image builds and docker compose: installs Debian's docker.io where it
# is missing and starts dockerd in the background when no engine answers (there is no systemd).
#   scripts/docker-engine.sh start
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = start ] || { echo "usage: scripts/docker-engine.sh start" >&2; exit 2; }
docker info >/dev/null 2>&1 && exit 0
scripts/install-packages.sh --cluster
mkdir -p .run/logs
echo "starting dockerd (log: .run/logs/dockerd.log)"
setsid dockerd >>.run/logs/dockerd.log 2>&1 </dev/null &
for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "docker-engine.sh: dockerd did not answer in 60 s; see .run/logs/dockerd.log" >&2
exit 1

#!/usr/bin/env bash
# Debian packages that building and running orderflow needs, installed only where missing:
# librdkafka's build (cmake, a C++ compiler, the OpenSSL and curl headers), Redis, the
# PostgreSQL server, a JDK for the Kafka broker, the clients the scripts call, openssl, which
# makes the certificates of the TLS tests, and nginx, the edge of `make up`. With --browser,
# also Chromium, which the browser tests drive (Playwright never downloads a browser here);
# with --cluster, Docker and the local cluster's node packages (scripts/cluster/up.sh).
set -euo pipefail

packages=(curl jq cmake g++ pkg-config libssl-dev libcurl4-openssl-dev redis-server
  postgresql-client openssl)
command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
  packages+=(postgresql)
command -v java >/dev/null || packages+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || packages+=(maven)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || packages+=(nginx)
[ "${1:-}" = --browser ] && packages+=(chromium)
# --cluster: Docker's engine and image tools, and what the local Kubernetes node runs on.
[ "${1:-}" = --cluster ] && packages+=(docker.io docker-compose mmdebstrap containerd runc
  containernetworking-plugins iptables conntrack nftables iproute2 gettext-base)
missing=()
for pkg in "${packages[@]}"; do
  # "installed" exactly: a package removed but not purged is still known to dpkg.
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] ||
    missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "error: these Debian packages are missing; install them, then run this again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
apt-get update -q
# policy-rc.d 101: the packages' own services are not started; the scripts start their own.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"

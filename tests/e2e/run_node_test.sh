#!/bin/sh
# Runs a node:test file; exit 77 (reported by CTest as skipped) only when
# Node.js is missing. CI always has it.
command -v node >/dev/null 2>&1 || { echo "node not found: skipped"; exit 77; }
exec node --test --test-concurrency=1 "$@"

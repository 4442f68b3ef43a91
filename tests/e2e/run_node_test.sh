#!/bin/sh
# Runs a node:test file; exits 77 (reported by CTest as skipped) when Node.js
# is missing, or when a variable named in DOCRUNCH_E2E_REQUIRES (a
# space-separated list, e.g. DOCRUNCH_TEST_REDIS_URL) is unset, or when a
# program named in DOCRUNCH_E2E_REQUIRES_PROGRAMS (paths, e.g.
# /usr/bin/chromium) is not installed. CI has them all.
command -v node >/dev/null 2>&1 || { echo "node not found: skipped"; exit 77; }
for var in $DOCRUNCH_E2E_REQUIRES; do
  eval "value=\${$var:-}"
  [ -n "$value" ] || { echo "$var not set: skipped"; exit 77; }
done
for program in ${DOCRUNCH_E2E_REQUIRES_PROGRAMS:-}; do
  [ -x "$program" ] || { echo "$program not installed: skipped"; exit 77; }
done
exec node --test --test-concurrency=1 "$@"

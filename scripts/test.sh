#!/usr/bin/env bash
# Docrunch's test command (and CI's, through .ci/run): installs, builds, starts
# PostgreSQL and Redis for the integration tests, runs CTest, stops the
# services again (also on failure or Ctrl-C) and exits with CTest's status.
#
#   scripts/test.sh [extra ctest args, e.g. -R Store]
#
# Environment:
#   DOCRUNCH_TEST_NO_SERVICES=1   start no services; tests that need them skip
#   JOBS=N                        build and ctest parallelism (default 2)
#   DOCRUNCH_TEST_PG_PORT, DOCRUNCH_TEST_REDIS_PORT   see scripts/services.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

T0="$(date +%s%3N)"
JOBS="${JOBS:-2}"
export JOBS

SERVICES_STARTED=0
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$? ms
  trap - EXIT INT TERM
  if [ "$SERVICES_STARTED" = 1 ]; then
    scripts/services.sh stop || rc=1
  fi
  ms=$(($(date +%s%3N) - T0))
  printf 'test: total wall time %d.%01d s\n' $((ms / 1000)) $((ms % 1000 / 100))
  exit "$rc"
}
trap cleanup EXIT
# Ctrl-C / kill: leave through the EXIT trap with the usual signal statuses.
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/setup.sh
scripts/build.sh

if [ "${DOCRUNCH_TEST_NO_SERVICES:-0}" = 1 ]; then
  echo "test: DOCRUNCH_TEST_NO_SERVICES=1: no PostgreSQL/Redis; tests that need them are skipped"
  unset DOCRUNCH_TEST_POSTGRES_URL DOCRUNCH_TEST_REDIS_URL
else
  # Set before start: a half-done start is cleaned up too.
  SERVICES_STARTED=1
  if ! scripts/services.sh start; then
    echo "test: error: the test services did not start (set DOCRUNCH_TEST_NO_SERVICES=1 to run without them)" >&2
    exit 1
  fi
  eval "$(scripts/services.sh env)"
  echo "test: DOCRUNCH_TEST_POSTGRES_URL=$DOCRUNCH_TEST_POSTGRES_URL"
  echo "test: DOCRUNCH_TEST_REDIS_URL=$DOCRUNCH_TEST_REDIS_URL"
fi

rc=0
ctest --test-dir build --output-on-failure --no-tests=error -j "$JOBS" --timeout 300 "$@" || rc=$?
exit "$rc"

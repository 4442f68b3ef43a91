#!/usr/bin/env bash
# Search-quality benchmark: Docrunch's ranking against plain SQLite FTS5 bm25
# over whole files, on queries built from the Python standard library's
# docstrings; prints Markdown tables of MRR@10 and recall@10. See README.md.
#
#   bench/search/run.sh [--corpus DIR] [--n QUERIES] [--sweep] [--vectors] [--keep]
#
# --vectors embeds the index with tests/support/embeddings_standin.py (hashed
# character trigrams: a lexical stand-in, not a semantic model) and adds
# rankings with those vectors fused in.
#
# Builds nothing: needs build/docrunch and build/bench/search/docrunch_search_bench
# (`ninja -C build docrunch docrunch_search_bench`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${DOCRUNCH_BUILD_DIR:-$ROOT/build}"
DOCRUNCH="${DOCRUNCH_BENCH_BIN:-$BUILD/docrunch}"
RANKER="$BUILD/bench/search/docrunch_search_bench"
EVAL="$ROOT/bench/search/evaluate.py"
CORPUS=/usr/lib/python3.11
N=500
SWEEP=""
KEEP=0
VECTORS=0

die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }
log() { printf 'bench: %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) CORPUS="$2"; shift 2 ;;
    --n) N="$2"; shift 2 ;;
    --sweep) SWEEP=--sweep; shift ;;
    --keep) KEEP=1; shift ;;
    --vectors) VECTORS=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -x "$DOCRUNCH" ] || die "$DOCRUNCH missing: ninja -C build docrunch"
[ -x "$RANKER" ] || die "$RANKER missing: ninja -C build docrunch_search_bench"
[ -d "$CORPUS" ] || die "corpus $CORPUS missing"

WORK="$(mktemp -d /tmp/docrunch-search-bench.XXXXXX)"
STANDIN_PID=""
cleanup() {
  if [ -n "$STANDIN_PID" ]; then kill "$STANDIN_PID" 2>/dev/null || true; fi
  if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PROJECT="$WORK/project"
mkdir -p "$PROJECT"
(cd "$PROJECT" && "$DOCRUNCH" init . >/dev/null)
CONFIG=(--config "$PROJECT/.docrunch/config.yaml")
DB="$PROJECT/.docrunch/docrunch.db"

log "scanning $CORPUS"
"$DOCRUNCH" "${CONFIG[@]}" scan "$CORPUS" --output "$WORK/docs" --quiet >/dev/null
log "building queries (docstrings of the targets withheld)"
python3 "$EVAL" queries --corpus "$CORPUS" --db "$DB" --out "$WORK/queries.jsonl" --n "$N"
if [ "$VECTORS" = 1 ]; then
  python3 "$ROOT/tests/support/embeddings_standin.py" >"$WORK/standin.port" &
  STANDIN_PID=$!
  for _ in $(seq 50); do [ -s "$WORK/standin.port" ] && break; sleep 0.1; done
  export DOCRUNCH_BENCH_EMBEDDINGS_URL="http://127.0.0.1:$(head -1 "$WORK/standin.port")/v1"
  for kv in enabled=true base_url="$DOCRUNCH_BENCH_EMBEDDINGS_URL" model=stand-in-trigrams \
    batch_size=256; do
    "$DOCRUNCH" "${CONFIG[@]}" config set "search.embeddings.${kv%%=*}" "${kv#*=}" >/dev/null
  done
fi
log "rebuilding the index from the database"
(cd "$PROJECT" && "$DOCRUNCH" "${CONFIG[@]}" sync rebuild --vectors >/dev/null)
log "ranking with Docrunch"
"$RANKER" "$DB" "$WORK/queries.jsonl" "$WORK/docrunch.jsonl" $SWEEP
log "ranking with the FTS5 baseline"
python3 "$EVAL" baseline --corpus "$CORPUS" --queries "$WORK/queries.jsonl" --out "$WORK/baseline.jsonl"

for half in tune test; do
  echo
  echo "### Half: $half"
  echo
  python3 "$EVAL" report --queries "$WORK/queries.jsonl" --half "$half" \
    "$WORK/baseline.jsonl" "$WORK/docrunch.jsonl"
done

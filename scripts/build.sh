#!/usr/bin/env bash
# Configures (first time only) and builds Docrunch into build/.
#
#   scripts/build.sh [extra cmake --build args, e.g. --target docrunch]
#
# Environment:
#   JOBS=N   parallel jobs (default 2: the machines have 2 cores; a
#            Boost.Beast translation unit alone can take ~1.2 GB)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BUILD_DIR=build
JOBS="${JOBS:-2}"

log() { printf 'build: %s\n' "$*"; }
die() { printf 'build: error: %s\n' "$*" >&2; exit 1; }

case "$JOBS" in '' | *[!0-9]* | 0) die "JOBS must be a positive integer, got '$JOBS'" ;; esac

start=$SECONDS

# Let ccache reuse objects compiled in another checkout (CI builds a fresh
# clone in a new folder; helpers build in worktrees): rewrite absolute paths
# under the checkout to relative ones, and leave the working directory that
# -g records out of the hash.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

if [ -f "$BUILD_DIR/CMakeCache.txt" ]; then
  generator="$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$BUILD_DIR/CMakeCache.txt")"
  if [ -n "$generator" ] && [ "$generator" != Ninja ]; then
    die "$BUILD_DIR/ was configured with '$generator', not Ninja; remove $ROOT/$BUILD_DIR and run again"
  fi
fi

# A finished configure leaves build.ninja; after that, `cmake --build` re-runs
# CMake by itself whenever a CMakeLists.txt changes.
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  log "configuring $BUILD_DIR/ (Ninja, RelWithDebInfo)"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi

log "building with $JOBS jobs"
cmake --build "$BUILD_DIR" -j "$JOBS" "$@"
log "done in $((SECONDS - start)) s"

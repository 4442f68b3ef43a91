#!/usr/bin/env bash
# Docrunch's run command: installs, builds, and runs the main job on the
# embedded default (SQLite in .docrunch/): initialises the project in the repo
# root if needed, then scans it (incrementally) and prints the summary.
#
#   scripts/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/setup.sh
scripts/build.sh

DOCRUNCH=build/docrunch
if [ ! -f .docrunch/config.yaml ]; then
  echo "run: $DOCRUNCH init ."
  "$DOCRUNCH" init .
fi

# A checkout scanned by an older build: bring its database up to date first.
"$DOCRUNCH" db migrate
echo "run: $DOCRUNCH scan"
exec "$DOCRUNCH" scan

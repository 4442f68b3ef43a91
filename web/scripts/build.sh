#!/bin/sh
# Builds the dashboard into OUT_DIR (run by CMake, see web/CMakeLists.txt):
# type-check, vite build, the initial-JavaScript budget, and .gz/.br siblings
# of the text assets for `serve` to pick by Accept-Encoding.
#
#   web/scripts/build.sh OUT_DIR
set -eu
WEB="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$1"

if [ ! -x "$WEB/node_modules/.bin/vite" ]; then
  echo "web: error: $WEB/node_modules is missing or incomplete: run scripts/setup.sh" >&2
  exit 1
fi
command -v node >/dev/null 2>&1 || { echo "web: error: node not found: run scripts/setup.sh" >&2; exit 1; }

cd "$WEB"
node_modules/.bin/tsc --noEmit -p .
node_modules/.bin/vite build --logLevel warn --outDir "$OUT" --emptyOutDir
node scripts/check-bundle.mjs "$OUT" 300

# Precompress text assets once at build time (never at request time).
find "$OUT" -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' -o -name '*.json' \) \
  -exec gzip -k -9 -f {} +
if command -v brotli >/dev/null 2>&1; then
  find "$OUT" -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' -o -name '*.json' \) \
    -exec brotli -k -f -q 11 {} +
fi

#!/usr/bin/env bash
# Installs what Docrunch needs to build, test and run on a fresh Debian 12 machine.
#
# Idempotent: a second run only asks dpkg what is installed (no apt-get update,
# no install) and finishes in well under a second. Run as root, or as a user
# with sudo.
#
#   scripts/setup.sh
#
# Environment:
#   DOCRUNCH_SETUP_SKIP_APT=1   skip the Debian package step entirely
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# One apt-get install line for everything. Keep it sorted by purpose, not by name.
APT_PACKAGES=(
  # toolchain
  build-essential g++ cmake ninja-build ccache pkg-config git curl ca-certificates
  util-linux # runuser/setpriv: services run as their own users
  # libraries
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libsqlite3-dev sqlite3 libpq-dev libpqxx-dev libhiredis-dev libsodium-dev
  libssl-dev libcurl4-openssl-dev libxxhash-dev libboost-dev
  zlib1g-dev # gzip of REST answers kept in memory (src/http/encoding.h)
  libmimalloc-dev # the docrunch binary's malloc (src/app/CMakeLists.txt)
  libarchive-dev libzstd-dev # snapshot archives, tar + zstd (src/ops/)
  zstd # tests/ops writes an odd snapshot archive with tar --zstd
  # tests; the dashboard's browser tests drive Debian's chromium (never a
  # downloaded browser)
  libgtest-dev libgmock-dev chromium
  # bench/scan compares against ctags and reads peak RSS from /usr/bin/time;
  # bench/rest loads the REST API with wrk
  universal-ctags time wrk
  # services for integration tests (started by scripts/services.sh)
  postgresql-15 redis-server
  # ingress and metrics: tests/deploy runs deploy/nginx/docrunch.conf with
  # nginx and an openssl certificate; promtool (prometheus) checks /metrics;
  # pg_dump/pg_restore (postgresql-client-15) run docs/hosting.md's backups
  nginx openssl prometheus postgresql-client-15
  # the .deb (tests/deploy/package.test.mjs): dpkg-shlibdeps, systemd-analyze
  dpkg-dev systemd file
  # search: nearest neighbours over embeddings (header-only); the Porter
  # stemmer of index and query terms (Snowball's libstemmer)
  libhnswlib-dev libstemmer-dev
  # the dashboard's assets are precompressed at build time (.br beside .gz)
  brotli
)

log() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and sudo is not installed"
  SUDO=(sudo)
fi

# Prints the packages of "$@" that are not fully installed, one per line.
missing_packages() {
  local -A status=()
  local name rest
  # One dpkg-query for all of them; unknown packages only print to stderr.
  while IFS=' ' read -r name rest; do
    [ -n "$name" ] && status[$name]="$rest"
  done < <(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null || true)
  for name in "$@"; do
    [ "${status[$name]:-}" = "install ok installed" ] || printf '%s\n' "$name"
  done
}

install_apt_packages() {
  if [ "${DOCRUNCH_SETUP_SKIP_APT:-0}" = 1 ]; then
    log "apt: skipped (DOCRUNCH_SETUP_SKIP_APT=1)"
    return 0
  fi
  command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script is for Debian 12"

  local missing
  mapfile -t missing < <(missing_packages "${APT_PACKAGES[@]}")
  if [ "${#missing[@]}" -eq 0 ]; then
    log "apt: all ${#APT_PACKAGES[@]} packages already installed"
    return 0
  fi

  log "apt: missing ${#missing[@]} of ${#APT_PACKAGES[@]}: ${missing[*]}"
  local start=$SECONDS
  # Wait for another apt/dpkg run instead of failing on its lock.
  local apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" -q update
  # Only the missing ones: naming an installed package would also upgrade it.
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" -q install -y --no-install-recommends "${missing[@]}"

  mapfile -t missing < <(missing_packages "${APT_PACKAGES[@]}")
  [ "${#missing[@]}" -eq 0 ] || die "apt: still missing after install: ${missing[*]}"
  log "apt: installed in $((SECONDS - start)) s"
}

# npm packages are pinned per folder in package.json + package-lock.json:
# third_party/ (tree-sitter grammars, MCP and REST test peers) and web/ (the
# dashboard: React, Vite, React Flow, and the browser-test drivers). `npm ci`
# runs in a folder only when its lock (or package.json) changed since the last
# install, as recorded in a stamp inside its node_modules (npm ci deletes
# node_modules, and the stamp with it).
#
# Each entry: folder, then extra `npm ci` flags. --legacy-peer-deps: the
# grammar packages' peer ranges conflict (see ARCHITECTURE.md).
NPM_FOLDERS=(
  "third_party --legacy-peer-deps"
  "web"
)

install_npm_packages() {
  local entry name dir flags stamp want start
  for entry in "${NPM_FOLDERS[@]}"; do
    read -r name flags <<<"$entry"
    dir="$ROOT/$name"
    if [ ! -f "$dir/package.json" ]; then
      log "npm: no $name/package.json, nothing to install"
      continue
    fi
    [ -f "$dir/package-lock.json" ] ||
      die "npm: $name/package.json has no package-lock.json; run 'npm install --ignore-scripts' there and commit the lock"
    if ! command -v npm >/dev/null 2>&1; then
      # Machines of this kind ship Node.js 20 with npm; elsewhere take Debian's.
      log "npm: not found; installing Debian's nodejs and npm"
      "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm
    fi

    stamp="$dir/node_modules/.docrunch-lock.sha256"
    want="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
    if [ -d "$dir/node_modules" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
      log "npm: $name/node_modules up to date"
      continue
    fi

    log "npm: lock changed or node_modules missing; running npm ci in $name/"
    start=$SECONDS
    # shellcheck disable=SC2086  # flags are words
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund $flags)
    printf '%s\n' "$want" >"$stamp"
    log "npm: $name/ installed in $((SECONDS - start)) s"
  done
}

main() {
  local start=$SECONDS
  install_apt_packages
  install_npm_packages
  log "done in $((SECONDS - start)) s"
}

main "$@"

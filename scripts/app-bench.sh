#!/usr/bin/env bash
# Times the desktop app on a large vault (docs/app-benchmarks.md): cold start to the unlock
# screen and unlock to the list. Uses a copy of the 100,000-document vault `make bench`
# generates (its search section), so the original stays untouched.
#   COFFER_BENCH_VAULT  the vault to copy (default /dev/shm/coffer-bench/search-100000)
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE="${COFFER_BENCH_VAULT:-/dev/shm/coffer-bench/search-100000}"
[ -f "$SOURCE/vault.json" ] || { echo "no vault at $SOURCE: run make bench (search section) first" >&2; exit 1; }
COPY="$(mktemp -d /dev/shm/coffer-app-bench.XXXXXX)"
trap 'rm -rf "$COPY"' EXIT
cp -a "$SOURCE" "$COPY/vault"
E2E_VAULT="$COPY/vault" bash scripts/app-e2e.sh tests/e2e/bench-100k.mjs

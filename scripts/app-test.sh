#!/usr/bin/env bash
# The desktop app's tests: front-end unit tests (Vitest), the Tauri commands under the mock
# runtime, then the end-to-end suite driving the real window under Xvfb through WebDriver.
# Pass --no-e2e to skip the last part.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-app}"

bash scripts/app-setup.sh --e2e
echo "== front end unit tests" >&2
npm --prefix ui test --silent
echo "== Tauri command tests" >&2
# The app embeds the built front end (tauri.conf.json `frontendDist`), so build it first.
npm --prefix ui run build --silent
# The account and sync commands are tested against a real coffer-server beside the tests.
cargo build -p coffer-server --quiet
cargo test -p coffer-app --quiet
[ "${1:-}" = "--no-e2e" ] && exit 0
echo "== end-to-end" >&2
bash scripts/app-e2e.sh

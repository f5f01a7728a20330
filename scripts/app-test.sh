#!/usr/bin/env bash
# The desktop app's tests beyond cargo's: front-end unit tests (Vitest), then the end-to-end
# suite driving the real window under Xvfb through WebDriver. Pass --no-e2e to skip the latter.
# The Tauri commands' tests under the mock runtime (src-tauri/src/tests.rs) are Rust tests:
# `make test` runs them with the rest of the workspace's, from one build (scripts/app-build.sh);
# on their own, `cargo test -p coffer-app` after scripts/app-build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-app}"

bash scripts/app-setup.sh --e2e
echo "== front end unit tests" >&2
npm --prefix ui test --silent
[ "${1:-}" = "--no-e2e" ] && exit 0
echo "== end-to-end" >&2
bash scripts/app-e2e.sh

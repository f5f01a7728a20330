#!/usr/bin/env bash
# Builds the front end, then the desktop app (debug) together with the rest of the workspace's
# binaries (coffer-server, which scripts/app-server.sh starts beside the app). The app has its
# own target directory unless CARGO_TARGET_DIR says otherwise (the Makefile shares target/).
#   scripts/app-build.sh [--e2e]   --e2e: tauri-driver too (scripts/app-setup.sh)
#   APP_BUILD_TESTS=1              the workspace's test binaries too (`make test`)
# Always the whole workspace, never `-p coffer-app` or `-p coffer-server`: Cargo enables a
# dependency's features for the packages selected, so each narrower selection compiles hundreds
# of crates again with other features. Test builds enable dev-dependencies' features as well
# (tauri's mock runtime, …), so `make test` sets APP_BUILD_TESTS=1 for every step and the
# end-to-end suite runs the app binary of its one build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/app-setup.sh "$@"
npm --prefix ui run build --silent
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-app}"
targets=(--bins)
if [ "${APP_BUILD_TESTS:-}" = 1 ]; then targets+=(--tests); fi
cargo build --workspace "${targets[@]}"

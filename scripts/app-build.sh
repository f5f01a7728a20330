#!/usr/bin/env bash
# Builds the front end and the desktop app (debug). The app has its own target directory so
# it never waits on, or invalidates, the rest of the workspace's builds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/app-setup.sh "$@"
npm --prefix ui run build --silent
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-app}"
cargo build -p coffer-app --quiet

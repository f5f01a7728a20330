#!/usr/bin/env bash
# `make run`: builds and starts the Coffer desktop app. The vault is $COFFER_VAULT or the
# platform data directory (the same one the `coffer` command uses).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/app-build.sh
exec "${CARGO_TARGET_DIR:-$PWD/target-app}/debug/coffer-app"

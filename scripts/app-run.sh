#!/usr/bin/env bash
# `make run`: builds and starts the Coffer desktop app, with a local Coffer server beside it on
# 127.0.0.1 (a free port; its data in the platform data directory, next to the vault) that the
# Account screen offers for sign-up, and stops that server when the app exits. The vault is
# $COFFER_VAULT or the platform data directory (the same one the `coffer` command uses).
# COFFER_SERVER_URL=URL uses that server instead of starting one.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-app}"
bash scripts/app-build.sh
if [ -z "${COFFER_SERVER_URL:-}" ]; then
  source scripts/app-server.sh
  trap stop_local_server EXIT
  start_local_server "${XDG_DATA_HOME:-$HOME/.local/share}/coffer/local-server"
fi
"$CARGO_TARGET_DIR/debug/coffer-app"

#!/usr/bin/env bash
# Drives the real app under Xvfb: tauri-driver (project-local) in front of Debian's
# WebKitWebDriver, with a throw-away home so the person's own vault is never touched, and a
# throw-away local coffer-server to sign up and sync to.
# Screenshots land in target/screenshots/ (`make screenshots` copies them to docs/screenshots/).
# The sample documents are made here by coffer-samples (crates/coffer-testkit), unless
# COFFER_SAMPLES names a folder of receipts.
#   scripts/app-e2e.sh [SCRIPT]   another WebDriver script (default tests/e2e/app.e2e.mjs)
#   E2E_VAULT=DIR                 open this vault instead of a new one (scripts/app-bench.sh)
set -euo pipefail
SCRIPT="${1:-tests/e2e/app.e2e.mjs}"
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-app}"
bash scripts/app-build.sh --e2e

SCRATCH="$(mktemp -d)"
source scripts/app-server.sh
trap 'stop_local_server; rm -rf "$SCRATCH" 2>/dev/null || true' EXIT
# A real local server for the account and sync steps; the app offers it in the sign-in form.
start_local_server "$SCRATCH/server"

export XDG_DATA_HOME="$SCRATCH/data" XDG_CONFIG_HOME="$SCRATCH/config" XDG_CACHE_HOME="$SCRATCH/cache"
export LANG=en_US.UTF-8 LANGUAGE=en
if [ -n "${E2E_VAULT:-}" ]; then export COFFER_VAULT="$E2E_VAULT"; else unset COFFER_VAULT; fi
export COFFER_APP="$CARGO_TARGET_DIR/debug/coffer-app"
if [ -z "${COFFER_SAMPLES:-}" ]; then
  COFFER_SAMPLES="$SCRATCH/samples"
  "$CARGO_TARGET_DIR/debug/coffer-samples" "$COFFER_SAMPLES" > /dev/null
fi
export COFFER_SAMPLES
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$PWD/target/screenshots}"
# A free port for tauri-driver: the Rust tests may run beside this suite.
PORT="${E2E_WEBDRIVER_PORT:-$(free_port)}"
export WEBDRIVER_URL="http://127.0.0.1:$PORT"

xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  set -euo pipefail
  "'"$PWD"'/.e2e/tools/bin/tauri-driver" --port "'"$PORT"'" --native-driver /usr/bin/WebKitWebDriver \
    > "'"$SCRATCH"'/tauri-driver.log" 2>&1 &
  driver=$!
  trap "kill $driver 2>/dev/null || true" EXIT
  for _ in $(seq 1 50); do
    curl -sf "$WEBDRIVER_URL/status" >/dev/null && break
    sleep 0.2
  done
  node "'"$SCRIPT"'"
'

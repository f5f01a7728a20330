#!/usr/bin/env bash
# The share link in a real browser: a throw-away local coffer-server, a vault made with the
# real `coffer` command, and headless Chromium through chromedriver (Debian's chromium and
# chromium-driver, installed by scripts/setup.sh) driving tests/e2e/share.e2e.mjs.
# Needs the workspace's binaries (`make test` builds them first).
# Screenshots of the page land in target/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
for bin in coffer coffer-server coffer-local-server coffer-samples; do
  if [ ! -x "$CARGO_TARGET_DIR/debug/$bin" ]; then
    echo "share-e2e: $CARGO_TARGET_DIR/debug/$bin is missing; build the workspace first" >&2
    exit 1
  fi
done

SCRATCH="$(mktemp -d)"
export SCRATCH
source scripts/app-server.sh
driver=""
cleanup() {
  [ -n "$driver" ] && kill "$driver" 2>/dev/null || true
  stop_local_server
  rm -rf "$SCRATCH" 2>/dev/null || true
}
trap cleanup EXIT
start_local_server "$SCRATCH/server"

export COFFER_BIN="$CARGO_TARGET_DIR/debug/coffer"
export COFFER_SAMPLES="$SCRATCH/samples"
"$CARGO_TARGET_DIR/debug/coffer-samples" "$COFFER_SAMPLES" > /dev/null
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$PWD/target/screenshots}"
export HOME="$SCRATCH/home" XDG_CONFIG_HOME="$SCRATCH/config" XDG_CACHE_HOME="$SCRATCH/cache"
mkdir -p "$HOME"
unset COFFER_VAULT

# A free port for chromedriver, from the kernel.
PORT="$(free_port)"
export WEBDRIVER_URL="http://127.0.0.1:$PORT"
chromedriver --port="$PORT" > "$SCRATCH/chromedriver.log" 2>&1 &
driver=$!
for _ in $(seq 1 100); do
  curl -sf "$WEBDRIVER_URL/status" > /dev/null && break
  sleep 0.1
done
if ! node tests/e2e/share.e2e.mjs; then
  echo "share-e2e: failed; chromedriver's log:" >&2
  tail -n 40 "$SCRATCH/chromedriver.log" >&2
  exit 1
fi

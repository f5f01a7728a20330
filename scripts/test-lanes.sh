#!/usr/bin/env bash
# `make test`'s two lanes, run at once after the one build: the workspace's Rust tests (with the
# services they need), and the browser lane (the share page in headless Chromium, then the app's
# Vitest and its real window under Xvfb). They share nothing but the built binaries, and each
# spends much of its time waiting (on servers, processes, the window), so on 2 cores the two
# together take little longer than the Rust lane alone.
# The Rust lane prints as it runs; the browser lane writes $CARGO_TARGET_DIR/test-lanes/browser.log,
# printed when both are done. Fails when either lane failed, and says which.
set -uo pipefail
cd "$(dirname "$0")/.."
LOGS="${CARGO_TARGET_DIR:-$PWD/target}/test-lanes"
mkdir -p "$LOGS"

(bash scripts/share-e2e.sh && bash scripts/app-test.sh) > "$LOGS/browser.log" 2>&1 &
browser=$!
trap 'kill "$browser" 2>/dev/null' INT TERM

bash scripts/with-test-services.sh cargo test --workspace --no-fail-fast
rust=$?
wait "$browser"
web=$?

echo "== browser lane: the share page, Vitest, the app's window ($LOGS/browser.log)" >&2
cat "$LOGS/browser.log"
[ "$rust" -eq 0 ] || echo "test-lanes: the Rust tests failed (exit $rust)" >&2
[ "$web" -eq 0 ] || echo "test-lanes: the browser lane failed (exit $web)" >&2
[ "$rust" -eq 0 ] && [ "$web" -eq 0 ]

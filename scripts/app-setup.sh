#!/usr/bin/env bash
# Idempotent set-up for the desktop app: the front end's npm packages (exactly as locked) and,
# with --e2e, tauri-driver in a project-local root. Quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v npm >/dev/null || { echo "app-setup: npm not found; install Node.js 20+" >&2; exit 1; }
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "app-setup: installing the front end's packages" >&2
  # Not `npm ci`: the registry mirror lacks some other platforms' optional binaries, so npm
  # leaves them out of the lock and `npm ci` then rejects it as out of sync. `install --no-save`
  # still installs exactly the locked versions and never rewrites the lock.
  npm --prefix ui install --no-save --no-audit --no-fund --loglevel=error
fi

if [ "${1:-}" = "--e2e" ]; then
  TOOLS="$PWD/.e2e/tools"
  if [ ! -x "$TOOLS/bin/tauri-driver" ]; then
    echo "app-setup: installing tauri-driver into $TOOLS" >&2
    # A debug build: it only relays WebDriver requests, and it builds in half the time.
    cargo install tauri-driver --version "^2" --locked --root "$TOOLS" --debug --quiet
  fi
  [ -x /usr/bin/WebKitWebDriver ] || { echo "app-setup: /usr/bin/WebKitWebDriver missing; run scripts/setup.sh" >&2; exit 1; }
fi

#!/usr/bin/env bash
# `make run` until the desktop app lands: a guided walk through the CLI on a demo vault.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
coffer="$root/target/debug/coffer"
demo="$root/.demo-vault"
samples="$root/../shared/data/receipts/sroie-dev/images"
export COFFER_VAULT="$demo/vault"
export COFFER_PASSWORD="${COFFER_PASSWORD:-demo password, not for real use}"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

rm -rf "$demo"
mkdir -p "$demo"
printf 'Coffer demo: a throwaway vault in %s (password in $COFFER_PASSWORD).\n' "$demo"
step "$coffer" init --recovery-file "$demo/recovery-phrase.txt"
files=()
if [ -d "$samples" ]; then
  mapfile -t files < <(find "$samples" -name '*.jpg' | sort | head -3)
fi
if [ ${#files[@]} -eq 0 ]; then
  printf 'Kettle KX-200 warranty card, 24 months\n' > "$demo/kettle-warranty.txt"
  files=("$demo/kettle-warranty.txt")
fi
step "$coffer" import --kind receipt --tag demo "${files[@]}"
first=$("$coffer" list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
step "$coffer" edit "$first" --title "Kettle from the corner shop" --merchant "Corner Shop" \
  --date 2026-03-14 --total 31.80 --currency EUR --kind warranty --expiry 2028-03-14
step "$coffer" search kettle
step "$coffer" search "" --kind warranty --json
step "$coffer" get "$first" --out "$demo/restored-original"
step "$coffer" info
printf '\nEverything in %s is encrypted; try: grep -r Kettle %s\n' "$COFFER_VAULT" "$COFFER_VAULT"

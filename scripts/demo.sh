#!/usr/bin/env bash
# `make demo`: a guided walk through the CLI on a throwaway demo vault.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
coffer="$root/target/debug/coffer"
demo="$root/.demo-vault"
samples="$demo/samples"
export COFFER_VAULT="$demo/vault"
export COFFER_PASSWORD="${COFFER_PASSWORD:-demo password, not for real use}"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

rm -rf "$demo"
mkdir -p "$demo"
printf 'Coffer demo: a throwaway vault in %s (password in $COFFER_PASSWORD).\n' "$demo"
step "$coffer" init --recovery-file "$demo/recovery-phrase.txt"
# Sample documents made by the project itself (crates/coffer-testkit): a photographed receipt,
# a scanned and a text PDF invoice, an ISDOC e-invoice and a warranty card.
"$root/target/debug/coffer-samples" "$samples" > /dev/null
files=("$samples/table-photo.jpg" "$samples/scanned-invoice.pdf" "$samples/text-invoice.pdf" \
  "$samples/e-invoice.isdoc" "$samples/warranty-card.png")
step "$coffer" import --tag demo "${files[@]}"
step "$coffer" list
first=$("$coffer" list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
step "$coffer" edit "$first" --title "Kettle from the corner shop" --merchant "Corner Shop" \
  --date 2026-03-14 --total 31.80 --currency EUR --kind warranty --expiry 2028-03-14
step "$coffer" search kettle
step "$coffer" search "" --kind warranty --json
step "$coffer" get "$first" --out "$demo/restored-original"
step "$coffer" info
printf '\nEverything in %s is encrypted; try: grep -r Kettle %s\n' "$COFFER_VAULT" "$COFFER_VAULT"

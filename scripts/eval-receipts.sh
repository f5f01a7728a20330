#!/usr/bin/env bash
# `make eval-receipts`: runs `coffer extract` over the labelled SROIE dev receipts and prints
# per-field accuracy with ../shared/tools/score_receipts.py (exit 1 below the targets).
set -euo pipefail

ROOT="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
SHARED="$ROOT/../shared"
DATA="${EVAL_RECEIPTS_DATA:-$SHARED/data/receipts/sroie-dev}"
SCORER="$SHARED/tools/score_receipts.py"
CARGO="${CARGO:-cargo}"

if [ ! -d "$DATA/images" ] || [ ! -f "$SCORER" ]; then
  echo "eval-receipts: $DATA/images or $SCORER is missing; the shared/ folder must sit next to the repo" >&2
  exit 2
fi

cd "$ROOT"
"$CARGO" build --release -p coffer-cli --bin coffer
TARGET_DIR="$("$CARGO" metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
COFFER="$TARGET_DIR/release/coffer"

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
start=$(date +%s)
# One OpenMP thread per Tesseract engine: `coffer extract` already runs one engine per core.
export OMP_THREAD_LIMIT=1
# Exit status 1 only means some files failed; they are scored as misses, so go on.
"$COFFER" extract --format jsonl "$DATA"/images/* > "$OUT/predictions.jsonl" || [ $? -eq 1 ]
echo "eval-receipts: extracted $(wc -l < "$OUT/predictions.jsonl") receipts in $(( $(date +%s) - start )) s" >&2

# The scorer's thresholds are percentages.
python3 "$SCORER" "$DATA/labels" "$OUT/predictions.jsonl" --min-date 92 --min-total 88 --min-merchant 75

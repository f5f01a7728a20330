#!/usr/bin/env bash
# `make eval-receipts [EVAL_DATA=DIR]`: runs `coffer extract` over a labelled receipt set and
# prints per-field accuracy (exit 1 below the targets), then every wrong field with what was
# expected and what was read. The set is a folder with images/ and labels/ (SROIE format);
# this is an evaluation, not a test: it reads data outside the repository, by path.
#
#   scripts/eval-receipts.sh [DATA_DIR]     default: ../shared/data/receipts/sroie-dev
#
# Predictions are kept in target/eval-receipts/predictions.jsonl for comparing runs.
set -euo pipefail

ROOT="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
DATA="${1:-${EVAL_DATA:-$ROOT/../shared/data/receipts/sroie-dev}}"
SCORER="${EVAL_SCORER:-$(dirname "$DATA")/../../tools/score_receipts.py}"
CARGO="${CARGO:-cargo}"

if [ ! -d "$DATA/images" ] || [ ! -d "$DATA/labels" ]; then
  cat >&2 <<EOF
eval-receipts: no labelled receipts in $DATA
  Pass the folder that holds images/ and labels/ (NNN.json with company, date, total):
    scripts/eval-receipts.sh /path/to/sroie-dev      (or make eval-receipts EVAL_DATA=/path)
  In the Coffer workspace it is ../shared/data/receipts/sroie-dev next to the repository.
EOF
  exit 2
fi
if [ ! -f "$SCORER" ]; then
  echo "eval-receipts: the scorer $SCORER is missing; set EVAL_SCORER=/path/to/score_receipts.py" >&2
  exit 2
fi

cd "$ROOT"
if [ -z "${COFFER:-}" ]; then
  "$CARGO" build --release -p coffer-cli --bin coffer
  TARGET_DIR="$("$CARGO" metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
  COFFER="$TARGET_DIR/release/coffer"
fi

OUT="$ROOT/target/eval-receipts"
mkdir -p "$OUT"
start=$(date +%s)
# One OpenMP thread per Tesseract engine: `coffer extract` already runs one engine per core.
export OMP_THREAD_LIMIT=1
# Exit status 1 only means some files failed; they are scored as misses, so go on.
"$COFFER" extract --format jsonl --explain "$DATA"/images/* > "$OUT/predictions.jsonl" 2> "$OUT/stderr.log" || [ $? -eq 1 ]
echo "eval-receipts: extracted $(wc -l < "$OUT/predictions.jsonl") receipts in $(( $(date +%s) - start )) s" >&2

# Every wrong field: what the label says, what was read, which rule chose it and what each
# reading saw (the `explain` object of `coffer extract --explain`).
python3 - "$DATA/labels" "$OUT/predictions.jsonl" "$SCORER" <<'PY' || true
import importlib.util, json, pathlib, sys
spec = importlib.util.spec_from_file_location("scorer", sys.argv[3])
scorer = importlib.util.module_from_spec(spec); spec.loader.exec_module(scorer)
labels = {p.stem: json.loads(p.read_text()) for p in pathlib.Path(sys.argv[1]).glob("*.json")}
preds = {}
for line in open(sys.argv[2]):
    if line.strip():
        o = json.loads(line); preds[pathlib.Path(o.get("file", "")).stem] = o
import difflib
for stem in sorted(labels):
    lab, p = labels[stem], preds.get(stem, {})
    why = p.get("explain", {})
    misses = []
    if scorer.parse_date(lab.get("date")) and scorer.parse_date(p.get("date")) != scorer.parse_date(lab.get("date")):
        misses.append(("date", lab.get("date"), p.get("date")))
    if scorer.parse_amount(lab.get("total")) is not None and scorer.parse_amount(p.get("total")) != scorer.parse_amount(lab.get("total")):
        misses.append(("total", lab.get("total"), p.get("total")))
    want, got = scorer.norm_name(lab.get("company")), scorer.norm_name(p.get("merchant"))
    if want and not (got and difflib.SequenceMatcher(None, got, want).ratio() >= 0.8):
        misses.append(("merchant", lab.get("company"), p.get("merchant")))
    for field, want, got in misses:
        detail = why.get(field, {})
        print(f"miss {stem} {field}: want {want!r} got {got!r}; rule {detail.get('rule', '?')}; readings {detail.get('readings', [])}")
PY

# The scorer's thresholds are percentages.
python3 "$SCORER" "$DATA/labels" "$OUT/predictions.jsonl" --min-date 92 --min-total 88 --min-merchant 75

#!/usr/bin/env bash
# The README's four real-data tables: each task fine-tuned from one pretrained model with the
# defaults only, evaluated on its test split, beside its classical references on the same split.
#   bash bench/recipes/tables.sh OUT PRETRAINED_MODEL_DIR [THREADS_EACH=1]
# Brown POS runs beside the other three (one thread each, on 2 cores).
set -euo pipefail
OUT=${1:?out dir}; MODEL=${2:?pretrained model dir}; T=${3:-1}
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CLI="node $ROOT/dist/bin/bert-cli.js"
TSX="$ROOT/node_modules/.bin/tsx"
mkdir -p "$OUT"
[ -f "$OUT/data/spam/test.tsv" ] || $CLI dataset spam --out "$OUT/data/spam" --quiet
[ -f "$OUT/data/brown/test.conll" ] || $CLI dataset brown --out "$OUT/data/brown" --quiet
[ -f "$OUT/data/qa/test.json" ] || $TSX "$ROOT/tools/sotu-qa.ts" "$OUT/data/qa" > "$OUT/qa-baseline.json"
[ -f "$OUT/data/nsp/test.tsv" ] || $TSX "$ROOT/tools/nsp-pairs.ts" "$OUT/data/nsp" > "$OUT/nsp-baseline.json"
run() { # name task train test
  local t0=$SECONDS
  $CLI finetune --model "$MODEL" --task "$2" --train "$3" --out "$OUT/$1" --overwrite --threads "$T" --quiet --json > "$OUT/$1.finetune.json"
  echo "{\"seconds\": $((SECONDS - t0))}" > "$OUT/$1.time.json"
  $CLI eval --model "$OUT/$1" "$4" --threads "$T" --json > "$OUT/$1.eval.json"
  echo "$1: $(cat "$OUT/$1.eval.json" | head -c 300) ($((SECONDS - t0)) s)"
}
( run brown tag "$OUT/data/brown/train.conll" "$OUT/data/brown/test.conll"
  $TSX "$ROOT/tools/tag-baseline.ts" "$OUT/data/brown/train.conll" "$OUT/data/brown/test.conll" > "$OUT/brown-baseline.json" ) &
run spam classify "$OUT/data/spam/train.tsv" "$OUT/data/spam/test.tsv"
$TSX "$ROOT/tools/spam-baseline.ts" "$OUT/data/spam/train.tsv" "$OUT/data/spam/test.tsv" > "$OUT/spam-baseline.json"
run nsp pair "$OUT/data/nsp/train.tsv" "$OUT/data/nsp/test.tsv"
run qa qa "$OUT/data/qa/train.json" "$OUT/data/qa/test.json"
wait
for f in "$OUT"/*-baseline.json; do echo "$(basename "$f"): $(cat "$f")"; done

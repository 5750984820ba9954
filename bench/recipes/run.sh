#!/usr/bin/env bash
# Pretraining recipes at equal wall time (bench/NOTES.md, "Pretraining recipes"): each run gets the
# same --budget on the same machine, one after another, on SOTU + Moby-Dick + the training e-mails,
# with one 8,000-token vocabulary learned from that text; held-out MLM/NSP on the three held-out
# files (11 addresses, 6 chapters, the 1,279 test e-mails' text), evaluated once, at the end.
#   bash bench/recipes/run.sh OUT BUDGET NAME [NAME…]   (names: see RECIPES below; default all)
set -euo pipefail
OUT=${1:?out dir}; BUDGET=${2:-5m}; shift 2 || true
CLI="node $(dirname "$0")/../../dist/bin/bert-cli.js"
mkdir -p "$OUT"
for d in sotu moby spam; do [ -f "$OUT/data/$d/heldout.txt" ] || $CLI dataset $d --out "$OUT/data/$d" --quiet; done
TRAIN="$OUT/data/sotu/train.txt $OUT/data/moby/train.txt $OUT/data/spam/train.txt"
HELD="$OUT/data/sotu/heldout.txt $OUT/data/moby/heldout.txt $OUT/data/spam/heldout.txt"
[ -f "$OUT/vocab.txt" ] || $CLI vocab $TRAIN --size 8000 -o "$OUT/vocab.txt" --quiet
declare -A RECIPES=(
  [seed-defaults]="--lr 1e-4"
  [lr5e-4-nodrop-bf16]="--lr 5e-4 --dropout 0 --dtype bf16"
  [lr1e-3-nodrop-bf16]="--lr 1e-3 --dropout 0 --dtype bf16"
  [lr5e-4-nodrop-bf16-nonsp]="--lr 5e-4 --dropout 0 --dtype bf16 --no-nsp"
  [lr5e-4-nodrop-bf16-len64]="--lr 5e-4 --dropout 0 --dtype bf16 --max-length 64 --max-predictions 10"
  [lr5e-4-nodrop-bf16-wwm]="--lr 5e-4 --dropout 0 --dtype bf16 --whole-word-mask"
  [lr5e-4-nodrop-bf16-b64]="--lr 5e-4 --dropout 0 --dtype bf16 --batch-size 64"
  [lr5e-4-nodrop-bf16-short64]="--lr 5e-4 --dropout 0 --dtype bf16 --short-length 64"
  [lr5e-4-nodrop-bf16-warm5]="--lr 5e-4 --dropout 0 --dtype bf16 --warmup-ratio 0.05"
)
NAMES=("$@"); [ ${#NAMES[@]} -gt 0 ] || NAMES=("${!RECIPES[@]}")
for n in "${NAMES[@]}"; do
  [ -f "$OUT/$n.json" ] && continue
  $CLI pretrain $TRAIN --eval $HELD --vocab "$OUT/vocab.txt" --config mini --budget "$BUDGET" --eval-every 1000000 \
    ${RECIPES[$n]} --out "$OUT/$n" --overwrite --json --quiet > "$OUT/$n.json.tmp"
  mv "$OUT/$n.json.tmp" "$OUT/$n.json"
  node -e "const r=require('$OUT/$n.json'); console.log('$n', r.steps+' steps', 'MLM '+(100*r.eval.mlmAccuracy).toFixed(1)+'%', 'NSP '+(r.eval.nspAccuracy===null?'—':(100*r.eval.nspAccuracy).toFixed(1)+'%'), 'ppl '+r.eval.perplexity.toFixed(0))"
done

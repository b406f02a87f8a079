#!/usr/bin/env bash
# The lecture's closing model — a stacked bidirectional LSTM with residual connections and
# self-attention — trained as a sentence classifier on the bundled labelled demo data (every KJV
# verse labelled by its section of the Bible, jobs/kjv_labels.sh), next to the same model without
# --residual for the same steps; prints both validation accuracies and losses, and draws the
# self-attention of the first validation verses to OUTDIR/self_attention.png.
#   bash jobs/lecture_model.sh OUTDIR [STEPS]      (default: $STEPS if set, else 1200 steps on
#                                                   2 ranks)
# DRNN_BUILD=DIR uses the programs there (default: build/, made by jobs/setup.sh if missing).
set -euo pipefail
if [[ $# -lt 1 || $1 == -* ]]; then
    echo "usage: bash jobs/lecture_model.sh OUTDIR [STEPS]" >&2
    exit 64
fi
out=$1 steps=${2:-${STEPS:-1200}}
here=$(cd "$(dirname "$0")/.." && pwd)
build=${DRNN_BUILD:-$here/build}
[[ -x $build/drnn-train ]] || bash "$here/jobs/setup.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$out"
bash "$here/jobs/kjv_labels.sh" "$out"
"$build/drnn-prep" --format labels --tokenizer word --vocab-size 8000 \
    --valid "$out/valid.tsv" -o "$out/kjv.h5" "$out/train.tsv" >/dev/null
model=(--model classifier --data "$out/kjv.h5" --cell lstm --layers 4 --bidirectional
       --self-attention 4 --pool mean --embed 64 --hidden 64 --dropout 0.1 --batch 32
       --optimizer adam --lr 0.002 --clip 1 --steps "$steps" --eval-every "$steps"
       --log-every $((steps / 4)) --threads 1)
for variant in residual plain; do
    extra=()
    [[ $variant == residual ]] && extra=(--residual)
    rm -rf "$out/$variant"
    start=$(date +%s)
    mpirun -q -n 2 "$build/drnn-train" "${model[@]}" "${extra[@]}" --run-dir "$out/$variant" \
        >"$out/$variant.log"
    echo "$variant: $(grep '^valid' "$out/$variant.log" | tail -1) ($(($(date +%s) - start)) s)"
done
head -4 "$out/valid.tsv" | cut -f2 |
    "$build/drnn-sample" --ckpt "$out/residual" --input - --attention-out "$out/attention.jsonl" \
        >/dev/null
/usr/bin/python3 "$here/jobs/plot_attention.py" "$out/attention.jsonl" -o "$out/self_attention.png"

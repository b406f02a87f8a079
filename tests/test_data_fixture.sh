#!/usr/bin/env bash
# The classifier and seq2seq read their batches from the corpus as they did when
# tests/fixtures/data_losses.txt was written (before seq2seq stopped holding its train pairs in
# memory): per-step and validation losses and summary figures of the final parameters of four
# fixed-seed runs equal it (bit-identical with the OpenBLAS kernel that wrote it, within 1e-5
# relative elsewhere). DRNN_FIXTURE_WRITE=1 rewrites the fixture. Rewritten
# twice since, each time for another summation order: when the softmax's sum, the gradient norm
# and the gate math were vectorized (losses moved by at most 1.1e-7 relative), and when the
# recurrent product became W_hh h^T and the input bias moved into the gate math (1.2e-7).
source "$(dirname "$0")/lib.sh"
fixture="$SRC/tests/fixtures/data_losses.txt"
gen() { /usr/bin/python3 "$SRC/jobs/reverse_pairs.py" --min-len 3 --max-len 9 --symbols 12 "$@"; }
gen --n 600 --seed 1 -o "$WORK/train.tsv" && gen --n 50 --seed 2 -o "$WORK/valid.tsv" ||
    { echo "FATAL: jobs/reverse_pairs.py failed"; exit 1; }
"$BUILD/drnn-prep" --format pairs --valid "$WORK/valid.tsv" -o "$WORK/p.h5" "$WORK/train.tsv" \
    >"$WORK/prep.log" 2>&1 || { cat "$WORK/prep.log"; echo "FATAL: drnn-prep pairs failed"; exit 1; }
# Labelled lines: the label is the first word's length class, the text the reverse task's source.
awk -F'\t' '{ n = split($1, w, " "); print (n < 6 ? "short" : "long") "\t" $1 }' \
    "$WORK/train.tsv" >"$WORK/ltrain.tsv"
awk -F'\t' '{ n = split($1, w, " "); print (n < 6 ? "short" : "long") "\t" $1 }' \
    "$WORK/valid.tsv" >"$WORK/lvalid.tsv"
"$BUILD/drnn-prep" --format labels --tokenizer word --valid "$WORK/lvalid.tsv" -o "$WORK/l.h5" \
    "$WORK/ltrain.tsv" >"$WORK/prepl.log" 2>&1 ||
    { cat "$WORK/prepl.log"; echo "FATAL: drnn-prep labels failed"; exit 1; }
common=(--embed 16 --hidden 24 --lr 0.5 --log-every 1 --threads 1 --eval-every 8 --steps 16)
run() { # name nranks args...
    local name=$1 n=$2
    shift 2
    fixture_run "$name" "$n" "${common[@]}" "$@" || return
    echo "$name params $(params_stats "$WORK/$name/ckpt/step-00000016")"
}
{
    run s2s_b8 1 --model seq2seq --data "$WORK/p.h5" --batch 8 --seed 3
    run s2s_tok 2 --model seq2seq --data "$WORK/p.h5" --batch-tokens 40 --cell lstm \
        --bidirectional --dropout 0.1 --layers 2 --seed 5
    run cls_n1 1 --model classifier --data "$WORK/l.h5" --batch 8 --seed 7
    run cls_n2 2 --model classifier --data "$WORK/l.h5" --batch 8 --pool mean --bidirectional \
        --seed 9
} >"$WORK/now.txt"
fixture_check "$fixture" 60

#!/usr/bin/env bash
# --sample-every N: every N steps rank 0 prints what the model does, through the kind row's
# `sample` (trainer/kind.h):
#   - LM: 80 tokens generated after a newline, one block per N steps; the training losses in
#     metrics.jsonl are bit-identical with and without it, also on 2 ranks;
#   - tagger and classifier: the first 3 validation sentences, predicted tags or label next to
#     the truth; seq2seq: 3 validation sources greedily translated next to the reference;
#   - losses unchanged for the tagger and seq2seq too (the sample fills the batch buffers the
#     next step loads afresh).
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 40000
lm=(--data "$WORK/c.h5" --hidden 32 --embed 8 --batch 4 --seq-len 16 --steps 20 --log-every 1
    --eval-every 10 --threads 1)
blocks() { grep -c '^drnn-train: sample at step' "$1"; }
"$BUILD/drnn-train" "${lm[@]}" --run-dir "$WORK/a" >"$WORK/a.log" 2>&1 &&
    "$BUILD/drnn-train" "${lm[@]}" --sample-every 5 --run-dir "$WORK/b" >"$WORK/b.log" 2>&1 ||
    fail "LM runs failed: $(tail -2 "$WORK/b.log")"
[[ $(blocks "$WORK/b.log") == 4 && $(blocks "$WORK/a.log") == 0 ]] &&
    pass "LM --sample-every 5 over 20 steps: 4 samples" ||
    fail "LM samples: $(blocks "$WORK/b.log") (want 4), without the option $(blocks "$WORK/a.log")"
len=$(grep -A1 '^drnn-train: sample at step 5 ' "$WORK/b.log" | tail -1 | wc -m)
((len >= 20)) && pass "LM sample text: $len characters" || fail "LM sample text too short: $len"
[[ "$(train_losses "$WORK/a")" == "$(train_losses "$WORK/b")" ]] &&
    pass "LM training losses bit-identical with and without --sample-every" ||
    fail "LM training losses differ with --sample-every"
mpirun -q -n 2 "$BUILD/drnn-train" "${lm[@]}" --sample-every 10 --run-dir "$WORK/m" >"$WORK/m.log" 2>&1 &&
    mpirun -q -n 2 "$BUILD/drnn-train" "${lm[@]}" --run-dir "$WORK/m0" >/dev/null 2>&1 ||
    fail "2-rank LM runs failed: $(tail -2 "$WORK/m.log")"
[[ $(blocks "$WORK/m.log") == 2 && "$(train_losses "$WORK/m")" == "$(train_losses "$WORK/m0")" ]] &&
    pass "2 ranks: 2 samples (rank 0 only), losses bit-identical" ||
    fail "2 ranks: $(blocks "$WORK/m.log") samples, or losses differ"

# Tagger, classifier and seq2seq on tiny generated data.
/usr/bin/python3 "$SRC/jobs/tag_data.py" generate 200 1 "$WORK/train.txt" &&
    /usr/bin/python3 "$SRC/jobs/tag_data.py" generate 20 2 "$WORK/valid.txt" &&
    "$BUILD/drnn-prep" --format tags --valid "$WORK/valid.txt" -o "$WORK/t.h5" "$WORK/train.txt" \
        >/dev/null 2>&1 || { echo "FATAL: tag data"; exit 1; }
for f in train valid; do
    awk -F'\t' '{ print ($2 ~ /PREP/ ? "prep" : "plain") "\t" $1 }' "$WORK/$f.txt" >"$WORK/$f.tsv"
done
"$BUILD/drnn-prep" --format labels --tokenizer word --valid "$WORK/valid.tsv" -o "$WORK/l.h5" \
    "$WORK/train.tsv" >/dev/null 2>&1 || { echo "FATAL: label data"; exit 1; }
gen() { /usr/bin/python3 "$SRC/jobs/reverse_pairs.py" --min-len 3 --max-len 6 --symbols 8 "$@"; }
gen --n 200 --seed 1 -o "$WORK/ptrain.tsv" && gen --n 20 --seed 2 -o "$WORK/pvalid.tsv" &&
    "$BUILD/drnn-prep" --format pairs --valid "$WORK/pvalid.tsv" -o "$WORK/p.h5" "$WORK/ptrain.tsv" \
        >/dev/null 2>&1 || { echo "FATAL: pair data"; exit 1; }
small=(--hidden 16 --embed 8 --batch 4 --steps 6 --log-every 1 --threads 1)
for kind in tagger:t.h5:truth classifier:l.h5:predicted seq2seq:p.h5:reference; do
    IFS=: read -r model data truth <<<"$kind"
    "$BUILD/drnn-train" --model "$model" --data "$WORK/$data" "${small[@]}" --run-dir "$WORK/$model-0" \
        >/dev/null 2>&1 &&
        "$BUILD/drnn-train" --model "$model" --data "$WORK/$data" "${small[@]}" --sample-every 3 \
            --run-dir "$WORK/$model-s" >"$WORK/$model.log" 2>&1 ||
        { fail "$model runs failed: $(tail -2 "$WORK/$model.log")"; continue; }
    n=$(blocks "$WORK/$model.log") rows=$(grep -c "^  $truth" "$WORK/$model.log")
    [[ $n == 2 && $rows == 6 && "$(train_losses "$WORK/$model-0")" == "$(train_losses "$WORK/$model-s")" ]] &&
        pass "$model: 2 samples of 3 validation examples against the truth; losses bit-identical" ||
        fail "$model: $n samples, $rows '$truth' rows (want 2 and 6), or the losses differ"
done
grep -A3 '^drnn-train: sample at step 6' "$WORK/seq2seq.log"
finish

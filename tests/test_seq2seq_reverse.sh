#!/usr/bin/env bash
# The reverse task learned by seq2seq with attention on 2 ranks (issue: the lecture's last
# system, measured): sequences of 5-15 symbols over 20 symbols, generated here; 40 000 training
# pairs, 500 held-out ones (any that also occur in training are removed). After 2500 steps
# (about a minute here) greedy exact match on the held-out pairs must be at least 99 %, and beam
# search (K = 4) at least as good; the test prints both and the training time (no time assert).
source "$(dirname "$0")/lib.sh"
gen() { /usr/bin/python3 "$SRC/jobs/reverse_pairs.py" --min-len 5 --max-len 15 --symbols 20 "$@"; }
gen --n 40000 --seed 1 -o "$WORK/train.tsv" && gen --n 520 --seed 99 -o "$WORK/all-valid.tsv" ||
    { echo "FATAL: jobs/reverse_pairs.py failed"; exit 1; }
awk -F'\t' 'NR == FNR { seen[$1] = 1; next } !($1 in seen)' "$WORK/train.tsv" "$WORK/all-valid.tsv" |
    head -500 >"$WORK/valid.tsv"
[[ $(wc -l <"$WORK/valid.tsv") -eq 500 ]] || fail "fewer than 500 held-out pairs"
"$BUILD/drnn-prep" --format pairs --shared-vocab --valid "$WORK/valid.tsv" -o "$WORK/rev.h5" \
    "$WORK/train.tsv" >"$WORK/prep.log" 2>&1 || { cat "$WORK/prep.log"; echo "FATAL: prep"; exit 1; }
t0=$(date +%s.%N)
mpirun -q -n 2 "$BUILD/drnn-train" --model seq2seq --data "$WORK/rev.h5" --run-dir "$WORK/run" \
    --bidirectional --embed 32 --hidden 128 --batch 64 --lr 1.5 --clip 1 --steps 2500 \
    --lr-decay 0.5 --decay-every 300 --decay-start 1200 --log-every 500 --eval-every 1250 \
    --threads 1 >"$WORK/train.log" 2>&1 || fail "training failed: $(tail -3 "$WORK/train.log")"
t1=$(date +%s.%N)
grep valid "$WORK/train.log"
figure() { "$BUILD/drnn-eval" --ckpt "$WORK/run" --data "$WORK/rev.h5" --json "$@" 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["exact_match"])'; }
greedy=$(figure) beam=$(figure --beam 4)
printf 'reverse task, 500 held-out pairs: greedy exact match %s, beam 4 %s (training %.0f s on 2 ranks)\n' \
    "$greedy" "$beam" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
awk -v g="$greedy" 'BEGIN { exit !(g >= 0.99) }' && pass "greedy exact match $greedy >= 0.99" ||
    fail "greedy exact match $greedy < 0.99"
awk -v g="$greedy" -v b="$beam" 'BEGIN { exit !(b >= g) }' && pass "beam 4 ($beam) >= greedy" ||
    fail "beam 4 exact match $beam < greedy $greedy"
finish

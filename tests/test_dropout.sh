#!/usr/bin/env bash
# Dropout masks are keyed by (seed, step, global stream id): the same seed gives the same masks on
# -n 1 and -n 2, so per-step losses agree within 1e-5; dropout really acts (losses differ from a
# run without it) and a different seed gives different masks. Covers every cell on 2 layers.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 150000
for cell in lstm gru rnn rnn_relu; do
    args=(--data "$WORK/c.h5" --cell $cell --layers 2 --hidden 32 --embed 16 --batch 4
          --seq-len 16 --steps 12 --log-every 1 --threads 1 --lr 0.5)
    mpirun -q -n 1 "$BUILD/drnn-train" "${args[@]}" --dropout 0.3 --run-dir "$WORK/$cell-n1" \
        >"$WORK/log" 2>&1 || fail "$cell -n 1 with dropout failed: $(tail -2 "$WORK/log")"
    mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" --dropout 0.3 --run-dir "$WORK/$cell-n2" \
        >"$WORK/log" 2>&1 || fail "$cell -n 2 with dropout failed: $(tail -2 "$WORK/log")"
    "$BUILD/drnn-train" "${args[@]}" --run-dir "$WORK/$cell-nodrop" >"$WORK/log" 2>&1 ||
        fail "$cell without dropout failed"
    "$BUILD/drnn-train" "${args[@]}" --dropout 0.3 --seed 9 --run-dir "$WORK/$cell-seed9" \
        >"$WORK/log" 2>&1 || fail "$cell with seed 9 failed"
    a=$(train_losses "$WORK/$cell-n1")
    d=$(max_rel_diff "$a" "$(train_losses "$WORK/$cell-n2")")
    if awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-5) }'; then
        pass "$cell dropout 0.3: -n 2 vs -n 1 max relative loss difference $d"
    else
        fail "$cell dropout 0.3: -n 2 vs -n 1 differ by $d (limit 1e-5)"
    fi
    d=$(max_rel_diff "$a" "$(train_losses "$WORK/$cell-nodrop")")
    awk -v d="$d" 'BEGIN { exit !(d != "inf" && d > 1e-4) }' ||
        fail "$cell: dropout 0.3 gave the same losses as no dropout (diff $d)"
    d=$(max_rel_diff "$a" "$(train_losses "$WORK/$cell-seed9")")
    awk -v d="$d" 'BEGIN { exit !(d != "inf" && d > 1e-4) }' ||
        fail "$cell: seeds 1 and 9 gave the same losses (diff $d)"
done
expect_exit 64 "dropout on one layer" "$BUILD/drnn-train" --data "$WORK/c.h5" --run-dir "$WORK/x" \
    --dropout 0.2 --layers 1 && grep -q -- "--dropout" "$WORK/err" || fail "message does not name --dropout"
finish

#!/usr/bin/env bash
# DESIGN §5: N ranks at the same global batch equal one rank up to summation order.
# mpirun -n 1, -n 2 and -n 4 (oversubscribed) give per-step losses within 1e-5 relative over 30
# steps, and the same validation loss; drnn-train without mpirun is one rank and equals -n 1.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5"
args=(--data "$WORK/c.h5" --hidden 48 --embed 24 --batch 8 --seq-len 20 --steps 30 --log-every 1
      --threads 1 --seed 3)

"$BUILD/drnn-train" "${args[@]}" --run-dir "$WORK/single" >"$WORK/single.log" 2>&1 ||
    fail "drnn-train without mpirun failed: $(tail -3 "$WORK/single.log")"
[[ -s "$WORK/single/ckpt/latest" ]] || fail "singleton run wrote no final checkpoint"
grep -q "1 rank x" "$WORK/single.log" || fail "singleton run did not report 1 rank"

for n in 1 2 4; do
    mpirun -q -n $n "$BUILD/drnn-train" "${args[@]}" --run-dir "$WORK/n$n" >"$WORK/n$n.log" 2>&1 ||
        fail "mpirun -n $n failed: $(tail -3 "$WORK/n$n.log")"
done
ref=$(train_losses "$WORK/n1")
[[ $(echo "$ref" | wc -l) -eq 30 ]] || fail "-n 1 logged $(echo "$ref" | wc -l) steps, expected 30"
for run in single n2 n4; do
    d=$(max_rel_diff "$ref" "$(train_losses "$WORK/$run")")
    if awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-5) }'; then
        pass "$run vs -n 1: max relative loss difference $d over 30 steps"
    else
        fail "$run vs -n 1: max relative loss difference $d (limit 1e-5)"
    fi
    v1=$(grep '"split"' "$WORK/n1/metrics.jsonl" | sed -E 's/.*"loss": ([^,]+),.*/\1/')
    vn=$(grep '"split"' "$WORK/$run/metrics.jsonl" | sed -E 's/.*"loss": ([^,]+),.*/\1/')
    d=$(max_rel_diff "$v1" "$vn")
    awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-5) }' ||
        fail "$run: validation loss $vn differs from -n 1's $v1"
done
# The losses must also move: a run that learns nothing would pass the comparison.
first=$(echo "$ref" | head -1) last=$(echo "$ref" | tail -1)
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }' || fail "loss did not fall: $first -> $last"
finish

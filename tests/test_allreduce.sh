#!/usr/bin/env bash
# DESIGN §5, §11: the bucketed non-blocking gradient all-reduce.
# On the whole bundled corpus:
# - mpirun -n 16 (oversubscribed) with 0.01 MiB buckets (several in flight while BPTT runs)
#   gives -n 1's per-step losses within 1e-5 relative over 10 steps; so does -n 2 with 2 layers
#   (one bucket range per layer) and 0.001 MiB buckets;
# - --allreduce-dtype bf16 on 2 ranks: trains, its loss after 200 steps is within 1 % of fp32's,
#   and the bytes it reports per step are half of fp32's;
# - a bad --allreduce-dtype is a usage error naming the option.
source "$(dirname "$0")/lib.sh"
# The whole bundled corpus (4.2 MB of KJV, char level; no valid split: these runs compare
# training losses, and each rank reads only its streams).
"$BUILD/drnn-prep" --tokenizer char --valid-fraction 0 -o "$WORK/c.h5" "$SRC/data/kjv.txt.gz" \
    2>"$WORK/prep.err" || { cat "$WORK/prep.err"; echo "FATAL: drnn-prep failed"; exit 1; }
args=(--data "$WORK/c.h5" --hidden 48 --embed 24 --seq-len 20 --log-every 1 --threads 1 --seed 3)

# within LIMIT NAME A B: max relative difference of two loss columns is at most LIMIT.
within() {
    local limit=$1 what=$2 d
    d=$(max_rel_diff "$3" "$4")
    if awk -v d="$d" -v l="$limit" 'BEGIN { exit !(d != "inf" && d <= l) }'; then
        pass "$what: max relative loss difference $d (limit $limit)"
    else
        fail "$what: max relative loss difference $d (limit $limit)"
    fi
}

# run NAME N ARGS...: mpirun -q -n N drnn-train into $WORK/NAME.
run() {
    local name=$1 n=$2
    shift 2
    timeout 300 mpirun -q -n "$n" "$BUILD/drnn-train" "${args[@]}" --run-dir "$WORK/$name" "$@" \
        >"$WORK/$name.log" 2>&1 || fail "mpirun -n $n ($name) failed: $(tail -3 "$WORK/$name.log")"
}

# ---- 16 ranks = 1 rank -----------------------------------------------------------------------
run n1 1 --batch 16 --steps 10
run n16 16 --batch 16 --steps 10 --bucket-mb 0.01
buckets=$(sed -nE 's/.* in ([0-9]+) buckets? .*/\1/p' "$WORK/n16.log")
[[ ${buckets:-0} -ge 4 ]] || fail "-n 16 --bucket-mb 0.01: expected several buckets, log says '$buckets'"
ref=$(train_losses "$WORK/n1")
[[ $(echo "$ref" | wc -l) -eq 10 ]] || fail "-n 1 logged $(echo "$ref" | wc -l) steps, expected 10"
within 1e-5 "-n 16 ($buckets buckets of 0.01 MiB) vs -n 1, 10 steps" "$ref" "$(train_losses "$WORK/n16")"
first=$(echo "$ref" | head -1) last=$(echo "$ref" | tail -1)
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }' || fail "loss did not fall: $first -> $last"

# Two layers: ranges reported per layer, top first, buckets cut across tensor boundaries.
run l2n1 1 --batch 8 --steps 10 --layers 2
run l2n2 2 --batch 8 --steps 10 --layers 2 --bucket-mb 0.001
within 1e-5 "2 layers, -n 2 (0.001 MiB buckets) vs -n 1" "$(train_losses "$WORK/l2n1")" \
    "$(train_losses "$WORK/l2n2")"

# ---- bf16 ------------------------------------------------------------------------------------
run f32 2 --batch 16 --steps 200 --log-every 20
run b16 2 --batch 16 --steps 200 --log-every 20 --allreduce-dtype bf16
lf=$(train_losses "$WORK/f32" | tail -1) lb=$(train_losses "$WORK/b16" | tail -1)
if awk -v a="$lf" -v b="$lb" 'BEGIN { d = (a - b) / a; if (d < 0) d = -d; exit !(a > 0 && d <= 0.01) }'
then
    pass "bf16 loss after 200 steps $lb, fp32 $lf (within 1 %)"
else
    fail "bf16 loss after 200 steps $lb is not within 1 % of fp32's $lf"
fi
awk -v a="$(train_losses "$WORK/b16" | head -1)" -v b="$lb" 'BEGIN { exit !(b < a) }' ||
    fail "bf16 loss did not fall"
bf=$(sed -nE 's/.*comm_bytes ([0-9]+) .*/\1/p' "$WORK/f32.log")
bb=$(sed -nE 's/.*comm_bytes ([0-9]+) .*/\1/p' "$WORK/b16.log")
if awk -v f="$bf" -v b="$bb" 'BEGIN { exit !(f > 0 && b >= 0.45 * f && b <= 0.55 * f) }'; then
    pass "bytes sent per rank per step: fp32 $bf, bf16 $bb"
else
    fail "bf16 should send half of fp32's bytes per step: fp32 '$bf', bf16 '$bb'"
fi

# ---- usage -----------------------------------------------------------------------------------
expect_exit 64 "--allreduce-dtype fp16" mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" \
    --batch 4 --steps 1 --run-dir "$WORK/bad" --allreduce-dtype fp16 &&
    { grep -q -- "--allreduce-dtype fp16" "$WORK/err" || fail "message does not name the option: $(cat "$WORK/err")"; }
expect_exit 64 "--bucket-mb 0" "$BUILD/drnn-train" "${args[@]}" --batch 4 --steps 1 \
    --run-dir "$WORK/bad" --bucket-mb 0 &&
    { grep -q -- "--bucket-mb" "$WORK/err" || fail "message does not name --bucket-mb: $(cat "$WORK/err")"; }
finish

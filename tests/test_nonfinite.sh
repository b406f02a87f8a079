#!/usr/bin/env bash
# The non-finite guard (--on-nonfinite abort|skip, --max-skips) on 2 ranks. A NaN is injected
# into one rank's loss sum at chosen steps (test knob DRNN_TEST_NAN_STEPS); the step's reduction
# carries it to every rank. abort (default): exit 70 naming the step; nothing of that step is
# applied or saved — latest names the previous checkpoint. skip: the update of those steps is
# dropped on every rank alike (the parameters after two skipped steps equal those before them),
# logged and counted in metrics.jsonl, and the run finishes; more than --max-skips in a row is
# exit 70. A real blow-up (rnn_relu at lr 1000 without clipping) ends with 70 and no checkpoint.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 60000
args=(--data "$WORK/c.h5" --hidden 16 --embed 8 --batch 4 --seq-len 8 --lr 0.5 --momentum 0.9
      --log-every 1 --threads 1 --steps 12)
DRNN_TEST_NAN_STEPS=7 expect_exit 70 "abort on a NaN at step 7" mpirun -q -n 2 "$BUILD/drnn-train" \
    "${args[@]}" --checkpoint-every 5 --run-dir "$WORK/abort" &&
    grep -q "non-finite loss at step 7" "$WORK/err" && pass "abort: exit 70 naming step 7" ||
    fail "abort: $(cat "$WORK/err")"
grep -q '^step-00000005 ' "$WORK/abort/ckpt/latest" 2>/dev/null && [[ ! -e "$WORK/abort/ckpt/step-00000007" ]] &&
    pass "abort: latest still names step 5, nothing of step 7 saved" ||
    fail "abort: latest is $(cat "$WORK/abort/ckpt/latest" 2>&1)"

DRNN_TEST_NAN_STEPS=7,8 mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" --on-nonfinite skip \
    --checkpoint-every 2 --keep 10 --run-dir "$WORK/skip" >"$WORK/skip.log" 2>&1 ||
    fail "skip: the run failed: $(tail -2 "$WORK/skip.log")"
[[ $(grep -c '"skipped"' "$WORK/skip/metrics.jsonl") -eq 2 ]] && grep -q "2 in all" "$WORK/skip.log" &&
    pass "skip: two steps skipped, logged and recorded" || fail "skip: $(grep -i skip "$WORK/skip.log")"
[[ $(params_sum "$WORK/skip/ckpt/step-00000006") == $(params_sum "$WORK/skip/ckpt/step-00000008") ]] &&
    pass "skip: the parameters after steps 7 and 8 are those after step 6" ||
    fail "skip: steps 7 and 8 changed the parameters"
[[ $(params_sum "$WORK/skip/ckpt/step-00000008") != $(params_sum "$WORK/skip/ckpt/step-00000010") ]] ||
    fail "skip: step 9 and 10 did not train"
DRNN_TEST_NAN_STEPS=5,6,7 expect_exit 70 "more than --max-skips in a row" mpirun -q -n 2 \
    "$BUILD/drnn-train" "${args[@]}" --on-nonfinite skip --max-skips 2 --run-dir "$WORK/many" &&
    grep -q "max-skips 2" "$WORK/err" && pass "skip: the third in a row is exit 70" ||
    fail "max-skips: $(cat "$WORK/err")"
expect_exit 70 "a real blow-up" "$BUILD/drnn-train" --data "$WORK/c.h5" --cell rnn_relu --hidden 32 \
    --embed 8 --batch 4 --seq-len 16 --lr 1000 --clip 0 --steps 30 --checkpoint-every 1 --threads 1 \
    --run-dir "$WORK/blow" && grep -q "non-finite" "$WORK/err" ||
    fail "blow-up: $(tail -2 "$WORK/err")"
for d in "$WORK"/blow/ckpt/step-*; do
    [[ -e $d ]] || continue
    /usr/bin/python3 -c 'import h5py, numpy as np, sys, glob
ok = all(np.isfinite(h5py.File(s)["params"][...]).all() for s in glob.glob(sys.argv[1] + "/shard-*.h5"))
sys.exit(0 if ok else 1)' "$d" || fail "blow-up: $d holds non-finite parameters"
done
expect_exit 64 "--on-nonfinite bad" "$BUILD/drnn-train" "${args[@]}" --on-nonfinite maybe --run-dir "$WORK/x"
finish

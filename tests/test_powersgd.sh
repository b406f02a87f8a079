#!/usr/bin/env bash
# --powersgd R (comm/powersgd.h, trainer/train_psgd.h):
#   a. drnn's P, Q, decompressed gradients and error feedback equal PyTorch's powerSGD_hook,
#      replayed in NumPy by reference/powersgd_reference.py on the local gradients and initial Q
#      drnn wrote (DRNN_TEST_POWERSGD_DUMP), within 1e-5 relative over 6 compressed steps of a
#      GRU LM on 1, 2 and 4 ranks; on 2 ranks also rank 3 (PyTorch's QR path), bf16 on the wire
#      with Adam, and the classifier, seq2seq and tagger kinds;
#   b. a run stopped at step 10 and resumed on the same rank count is bit-identical (losses,
#      parameters); on 1 and 4 ranks Q goes on and the summed error feedback goes to rank 0 (a
#      note says so), losses within 1e-4 of the uninterrupted run; resumed with another R the
#      state is dropped with a note;
#   c. --powersgd-start without --powersgd is 64.
source "$(dirname "$0")/lib.sh"
PY=${DRNN_PYTHON:-/usr/bin/python3}
if ! "$PY" -c "import numpy" 2>/dev/null; then
    echo "FAIL: $PY cannot import numpy (apt-get install python3-numpy)"
    exit 1
fi
make_corpus "$WORK/c.h5" 60000
lm=(--data "$WORK/c.h5" --hidden 16 --embed 8 --batch 4 --seq-len 8 --log-every 1 --threads 1)

# ref TAG N ARGS...: a run of N ranks with the dump, checked by the reference.
ref() {
    local tag=$1 n=$2
    shift 2
    mkdir -p "$WORK/dump.$tag"
    DRNN_TEST_POWERSGD_DUMP="$WORK/dump.$tag" mpirun -q -n "$n" "$BUILD/drnn-train" "$@" \
        --run-dir "$WORK/run.$tag" >"$WORK/$tag.log" 2>&1 ||
        { fail "$tag: run failed: $(tail -3 "$WORK/$tag.log")"; return; }
    if "$PY" "$SRC/tests/reference/powersgd_reference.py" "$WORK/dump.$tag" >"$WORK/$tag.ref" 2>&1; then
        pass "$tag: $(cat "$WORK/$tag.ref")"
    else
        fail "$tag: $(cat "$WORK/$tag.ref")"
    fi
}

# a. The algorithm against the reference.
for n in 1 2 4; do
    ref "lm-n$n" $n "${lm[@]}" --steps 8 --powersgd 2 --powersgd-start 2
done
ref "lm-rank3" 2 "${lm[@]}" --steps 8 --powersgd 3 --powersgd-start 2
ref "lm-bf16-adam" 2 "${lm[@]}" --steps 8 --powersgd 2 --powersgd-start 2 --allreduce-dtype bf16 \
    --optimizer adam --lr 0.01
grep -q "comm_bytes" "$WORK/lm-n2.log" && grep -q "powersgd from step 3" "$WORK/lm-n2.log" ||
    fail "the start lines do not show PowerSGD's bytes"

(set +o pipefail; zcat "$SRC/data/kjv.txt.gz" | head -c 80000) |
    awk 'length($0) > 10 { print (length($0) % 3) "\t" $0 }' >"$WORK/labels.tsv"
"$BUILD/drnn-prep" --format labels --tokenizer word --vocab-size 500 --valid-fraction 0.1 \
    -o "$WORK/l.h5" "$WORK/labels.tsv" >"$WORK/prep.log" 2>&1 || fail "labels corpus: $(cat "$WORK/prep.log")"
ref "classifier" 2 --model classifier --data "$WORK/l.h5" --embed 16 --hidden 16 --batch 8 \
    --log-every 1 --threads 1 --steps 6 --powersgd 2 --powersgd-start 1
"$PY" "$SRC/jobs/reverse_pairs.py" --min-len 3 --max-len 8 --symbols 12 --n 300 --seed 1 \
    -o "$WORK/pairs.tsv" && "$PY" "$SRC/jobs/reverse_pairs.py" --min-len 3 --max-len 8 \
    --symbols 12 --n 40 --seed 2 -o "$WORK/pvalid.tsv" || fail "jobs/reverse_pairs.py failed"
"$BUILD/drnn-prep" --format pairs --valid "$WORK/pvalid.tsv" -o "$WORK/p.h5" "$WORK/pairs.tsv" \
    >"$WORK/prep.log" 2>&1 || fail "pairs corpus: $(cat "$WORK/prep.log")"
ref "seq2seq" 2 --model seq2seq --data "$WORK/p.h5" --embed 16 --hidden 16 --batch 8 \
    --log-every 1 --threads 1 --steps 6 --powersgd 2 --powersgd-start 1
"$PY" "$SRC/jobs/tag_data.py" generate 200 1 "$WORK/tags.txt" &&
    "$PY" "$SRC/jobs/tag_data.py" generate 40 2 "$WORK/tvalid.txt" || fail "jobs/tag_data.py failed"
"$BUILD/drnn-prep" --format tags --valid "$WORK/tvalid.txt" -o "$WORK/t.h5" "$WORK/tags.txt" \
    >"$WORK/prep.log" 2>&1 || fail "tags corpus: $(cat "$WORK/prep.log")"
ref "tagger" 2 --model tagger --data "$WORK/t.h5" --embed 16 --hidden 16 --batch 8 \
    --log-every 1 --threads 1 --steps 6 --powersgd 2 --powersgd-start 1

# b. Resume: bit-identical on the same rank count, summed error feedback on another.
ps=("${lm[@]}" --powersgd 2 --powersgd-start 3 --momentum 0.9 --lr 0.5)
mpirun -q -n 2 "$BUILD/drnn-train" "${ps[@]}" --steps 20 --checkpoint-every 10 --keep 5 \
    --run-dir "$WORK/full" >"$WORK/full.log" 2>&1 || fail "uninterrupted run: $(tail -2 "$WORK/full.log")"
h5dump -d /powersgd/error -H "$WORK/full/ckpt/step-00000010/shard-00001-of-00002.h5" >/dev/null 2>&1 ||
    fail "the shard holds no /powersgd/error"
for m in 1 2 4; do
    mkdir -p "$WORK/r$m/ckpt"
    cp -r "$WORK/full/ckpt/step-00000010" "$WORK/r$m/ckpt/"
    mpirun -q -n $m "$BUILD/drnn-train" "${ps[@]}" --steps 20 --run-dir "$WORK/r$m" \
        --resume "$WORK/r$m/ckpt/step-00000010" >"$WORK/r$m.log" 2>&1 ||
        fail "resume on -n $m failed: $(tail -2 "$WORK/r$m.log")"
done
want=$(train_losses "$WORK/full" | tail -10)
[[ "$want" == "$(train_losses "$WORK/r2")" ]] &&
    [[ $(params_sum "$WORK/full/ckpt/step-00000020") == $(params_sum "$WORK/r2/ckpt/step-00000020") ]] &&
    pass "resume on -n 2 bit-identical (losses, parameters)" || fail "resume on -n 2 differs"
for m in 1 4; do
    grep -q "note: PowerSGD's state was written by 2 ranks" "$WORK/r$m.log" ||
        fail "resume on -n $m: no note on the error feedback"
    d=$(max_rel_diff "$want" "$(train_losses "$WORK/r$m")")
    awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-4) }' &&
        pass "resume on -n $m within $d of the uninterrupted run" ||
        fail "resume on -n $m: losses differ by $d (limit 1e-4)"
done
mkdir -p "$WORK/rr/ckpt"
cp -r "$WORK/full/ckpt/step-00000010" "$WORK/rr/ckpt/"
mpirun -q -n 2 "$BUILD/drnn-train" "${lm[@]}" --powersgd 4 --momentum 0.9 --lr 0.5 --steps 12 \
    --run-dir "$WORK/rr" --resume "$WORK/rr/ckpt/step-00000010" >"$WORK/rr.log" 2>&1 || fail "resume with rank 4: $(tail -2 "$WORK/rr.log")"
grep -q "note: the checkpoint's PowerSGD state (rank 2) is dropped" "$WORK/rr.log" ||
    fail "resume with another rank: no note"

# c. Usage.
expect_exit 64 "--powersgd-start alone" "$BUILD/drnn-train" "${lm[@]}" --powersgd-start 5 \
    --steps 2 --run-dir "$WORK/x" && one_line "--powersgd-start alone" "--powersgd-start"
finish

#!/usr/bin/env bash
# drnn-train --init-from (DESIGN §4, §8): weights written by PyTorch (only the tensors, h5py)
# start a run; one SGD step with clipping active equals torch's step on drnn's first window
# (max abs difference <= 1e-5) alone, under mpirun -n 1 and -n 2, and from float64 tensors.
# Bad files: a missing tensor, a wrong shape, a wrong dtype (int32), an extra tensor, a vocab_size
# mismatch, a garbage and a truncated file -> 65, a missing file -> 66, each one line naming the
# file and the tensor; attributes contradicting the options -> 64 naming the option; nothing is
# left behind. Missing torch/h5py is a failure, not a skip.
source "$(dirname "$0")/lib.sh"
PY=${DRNN_PYTHON:-/usr/bin/python3}
REF=$SRC/tests/reference/init_from_reference.py
if ! "$PY" -c "import torch, h5py, numpy" 2>/dev/null; then
    echo "FAIL: $PY cannot import torch, h5py and numpy, needed to write PyTorch weights."
    echo "      Install them: apt-get install python3-torch python3-h5py python3-numpy"
    exit 1
fi

make_corpus "$WORK/c.h5" 100000
shape=(--embed 12 --hidden 20 --layers 2)
optim=(--batch 4 --seq-len 16 --lr 20 --momentum 0.9 --clip 0.05)
args=(--data "$WORK/c.h5" "${shape[@]}" "${optim[@]}" --steps 1 --threads 1)
"$PY" "$REF" make "$WORK/c.h5" "$WORK/ref" "${shape[@]}" "${optim[@]}" --seed 7 \
    >"$WORK/ref.log" 2>&1 || { cat "$WORK/ref.log"; echo "FATAL: $REF make failed"; exit 1; }
pass "PyTorch step: $(cat "$WORK/ref.log")"

# compare RUN LABEL: the run's final checkpoint, exported to RUN/model.h5, equals torch's weights
# after the step.
compare() {
    "$BUILD/drnn-export" "$1" -o "$1/model.h5" >/dev/null 2>"$WORK/export.err" ||
        fail "$2: drnn-export failed: $(cat "$WORK/export.err")"
    if "$PY" "$REF" compare "$1/model.h5" "$WORK/ref/expect.h5" 1e-5 >"$WORK/cmp.log" 2>&1; then
        pass "$2: one step from PyTorch's weights equals torch: $(tail -1 "$WORK/cmp.log")"
    else
        fail "$2: $(cat "$WORK/cmp.log")"
    fi
    grep -q '"step": 1,.*"clipped": true' "$1/metrics.jsonl" || fail "$2: step 1 was not clipped"
    grep -qxF "init-from = $3" "$1/config.txt" || fail "$2: config.txt does not record init-from = $3"
}

"$BUILD/drnn-train" "${args[@]}" --init-from "$WORK/ref/init.h5" --run-dir "$WORK/alone" \
    >"$WORK/alone.log" 2>&1 || fail "alone: drnn-train failed: $(tail -3 "$WORK/alone.log")"
compare "$WORK/alone" "alone" "$WORK/ref/init.h5"
for n in 1 2; do
    mpirun -q -n $n "$BUILD/drnn-train" "${args[@]}" --init-from "$WORK/ref/init.h5" \
        --run-dir "$WORK/n$n" >"$WORK/n$n.log" 2>&1 ||
        fail "mpirun -n $n: drnn-train failed: $(tail -3 "$WORK/n$n.log")"
    compare "$WORK/n$n" "mpirun -n $n" "$WORK/ref/init.h5"
done
"$BUILD/drnn-train" "${args[@]}" --init-from "$WORK/ref/init64.h5" --run-dir "$WORK/f64" \
    >"$WORK/f64.log" 2>&1 || fail "float64: drnn-train failed: $(tail -3 "$WORK/f64.log")"
compare "$WORK/f64" "float64 tensors" "$WORK/ref/init64.h5"
# The comparison must be able to fail: drnn's own random init gives other weights.
"$BUILD/drnn-train" "${args[@]}" --run-dir "$WORK/random" >/dev/null 2>&1
"$BUILD/drnn-export" "$WORK/random" -o "$WORK/random/model.h5" >/dev/null 2>&1
"$PY" "$REF" compare "$WORK/random/model.h5" "$WORK/ref/expect.h5" 1e-5 >/dev/null 2>&1 &&
    fail "a run without --init-from also matched torch's weights: the comparison proves nothing"

# A run folder: its newest checkpoint's weights start the run; options must agree with it.
mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" --init-from "$WORK/n1" --run-dir "$WORK/again" \
    >"$WORK/again.log" 2>&1 || fail "init from a drnn run folder failed: $(tail -3 "$WORK/again.log")"

# bad CODE LABEL NEEDLE FILE [extra options]: exit CODE, one line naming the file and NEEDLE, no
# run folder left behind. Under mpirun -n 2: both ranks must agree on the outcome.
bad() {
    local code=$1 what=$2 needle=$3 file=$4
    shift 4
    rm -rf "$WORK/badrun"
    if expect_exit "$code" "$what" mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" \
        --init-from "$file" --run-dir "$WORK/badrun" "$@"; then
        local lines
        lines=$(wc -l <"$WORK/err")
        [[ $lines -eq 1 ]] || fail "$what: expected one line on stderr, got $lines: $(cat "$WORK/err")"
        grep -qF -- "$needle" "$WORK/err" || fail "$what: message does not name '$needle': $(cat "$WORK/err")"
        grep -qF -- "$file" "$WORK/err" || fail "$what: message does not name the file: $(cat "$WORK/err")"
        pass "$what: exit $code: $(cat "$WORK/err")"
    fi
    [[ ! -e "$WORK/badrun" ]] || fail "$what: left the run folder behind"
}
bad 65 "missing tensor" "rnn.bias_hh_l0" "$WORK/ref/missing.h5"
bad 65 "wrong shape" "decoder.weight" "$WORK/ref/shape.h5"
bad 65 "int32 tensor" "rnn.weight_hh_l0" "$WORK/ref/int32.h5"
bad 65 "extra tensor" "rnn.weight_ih_l9" "$WORK/ref/extra.h5"
bad 65 "tensors for another --layers" "_l1 " "$WORK/ref/init.h5" --layers 1
head -c 20000 /dev/urandom >"$WORK/garbage.h5"
bad 65 "garbage file" "garbage.h5" "$WORK/garbage.h5"
head -c 3000 "$WORK/ref/init.h5" >"$WORK/trunc.h5"
bad 65 "truncated file" "trunc.h5" "$WORK/trunc.h5"
bad 66 "missing file" "nope.h5" "$WORK/nope.h5"
bad 64 "drnn file, other --hidden" "--hidden" "$WORK/n1/model.h5" --hidden 21
bad 64 "drnn file, other --cell" "--cell" "$WORK/n1/model.h5" --cell lstm
# A drnn model of another corpus (other vocabulary size): 65 naming vocab_size.
make_corpus "$WORK/small.h5" 3000
"$BUILD/drnn-train" --data "$WORK/small.h5" "${shape[@]}" --batch 2 --seq-len 8 --steps 1 \
    --run-dir "$WORK/small" >/dev/null 2>&1 || fail "tiny run on the small corpus failed"
"$BUILD/drnn-export" "$WORK/small" -o "$WORK/small/model.h5" >/dev/null 2>&1 ||
    fail "export of the small run failed"
bad 65 "vocab_size mismatch" "vocab_size" "$WORK/small/model.h5"
# PyTorch tensors for another vocabulary: the embedding's shape says so.
if expect_exit 65 "tensors for another vocabulary" "$BUILD/drnn-train" --data "$WORK/small.h5" \
    "${shape[@]}" --batch 2 --seq-len 8 --steps 1 --init-from "$WORK/ref/init.h5" \
    --run-dir "$WORK/small2"; then
    grep -q "embedding.weight has shape" "$WORK/err" || fail "other vocabulary: $(cat "$WORK/err")"
fi
[[ ! -e "$WORK/small2" ]] || fail "other vocabulary: left the run folder behind"

# Damaged metadata must never take drnn-train down: 65 (or 0 when the flips hit only float data).
for seed in 1 2 3 4 5 6; do
    "$PY" - "$WORK/ref/init.h5" "$WORK/flip.h5" $seed <<'PYEOF'
import random, sys
b = bytearray(open(sys.argv[1], "rb").read())
random.seed(int(sys.argv[3]))
for _ in range(8):
    b[random.randrange(0, min(len(b), 3000))] = random.randrange(256)
open(sys.argv[2], "wb").write(b)
PYEOF
    rm -rf "$WORK/fliprun"
    "$BUILD/drnn-train" "${args[@]}" --init-from "$WORK/flip.h5" --run-dir "$WORK/fliprun" \
        >/dev/null 2>"$WORK/err"
    rc=$?
    [[ $rc -eq 0 || ($rc -eq 65 && $(wc -l <"$WORK/err") -eq 1) ]] ||
        fail "bit flips (seed $seed): exit $rc, stderr: $(head -c 300 "$WORK/err")"
done
finish

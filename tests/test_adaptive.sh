#!/usr/bin/env bash
# The LM with --softmax adaptive (DESIGN §3, §4) through every program:
#   - 2 ranks equal 1 rank (per-step losses within 1e-5 relative; gru and lstm, 2 layers, dropout);
#   - stopped at step 10 and resumed: losses and final parameters bit-identical to a straight run
#     on 2 ranks; other --softmax, --cutoffs or --div-value on resume: 64 naming the option;
#   - drnn-export: softmax, cutoffs, div_value attributes; the file loads into torch's module with
#     nn.AdaptiveLogSoftmaxWithLoss under load_state_dict(strict=True) and scores a text as one
#     stream as drnn-eval --text does (1e-5); drnn-eval --data equals the trainer's validation;
#   - drnn-sample draws from the full log_prob distribution: it runs, is repeatable, and the run
#     folder and its export give the same text;
#   - --trace-bptt through the adaptive head equals torch.autograd.grad (1 and 2 ranks);
#   - --init-from weights written by PyTorch: one clipped SGD step equals torch's (1e-5);
#   - usage errors (64, one line naming the flag): bad cutoffs, options without --softmax
#     adaptive, a projection of 0 features, a byte corpus, another model kind.
source "$(dirname "$0")/lib.sh"
PY=${DRNN_PYTHON:-/usr/bin/python3}
REF=$SRC/tests/reference
if ! "$PY" -c "import torch, h5py, numpy" 2>/dev/null; then
    echo "FAIL: $PY cannot import torch, h5py and numpy, needed for the PyTorch checks."
    echo "      Install them: apt-get install python3-torch python3-h5py python3-numpy"
    exit 1
fi

make_corpus "$WORK/c.h5" 200000 # a char vocabulary (about 60 ids) sorted by frequency
V=$("$PY" -c 'import h5py, sys; print(int(h5py.File(sys.argv[1], "r").attrs["vocab_size"]))' \
    "$WORK/c.h5")
ada=(--softmax adaptive --cutoffs 10,25,45 --div-value 2)
B=8 T=24
args=(--data "$WORK/c.h5" --layers 2 --dropout 0.2 --hidden 32 --embed 16 --batch $B --seq-len $T
      --log-every 1 --threads 1 "${ada[@]}")
# train N ARGS...: N ranks under mpirun, or one rank alone for N = 1 (no launcher to wait for).
launch() { local n=$1; shift; if ((n > 1)); then mpirun -q -n "$n" "$@"; else "$@"; fi; }
train() { local n=$1; shift; launch "$n" "$BUILD/drnn-train" "${args[@]}" "$@"; }

# ---- ranks ----
for cell in gru lstm; do
    for n in 1 2; do
        train $n --cell $cell --steps 20 --run-dir "$WORK/$cell$n" >"$WORK/log" 2>&1 ||
            fail "$cell -n $n: drnn-train failed: $(tail -3 "$WORK/log")"
    done
    losses_equal "$WORK/${cell}1" "$WORK/${cell}2" 1e-5 "$cell: 2 ranks = 1 rank"
done
grep -q "^softmax = adaptive$" "$WORK/gru1/config.txt" && grep -q "^cutoffs = 10,25,45$" \
    "$WORK/gru1/config.txt" || fail "config.txt does not record the adaptive softmax"
grep -q "decoder.tail.2.1.weight" "$WORK/gru1/ckpt/"*/manifest.h5 ||
    fail "the checkpoint's tensor table has no decoder.tail.2.1.weight"

# ---- resume ----
train 2 --cell gru --steps 20 --checkpoint-every 10 --momentum 0.9 --lr 0.5 \
    --run-dir "$WORK/straight" >"$WORK/log" 2>&1 || fail "straight run failed"
train 2 --cell gru --steps 10 --momentum 0.9 --lr 0.5 --run-dir "$WORK/split" >"$WORK/log" 2>&1 ||
    fail "first half failed"
for bad in "--cutoffs 10,30,45" "--div-value 4" "--softmax full --cutoffs= --div-value 4"; do
    flag=${bad%% *}
    # shellcheck disable=SC2086
    expect_exit 64 "resume with $bad" train 1 --cell gru --steps 20 --momentum 0.9 --lr 0.5 \
        --run-dir "$WORK/split" --resume auto $bad && one_line "resume with $bad" "$flag"
done
train 2 --cell gru --steps 20 --momentum 0.9 --lr 0.5 --run-dir "$WORK/split" --resume auto \
    >"$WORK/log" 2>&1 || fail "resume failed: $(tail -3 "$WORK/log")"
grep -q "resuming from .*step-00000010" "$WORK/log" || fail "did not resume from step 10"
if cmp -s <(train_losses "$WORK/straight") <(train_losses "$WORK/split"); then
    pass "resume: per-step losses bit-identical to the straight run"
else
    fail "resume: losses differ from the straight run"
fi
"$PY" "$SRC/tests/ckpt_compare.py" "$WORK/straight" "$WORK/split" 0 ||
    fail "resume: final parameters or momentum not bit-identical"

# ---- export, PyTorch, drnn-eval ----
run=$WORK/gru1
"$BUILD/drnn-export" "$run" -o "$WORK/m.h5" >/dev/null 2>"$WORK/err" ||
    fail "drnn-export failed: $(cat "$WORK/err")"
"$PY" - "$WORK/m.h5" <<'PY' || fail "model.h5 attributes"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
a = f.attrs
soft = a["softmax"].decode() if isinstance(a["softmax"], bytes) else a["softmax"]
assert soft == "adaptive" and list(a["cutoffs"]) == [10, 25, 45] and a["div_value"] == 2.0, dict(a)
assert f["decoder.head.weight"].shape == (13, 32) and f["decoder.tail.2.0.weight"].shape == (4, 32)
V = int(a["vocab_size"])
assert f["decoder.tail.2.1.weight"].shape == (V - 45, 4) and "decoder.weight" not in f
PY
(set +o pipefail; zcat "$SRC/data/kjv.txt.gz" | tail -c 4000) >"$WORK/t.txt"
printf 'Behold the caf\xc3\xa9 \xc2\xa7 12 \xe2\x82\xac; Zebra QUIZ!\n' >>"$WORK/t.txt"
"$BUILD/drnn-eval" --ckpt "$WORK/m.h5" --text "$WORK/t.txt" --json >"$WORK/ev.json" 2>"$WORK/err" ||
    fail "drnn-eval --text failed: $(cat "$WORK/err")"
if "$PY" "$REF/export_eval_check.py" "$WORK/m.h5" "$WORK/t.txt" "$WORK/ev.json" >"$WORK/chk" 2>&1; then
    pass "PyTorch (strict load) scores the text as drnn-eval: $(grep -m1 'torch float32' "$WORK/chk")"
else
    fail "PyTorch check: $(cat "$WORK/chk")"
fi
"$BUILD/drnn-eval" --ckpt "$run" --data "$WORK/c.h5" --batch $B --seq-len $T --json \
    >"$WORK/evd.json" 2>"$WORK/err" || fail "drnn-eval --data failed: $(cat "$WORK/err")"
want=$(grep '"split": "valid"' "$run/metrics.jsonl" | tail -1 | sed -E 's/.*"loss": ([^,]+),.*/\1/')
got=$(sed -E 's/.*"loss": ([^,]+),.*/\1/' "$WORK/evd.json")
d=$(max_rel_diff "$want" "$got")
awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-6) }' &&
    pass "drnn-eval --data $got = the trainer's validation loss $want" ||
    fail "drnn-eval --data $got, trainer $want (rel $d)"

# ---- drnn-sample ----
sample() { "$BUILD/drnn-sample" --ckpt "$1" --prime "And it came" --length 200 --seed 3 "${@:2}"; }
sample "$run" >"$WORK/s1" 2>"$WORK/err" || fail "drnn-sample failed: $(cat "$WORK/err")"
sample "$WORK/m.h5" >"$WORK/s2" 2>/dev/null || fail "drnn-sample on model.h5 failed"
sample "$run" --top-k 5 --temperature 0.5 >"$WORK/s3" 2>/dev/null || fail "drnn-sample --top-k failed"
chars=$(wc -m <"$WORK/s1")
if [[ $chars -ge 200 ]] && cmp -s "$WORK/s1" "$WORK/s2" && ! cmp -s "$WORK/s1" "$WORK/s3"; then
    pass "drnn-sample: $chars characters, the same from the run and its export: $(head -c 60 "$WORK/s1")"
else
    fail "drnn-sample: $chars characters, run/export same: $(cmp -s "$WORK/s1" "$WORK/s2" && echo yes)"
fi

# ---- --trace-bptt through the adaptive head ----
for n in 1 2; do
    tr=$WORK/trace$n
    train $n --cell lstm --dropout 0 --lr 0 --steps 1 --trace-bptt --run-dir "$tr" >"$WORK/log" 2>&1 ||
        { fail "trace -n $n: drnn-train failed: $(tail -2 "$WORK/log")"; continue; }
    "$BUILD/drnn-export" "$tr" -o "$tr.h5" >/dev/null 2>&1 || fail "trace -n $n: export failed"
    "$PY" "$REF/trace_reference.py" "$tr.h5" "$WORK/c.h5" "$tr/metrics.jsonl" $B $T >"$WORK/chk" 2>&1 &&
        pass "trace -n $n: $(cat "$WORK/chk")" || fail "trace -n $n: $(cat "$WORK/chk")"
done

# ---- --init-from PyTorch's weights: one clipped SGD step equals torch's ----
shape=(--cell gru --embed 12 --hidden 20 --layers 2)
optim=(--batch 4 --seq-len 16 --lr 20 --momentum 0.9 --clip 0.05)
"$PY" "$REF/init_from_reference.py" make "$WORK/c.h5" "$WORK/ref" "${shape[@]}" "${optim[@]}" \
    --seed 7 --softmax adaptive --cutoffs 5,20 --div-value 3 >"$WORK/ref.log" 2>&1 ||
    fail "init_from_reference.py make: $(cat "$WORK/ref.log")"
init=(--data "$WORK/c.h5" "${shape[@]}" "${optim[@]}" --steps 1 --threads 1)
iada=(--softmax adaptive --cutoffs 5,20 --div-value 3)
for n in 1 2; do
    launch $n "$BUILD/drnn-train" "${init[@]}" "${iada[@]}" --init-from "$WORK/ref/init.h5" \
        --run-dir "$WORK/init$n" >"$WORK/log" 2>&1 ||
        { fail "--init-from -n $n failed: $(tail -2 "$WORK/log")"; continue; }
    "$BUILD/drnn-export" "$WORK/init$n" -o "$WORK/init$n.h5" >/dev/null 2>&1
    "$PY" "$REF/init_from_reference.py" compare "$WORK/init$n.h5" "$WORK/ref/expect.h5" 1e-5 \
        >"$WORK/chk" 2>&1 && pass "--init-from torch -n $n, one step: $(tail -1 "$WORK/chk")" ||
        fail "--init-from torch -n $n: $(cat "$WORK/chk")"
done
expect_exit 65 "--init-from PyTorch's adaptive weights into a full softmax" "$BUILD/drnn-train" \
    "${init[@]}" --init-from "$WORK/ref/init.h5" --run-dir "$WORK/initfull" &&
    one_line "full from adaptive" "decoder." && pass "full softmax from adaptive tensors: 65"
expect_exit 64 "--init-from a drnn model.h5 with other cutoffs" "$BUILD/drnn-train" "${init[@]}" \
    "${iada[@]}" --cutoffs 5,21 --init-from "$WORK/init1.h5" --run-dir "$WORK/initcut" &&
    one_line "other cutoffs" "--cutoffs" && pass "other --cutoffs than the model.h5: 64"

# ---- usage errors: 64, one line naming the flag, nothing left behind ----
bad() { # WHAT FLAG ARGS...: drnn-train refuses with 64 naming FLAG
    local what=$1 flag=$2
    shift 2
    expect_exit 64 "$what" "$BUILD/drnn-train" --hidden 16 --embed 8 --batch 4 --seq-len 8 \
        --steps 1 --run-dir "$WORK/bad" "$@" && one_line "$what" "$flag" &&
        pass "$what: 64, $(cat "$WORK/err")"
    [[ ! -e "$WORK/bad" ]] || { fail "$what: left the run folder"; rm -rf "$WORK/bad"; }
}
D=(--data "$WORK/c.h5")
bad "adaptive without cutoffs" --cutoffs "${D[@]}" --softmax adaptive
bad "cutoffs not increasing" --cutoffs "${D[@]}" --softmax adaptive --cutoffs 20,10
bad "repeated cutoff" --cutoffs "${D[@]}" --softmax adaptive --cutoffs 10,10
bad "cutoff 0" --cutoffs "${D[@]}" --softmax adaptive --cutoffs 0,10
bad "cutoff = vocab" --cutoffs "${D[@]}" --softmax adaptive --cutoffs 10,$V
bad "cutoffs not a list" --cutoffs "${D[@]}" --softmax adaptive --cutoffs 10,x
bad "cutoffs with a space" --cutoffs "${D[@]}" --softmax adaptive --cutoffs "10, 20"
bad "cutoffs without --softmax adaptive" --cutoffs "${D[@]}" --cutoffs 10
bad "div-value without --softmax adaptive" --div-value "${D[@]}" --div-value 2
bad "unknown softmax" --softmax "${D[@]}" --softmax sampled
bad "div-value below 1" --div-value "${D[@]}" --softmax adaptive --cutoffs 10 --div-value 0.5
bad "projection of 0 features" --div-value "${D[@]}" --softmax adaptive --cutoffs 10,20 --div-value 5
"$BUILD/drnn-prep" --tokenizer byte -o "$WORK/b.h5" "$WORK/t.txt" >/dev/null 2>&1
bad "byte corpus" "--softmax adaptive" --data "$WORK/b.h5" --softmax adaptive --cutoffs 30
for i in $(seq 1 20); do printf 'a\tone two three\nb\tfour five six\n'; done >"$WORK/l.tsv"
"$BUILD/drnn-prep" --format labels --tokenizer word -o "$WORK/l.h5" "$WORK/l.tsv" >/dev/null 2>&1
bad "classifier" --softmax --model classifier --data "$WORK/l.h5" --softmax adaptive --cutoffs 3
expect_exit 64 "bad cutoffs on 2 ranks" mpirun -q -n 2 "$BUILD/drnn-train" "${D[@]}" --batch 4 \
    --steps 1 --softmax adaptive --cutoffs 30,20 --run-dir "$WORK/bad2" &&
    grep -q -- "--cutoffs 30,20" "$WORK/err" || fail "2 ranks: no --cutoffs message: $(cat "$WORK/err")"
finish

#!/usr/bin/env bash
# The sequence tagger (--model tagger) end to end, on small corpora from jobs/tag_data.py:
#   a. -n 1, 2 and 4 give per-step losses within 1e-5 relative (a bidirectional 2-layer LSTM with
#      dropout, and a unidirectional GRU);
#   b. 10 steps + --resume auto to 20 equal 20 straight steps bit for bit on the same N (losses,
#      parameters and momentum); the step-10 checkpoint of 2 ranks resumed on 1 and on 4 ranks
#      gives losses within 1e-5;
#   c. drnn-export's file loads into nn.Embedding + nn.LSTM/GRU + nn.Linear (embedding, encoder,
#      tagger) with load_state_dict(strict=True), whose tags of the valid sentences equal
#      `drnn-sample --input` line by line and whose token accuracy, loss and per-tag figures equal
#      `drnn-eval --json`'s (tests/reference/tagger_export_check.py);
#   d. drnn-eval --json prints one JSON object (accuracy, macro_f1, loss, per-tag figures);
#      --text on a tagger and drnn-sample without --input are usage errors (64);
#   e. kinds never mix: tagger and classifier checkpoints resumed as the other kind, and either
#      kind on the other's data, are 64 naming both kinds;
#   f. malformed tag files: drnn-prep 65 naming file:line, no output file, no temporary;
#   g. --early-stop 2 --metric accuracy: validation records carry the accuracy, the run stops 2
#      evaluations after the most accurate one, which ckpt/best names and drnn-eval scores.
# Missing torch/h5py is a failure, not a skip.
source "$(dirname "$0")/lib.sh"
PY=${DRNN_PYTHON:-/usr/bin/python3}
if ! "$PY" -c "import torch, h5py, numpy" 2>/dev/null; then
    echo "FAIL: $PY cannot import torch, h5py and numpy, needed to check the exported tagger."
    echo "      Install them: apt-get install python3-torch python3-h5py python3-numpy"
    exit 1
fi
"$PY" "$SRC/jobs/tag_data.py" generate 600 1 "$WORK/train.txt" &&
    "$PY" "$SRC/jobs/tag_data.py" generate 100 2 "$WORK/valid.txt" ||
    { echo "FATAL: jobs/tag_data.py failed"; exit 1; }
"$BUILD/drnn-prep" --format tags --valid "$WORK/valid.txt" -o "$WORK/t.h5" "$WORK/train.txt" \
    >"$WORK/prep.log" 2>&1 || { cat "$WORK/prep.log"; echo "FATAL: drnn-prep --format tags failed"; exit 1; }

lstm=(--model tagger --data "$WORK/t.h5" --cell lstm --layers 2 --bidirectional --dropout 0.1
      --embed 16 --hidden 32 --batch 8 --lr 0.5 --momentum 0.9 --log-every 1 --threads 1 --seed 4)
gru=(--model tagger --data "$WORK/t.h5" --cell gru --embed 16 --hidden 32 --batch 8 --lr 0.5
     --log-every 1 --threads 1 --seed 5)
train() { # NAME NRANKS ARGS...: drnn-train on NRANKS ranks into $WORK/NAME, log NAME.log
    local name=$1 n=$2
    shift 2
    mpirun -q -n "$n" "$BUILD/drnn-train" "$@" --run-dir "$WORK/$name" >"$WORK/$name.log" 2>&1 ||
        { fail "$name (-n $n): drnn-train failed: $(tail -3 "$WORK/$name.log")"; return 1; }
}
within() { awk -v d="$1" -v l="$2" 'BEGIN { exit !(d != "inf" && d <= l) }'; }

# ---- a. ranks ----
for n in 1 2 4; do
    train l$n $n "${lstm[@]}" --steps 20 --checkpoint-every 10 --keep 5
    train g$n $n "${gru[@]}" --steps 12
done
for cfg in l g; do
    what=$([[ $cfg == l ]] && echo "bidirectional 2-layer LSTM" || echo "GRU")
    ref=$(train_losses "$WORK/${cfg}1")
    want=$([[ $cfg == l ]] && echo 20 || echo 12)
    [[ $(echo "$ref" | wc -l) -eq $want ]] ||
        fail "$what -n 1 logged $(echo "$ref" | wc -l) steps, expected $want"
    for n in 2 4; do
        losses_equal "$WORK/${cfg}1" "$WORK/$cfg$n" 1e-5 "$what -n $n vs -n 1 ($want steps)"
    done
    first=$(echo "$ref" | head -1) last=$(echo "$ref" | tail -1)
    awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }' ||
        fail "$what: loss did not fall: $first -> $last"
done
grep '"split"' "$WORK/l1/metrics.jsonl" | grep -q '"accuracy"' ||
    fail "the final validation record has no accuracy: $(grep '"split"' "$WORK/l1/metrics.jsonl")"

# ---- b. resume ----
train s2 2 "${lstm[@]}" --steps 10 --checkpoint-every 10 --keep 5
for m in 1 4; do cp -r "$WORK/s2" "$WORK/s2to$m"; done
train s2 2 "${lstm[@]}" --steps 20 --checkpoint-every 10 --keep 5 --resume auto
grep -q "resuming from .*step-00000010" "$WORK/s2.log" || fail "-n 2 did not resume from step 10"
if [[ $(train_losses "$WORK/s2" | wc -l) -eq 20 ]] &&
    cmp -s <(train_losses "$WORK/l2") <(train_losses "$WORK/s2"); then
    pass "resume on -n 2: per-step losses of 10 + 10 steps bit-identical to 20 straight"
else
    fail "resume on -n 2: losses differ: $(diff <(train_losses "$WORK/l2") <(train_losses "$WORK/s2") | head -4)"
fi
"$PY" "$SRC/tests/ckpt_compare.py" "$WORK/l2" "$WORK/s2" 0 >"$WORK/cmp.out" 2>&1 &&
    pass "resume on -n 2: final parameters and momentum bit-identical" ||
    fail "resume on -n 2: final parameters differ: $(cat "$WORK/cmp.out")"
for m in 1 4; do
    train s2to$m $m "${lstm[@]}" --steps 20 --checkpoint-every 10 --keep 5 --resume auto &&
        grep -q "written by 2 ranks" "$WORK/s2to$m.log" ||
        fail "2 -> $m: did not resume from the 2-rank checkpoint: $(grep -i resum "$WORK/s2to$m.log")"
    losses_equal "$WORK/l2" "$WORK/s2to$m" 1e-5 "resume of the -n 2 step-10 checkpoint on -n $m"
done

# ---- c. export against PyTorch, drnn-sample --input, drnn-eval --json ----
cut -f1 "$WORK/valid.txt" >"$WORK/words.txt"
for cfg in l g; do
    run=$WORK/${cfg}1 m=$WORK/m_$cfg.h5
    what=$([[ $cfg == l ]] && echo "bidirectional 2-layer LSTM" || echo "GRU")
    "$BUILD/drnn-export" "$run" -o "$m" >/dev/null 2>"$WORK/err" ||
        { fail "$what: drnn-export failed: $(cat "$WORK/err")"; continue; }
    "$BUILD/drnn-sample" --ckpt "$run" --input "$WORK/words.txt" >"$WORK/tags_$cfg.out" \
        2>"$WORK/err" || fail "$what: drnn-sample --input failed: $(cat "$WORK/err")"
    "$BUILD/drnn-eval" --ckpt "$m" --data "$WORK/t.h5" --json >"$WORK/eval_$cfg.json" \
        2>"$WORK/eval_$cfg.err" || fail "$what: drnn-eval --json failed: $(cat "$WORK/eval_$cfg.err")"
    if "$PY" "$SRC/tests/reference/tagger_export_check.py" "$m" "$WORK/t.h5" "$WORK/words.txt" \
        "$WORK/tags_$cfg.out" "$WORK/eval_$cfg.json" >"$WORK/check.out" 2>&1; then
        pass "$what: exported model loads strictly into PyTorch; tags = drnn-sample's, figures = drnn-eval's: $(grep '^PyTorch' "$WORK/check.out")"
    else
        fail "$what: PyTorch check: $(cat "$WORK/check.out")"
    fi
done
compgen -G "$WORK/*.tmp.*" >/dev/null && fail "drnn-export left a temporary file: $(compgen -G "$WORK/*.tmp.*")"

# ---- d. drnn-eval --json and usage errors ----
"$PY" - "$WORK/eval_l.json" <<'PY' && pass "drnn-eval --json: one object, accuracy, macro_f1, loss, per-tag figures" ||
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert {"accuracy", "macro_f1", "loss"} <= set(d), sorted(d)
assert d["sentences"] == 100, d["sentences"]
assert len(d["tags"]) >= 5, d["tags"]
assert sum(t["support"] for t in d["tags"].values()) == d["tokens"]
assert all({"precision", "recall", "f1", "support"} <= set(t) for t in d["tags"].values())
assert 0 < d["accuracy"] <= 1 and 0 <= d["macro_f1"] <= 1 and d["loss"] > 0
PY
    fail "drnn-eval --json is not the expected object: $(head -c 400 "$WORK/eval_l.json")"
grep -q "token accuracy" "$WORK/eval_l.err" || fail "drnn-eval --json printed no report on stderr"
# The checkpoint and its export give the same figures.
"$BUILD/drnn-eval" --ckpt "$WORK/l1" --data "$WORK/t.h5" --json >"$WORK/eval_ckpt.json" 2>/dev/null
cmp -s "$WORK/eval_ckpt.json" "$WORK/eval_l.json" || fail "drnn-eval of the checkpoint and of its export differ"
head -3 "$WORK/words.txt" >"$WORK/three.txt"
expect_exit 64 "drnn-eval --text on a tagger" "$BUILD/drnn-eval" --ckpt "$WORK/l1" \
    --text "$WORK/three.txt" && one_line "drnn-eval --text on a tagger" "tagger"
expect_exit 64 "drnn-sample without --input on a tagger" "$BUILD/drnn-sample" --ckpt "$WORK/l1" &&
    one_line "drnn-sample without --input on a tagger" "--input"
expect_exit 64 "drnn-sample --prime on a tagger" "$BUILD/drnn-sample" --ckpt "$WORK/l1" --prime the

# ---- e. kinds never mix ----
awk -F'\t' '{ print ($2 ~ /PREP/ ? "prep" : "plain") "\t" $1 }' "$WORK/train.txt" >"$WORK/train.tsv"
awk -F'\t' '{ print ($2 ~ /PREP/ ? "prep" : "plain") "\t" $1 }' "$WORK/valid.txt" >"$WORK/valid.tsv"
"$BUILD/drnn-prep" --format labels --tokenizer word --valid "$WORK/valid.tsv" -o "$WORK/c.h5" \
    "$WORK/train.tsv" >"$WORK/prep_c.log" 2>&1 || fail "drnn-prep --format labels failed: $(cat "$WORK/prep_c.log")"
cls=(--model classifier --data "$WORK/c.h5" --cell lstm --embed 16 --hidden 32 --batch 8
     --threads 1)
train cls 1 "${cls[@]}" --steps 3
expect_exit 64 "a tagger checkpoint resumed as a classifier" "$BUILD/drnn-train" "${cls[@]}" \
    --steps 30 --run-dir "$WORK/x1" --resume "$WORK/l1" &&
    grep -q "tagger" "$WORK/err" && grep -q "classifier" "$WORK/err" &&
    pass "a tagger checkpoint resumed as a classifier: 64, $(cat "$WORK/err")" ||
    fail "a tagger checkpoint resumed as a classifier: $(cat "$WORK/err")"
expect_exit 64 "a classifier checkpoint resumed as a tagger" "$BUILD/drnn-train" "${gru[@]}" \
    --steps 30 --run-dir "$WORK/x2" --resume "$WORK/cls" &&
    grep -q "tagger" "$WORK/err" && grep -q "classifier" "$WORK/err" &&
    pass "a classifier checkpoint resumed as a tagger: 64, $(cat "$WORK/err")" ||
    fail "a classifier checkpoint resumed as a tagger: $(cat "$WORK/err")"
expect_exit 64 "--model tagger on labelled data" "$BUILD/drnn-train" --model tagger \
    --data "$WORK/c.h5" --run-dir "$WORK/x3" --steps 2 &&
    grep -q "labels" "$WORK/err" && grep -q "tags" "$WORK/err" &&
    pass "--model tagger on labelled data: 64, $(cat "$WORK/err")" ||
    fail "--model tagger on labelled data: $(cat "$WORK/err")"
expect_exit 64 "--model classifier on tagged data" "$BUILD/drnn-train" --model classifier \
    --data "$WORK/t.h5" --run-dir "$WORK/x4" --steps 2 &&
    grep -q "labels" "$WORK/err" && grep -q "tags" "$WORK/err" &&
    pass "--model classifier on tagged data: 64, $(cat "$WORK/err")" ||
    fail "--model classifier on tagged data: $(cat "$WORK/err")"

# ---- f. malformed tag files ----
good=$(head -1 "$WORK/train.txt")
bad_file() { # NAME LINE: a file whose line 2 is LINE; drnn-prep must refuse it, naming NAME:2
    local d=$WORK/bad_$1
    mkdir -p "$d"
    printf '%s\n%b\n%s\n' "$good" "$2" "$good" >"$d/$1.txt"
    expect_exit 65 "malformed tags ($1)" "$BUILD/drnn-prep" --format tags -o "$d/out.h5" "$d/$1.txt" &&
        grep -qF "$1.txt:2" "$WORK/err" &&
        pass "malformed tags ($1): 65, $(cat "$WORK/err")" ||
        fail "malformed tags ($1): $(cat "$WORK/err")"
    [[ $(ls "$d") == "$1.txt" ]] || fail "malformed tags ($1): left $(ls "$d" | tr '\n' ' ')"
}
bad_file count 'the dog sees\tDET NOUN'
bad_file notags 'the dog sees\t'
bad_file notab 'the dog sees DET NOUN VERB'

# ---- g. early stopping on accuracy ----
# Adam learns this data in a few dozen steps, and the accuracy then stalls: the run stops early.
train es 1 "${gru[@]}" --optimizer adam --lr 0.01 --steps 400 --eval-every 5 --early-stop 2 \
    --metric accuracy
stop=$(sed -nE 's/^drnn-train: early stop at step ([0-9]+).*/\1/p' "$WORK/es.log")
"$BUILD/drnn-eval" --ckpt "$WORK/es/ckpt/best" --data "$WORK/t.h5" --json >"$WORK/eval_best.json" \
    2>/dev/null || fail "drnn-eval of ckpt/best failed"
/usr/bin/python3 - "$WORK/es" "${stop:-0}" "$WORK/eval_best.json" <<'PY' &&
import json, sys
run, stop = sys.argv[1], int(sys.argv[2])
recs = [json.loads(l) for l in open(run + "/metrics.jsonl")]
valid = [r for r in recs if "split" in r]
assert len(valid) >= 3 and all("accuracy" in r for r in valid), valid
top = max(r["accuracy"] for r in valid)
first_top = min(r["step"] for r in valid if r["accuracy"] == top)
best = open(run + "/ckpt/best").read().split()[0]
assert best == "step-%08d" % first_top, (best, first_top)
assert 0 < stop < 400 and stop == valid[-1]["step"] == first_top + 10, (stop, first_top)
got = json.load(open(sys.argv[3]))["accuracy"]
assert abs(got - top) <= 1e-6, (got, top)
print(f"early stop at step {stop}, best {best} accuracy {top:.4f} (drnn-eval {got:.4f})")
PY
    pass "--early-stop 2 --metric accuracy: stopped 2 evaluations after the most accurate one; ckpt/best scores its accuracy" ||
    fail "--early-stop 2 --metric accuracy: stop '$stop': $(grep '"split"' "$WORK/es/metrics.jsonl" | tail -4)"
finish

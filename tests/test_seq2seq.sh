#!/usr/bin/env bash
# Seq2seq with attention on the one training loop (DESIGN §3, §5), on the generated reverse task:
#   - -n 1, 2 and 4 give per-step losses within 1e-5 relative, with --batch pairs and with
#     --batch-tokens (batches small enough that some ranks hold no pair of a batch);
#   - a checkpoint resumes bit-identically on the same N (losses, parameters, and the sequence of
#     batches) and within 1e-5 on another N, taking the same batches;
#   - drnn-eval's exact match, edit rate and BLEU equal a direct Python computation over the
#     hypothesis and reference files it writes (to 1e-6), and drnn-sample translates the same
#     sources to the same lines; --attention-out rows are distributions over the source;
#   - the exported model loads into the PyTorch module of tests/reference/seq2seq_reference.py
#     with load_state_dict(strict=True) and gives drnn-eval's loss;
#   - bad combinations end with a clear message and exit 64.
source "$(dirname "$0")/lib.sh"
gen() { /usr/bin/python3 "$SRC/jobs/reverse_pairs.py" --min-len 3 --max-len 8 --symbols 12 "$@"; }
gen --n 800 --seed 1 -o "$WORK/train.tsv" && gen --n 60 --seed 2 -o "$WORK/valid.tsv" ||
    { echo "FATAL: jobs/reverse_pairs.py failed"; exit 1; }
"$BUILD/drnn-prep" --format pairs --valid "$WORK/valid.tsv" -o "$WORK/p.h5" "$WORK/train.tsv" \
    >"$WORK/prep.log" 2>&1 || { cat "$WORK/prep.log"; echo "FATAL: drnn-prep --format pairs failed"; exit 1; }
args=(--model seq2seq --data "$WORK/p.h5" --cell lstm --layers 2 --bidirectional --dropout 0.1
      --embed 16 --hidden 24 --lr 0.5 --log-every 1 --threads 1 --seed 4)

check_close() { # label ref other
    local d
    d=$(max_rel_diff "$2" "$3")
    awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-5) }' &&
        pass "$1: max relative loss difference $d over $(echo "$2" | wc -l) steps" ||
        fail "$1: max relative loss difference $d (limit 1e-5)"
}

for mode in "--batch 8" "--batch-tokens 24"; do
    tag=${mode// /}
    for n in 1 2 4; do
        DRNN_TRACE_BATCHES="$WORK/$tag.n$n.trace" mpirun -q -n $n "$BUILD/drnn-train" "${args[@]}" \
            $mode --steps 20 --eval-every 10 --run-dir "$WORK/$tag.n$n" --checkpoint-every 10 \
            --keep 5 >"$WORK/$tag.n$n.log" 2>&1 ||
            fail "seq2seq $mode -n $n failed: $(tail -3 "$WORK/$tag.n$n.log")"
    done
    ref=$(train_losses "$WORK/$tag.n1")
    [[ $(echo "$ref" | wc -l) -eq 20 ]] || fail "$mode -n 1 logged $(echo "$ref" | wc -l) steps"
    for n in 2 4; do check_close "seq2seq $mode -n $n vs -n 1" "$ref" "$(train_losses "$WORK/$tag.n$n")"; done
    cmp -s "$WORK/$tag.n1.trace" "$WORK/$tag.n4.trace" ||
        fail "$mode: -n 1 and -n 4 took different batches"
done
grep -q '"bleu"' "$WORK/--batch8.n1/metrics.jsonl" || fail "metrics.jsonl has no validation BLEU"
grep -q 'about 24 target tokens' "$WORK/--batch-tokens24.n1.log" ||
    fail "--batch-tokens: the start line does not say so: $(grep steps "$WORK/--batch-tokens24.n1.log")"
# A budget of 24 tokens holds at most 2 pairs of 9+ tokens: some of the 4 ranks held none.
grep -q 'steps of batch' "$WORK/--batch-tokens24.n4.log" || fail "--batch-tokens -n 4 did not start"

# Resume from step 10 on the same N (2) and on another N (4): steps 11..20 as uninterrupted.
for m in 2 4; do
    mkdir -p "$WORK/r$m/ckpt"
    cp -r "$WORK/--batch8.n2/ckpt/step-00000010" "$WORK/r$m/ckpt/"
    DRNN_TRACE_BATCHES="$WORK/r$m.trace" mpirun -q -n $m "$BUILD/drnn-train" "${args[@]}" --batch 8 \
        --steps 20 --eval-every 10 --run-dir "$WORK/r$m" --resume "$WORK/r$m/ckpt/step-00000010" \
        >"$WORK/r$m.log" 2>&1 || fail "resume on -n $m failed: $(tail -3 "$WORK/r$m.log")"
    tail -10 "$WORK/--batch8.n2.trace" | cmp -s - "$WORK/r$m.trace" &&
        pass "resume on -n $m: batches of steps 11..20 are the uninterrupted run's" ||
        fail "resume on -n $m: batch sequence differs: $(paste <(tail -10 "$WORK/--batch8.n2.trace") "$WORK/r$m.trace" | head -3)"
done
want=$(train_losses "$WORK/--batch8.n2" | tail -10)
got=$(train_losses "$WORK/r2")
[[ "$want" == "$got" ]] && pass "resume on -n 2: losses of steps 11..20 bit-identical" ||
    fail "resume on -n 2: losses differ: $(paste <(echo "$want") <(echo "$got") | head -3)"
[[ $(params_sum "$WORK/--batch8.n2/ckpt/step-00000020") == $(params_sum "$WORK/r2/ckpt/step-00000020") ]] &&
    pass "resume on -n 2: final parameters bit-identical" || fail "resume on -n 2: parameters differ"
check_close "resume of a -n 2 checkpoint on -n 4" "$want" "$(train_losses "$WORK/r4")"

# drnn-eval against a direct computation over the files it wrote, on a model trained long enough
# that its translations are partly right (BLEU, exact match and edit rate all strictly inside).
run="$WORK/long"
"$BUILD/drnn-train" --model seq2seq --data "$WORK/p.h5" --embed 16 --hidden 32 --batch 16 \
    --lr 1 --clip 1 --steps 300 --log-every 100 --threads 1 --run-dir "$run" >"$WORK/long.log" 2>&1 ||
    fail "seq2seq run of 300 steps failed: $(tail -3 "$WORK/long.log")"
"$BUILD/drnn-eval" --ckpt "$run" --data "$WORK/p.h5" --json --hyp-out "$WORK/hyp.txt" \
    >"$WORK/eval.json" 2>"$WORK/eval.err" || fail "drnn-eval on seq2seq failed: $(cat "$WORK/eval.err")"
/usr/bin/python3 - "$SRC/tests/reference" "$WORK/eval.json" "$WORK/hyp.txt" <<'PY' ||
import json, sys
sys.path.insert(0, sys.argv[1])
sys.dont_write_bytecode = True
from score_reference import figures, tok13a
d = json.load(open(sys.argv[2]))
hyp = open(sys.argv[3]).read().split("\n")[:-1]
ref = open(sys.argv[3] + ".ref").read().split("\n")[:-1]
assert len(hyp) == len(ref) == d["pairs"] == 60, (len(hyp), len(ref), d["pairs"])
assert 0 < d["bleu"] < 100 and 0 < d["edit_rate"] < 1 and d["exact_match"] < 1, d
text = figures([(tok13a(h).split(), tok13a(r).split()) for h, r in zip(hyp, ref)])
ids = figures([(h.split(), r.split()) for h, r in zip(hyp, ref)])  # word tokens: one id each
for key, want in (("bleu", text["bleu"]), ("exact_match", ids["exact_match"]),
                  ("edit_rate", ids["edit_rate"])):
    assert abs(d[key] - want) <= 1e-6, (key, d[key], want)
print("drnn-eval = python: BLEU %.6f exact %.6f edit %.6f" % (d["bleu"], d["exact_match"], d["edit_rate"]))
PY
    fail "drnn-eval figures differ from the direct computation"
cut -f1 "$WORK/valid.tsv" >"$WORK/src.txt"
# drnn-eval reads the valid pairs in file order; drnn-sample must translate them alike.
"$BUILD/drnn-sample" --ckpt "$run" --input "$WORK/src.txt" --batch 7 --attention-out "$WORK/att.jsonl" \
    >"$WORK/sample.txt" 2>"$WORK/sample.err" || fail "drnn-sample --input failed: $(cat "$WORK/sample.err")"
cmp -s "$WORK/sample.txt" "$WORK/hyp.txt" && pass "drnn-sample greedy = drnn-eval hypotheses" ||
    fail "drnn-sample differs from drnn-eval: $(diff "$WORK/sample.txt" "$WORK/hyp.txt" | head -4)"
grep -q "sentences/s" "$WORK/sample.err" || fail "drnn-sample printed no throughput"
# drnn-sample sorts a window of lines by length into batches: the output keeps the input's order
# and a line's translation does not depend on which lines share its batch.
"$BUILD/drnn-sample" --ckpt "$run" --input "$WORK/src.txt" --batch 1 >"$WORK/sample1.txt" \
    2>"$WORK/sample1.err" || fail "drnn-sample --batch 1 failed: $(cat "$WORK/sample1.err")"
cmp -s "$WORK/sample1.txt" "$WORK/sample.txt" && pass "drnn-sample --batch 1 = --batch 7" ||
    fail "drnn-sample --batch 1 differs from --batch 7: $(diff "$WORK/sample1.txt" "$WORK/sample.txt" | head -4)"
/usr/bin/python3 - "$WORK/att.jsonl" "$WORK/src.txt" <<'PY' || fail "--attention-out is not as documented"
import json, sys
src = open(sys.argv[2]).read().split("\n")[:-1]
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == len(src)
for r in rows:
    assert r["source"] == src[r["line"] - 1].split(), r["source"]
    assert len(r["attention"]) == len(r["target"])
    for a in r["attention"]:
        assert len(a) == len(r["source"]) and abs(sum(a) - 1) < 1e-4, a
PY
"$BUILD/drnn-sample" --ckpt "$run" --input "$WORK/src.txt" --beam 3 --n-best 2 \
    --length-penalty 1 >"$WORK/nbest.txt" 2>"$WORK/err" || fail "beam n-best failed: $(cat "$WORK/err")"
awk -F'\t' 'NF != 3 || $2 > 0 { bad = 1 } END { exit bad || NR != 120 }' "$WORK/nbest.txt" ||
    fail "--n-best 2 output: $(head -2 "$WORK/nbest.txt")"

# Export: the PyTorch module of the reference takes it with strict=True and gives drnn-eval's loss.
"$BUILD/drnn-export" "$run" -o "$WORK/s2s.h5" >/dev/null 2>"$WORK/err" ||
    fail "drnn-export of a seq2seq model failed: $(cat "$WORK/err")"
loss=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["loss"])' "$WORK/eval.json")
/usr/bin/python3 "$SRC/tests/reference/seq2seq_reference.py" --check-export "$WORK/s2s.h5" \
    "$WORK/p.h5" "$loss" || fail "PyTorch check of the exported seq2seq model failed"

# Bad combinations.
expect_exit 64 "--attention dot with a bidirectional encoder" "$BUILD/drnn-train" "${args[@]}" \
    --attention dot --run-dir "$WORK/x1" --steps 2 && grep -q "general" "$WORK/err" ||
    fail "dot + bidirectional: $(cat "$WORK/err")"
make_corpus "$WORK/text.h5" 100000
expect_exit 64 "--model seq2seq on text" "$BUILD/drnn-train" --model seq2seq \
    --data "$WORK/text.h5" --run-dir "$WORK/x2" --steps 2 && grep -q "pairs" "$WORK/err" ||
    fail "seq2seq on text: $(cat "$WORK/err")"
expect_exit 64 "--text on a seq2seq model" "$BUILD/drnn-eval" --ckpt "$run" --text "$WORK/src.txt"
expect_exit 64 "--n-best above --beam" "$BUILD/drnn-sample" --ckpt "$run" --input "$WORK/src.txt" \
    --beam 2 --n-best 3
expect_exit 64 "resume with another --batch-tokens" "$BUILD/drnn-train" "${args[@]}" \
    --batch-tokens 30 --run-dir "$WORK/--batch-tokens24.n1" --resume auto --steps 30 &&
    grep -q "batch-tokens" "$WORK/err" || fail "--batch-tokens mismatch: $(cat "$WORK/err")"
expect_exit 64 "resume with another --seed" "$BUILD/drnn-train" "${args[@]}" --batch 8 --seed 5 \
    --run-dir "$WORK/--batch8.n1" --resume auto --steps 30
finish

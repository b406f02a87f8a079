#!/usr/bin/env bash
# The classifier on the one training loop (DESIGN §5): -n 1, 2 and 4 give per-step losses within
# 1e-5 relative; a checkpoint resumes bit-identically on the same N (losses and parameters) and
# within 1e-5 on another N; the exported model loads into the equivalent PyTorch module with
# load_state_dict(strict=True) and gives drnn-eval's accuracy; drnn-eval --json and drnn-sample
# --input work; model kinds never mix (LM tools on a classifier and the reverse: a clear error).
source "$(dirname "$0")/lib.sh"
bash "$SRC/jobs/kjv_labels.sh" "$WORK/kjv" >"$WORK/labels.log" 2>&1 ||
    { cat "$WORK/labels.log"; echo "FATAL: jobs/kjv_labels.sh failed"; exit 1; }
awk 'NR % 9 == 1' "$WORK/kjv/train.tsv" | head -3000 >"$WORK/train.tsv" # every section
awk 'NR % 7 == 1' "$WORK/kjv/valid.tsv" | head -400 >"$WORK/valid.tsv"
"$BUILD/drnn-prep" --format labels --tokenizer word --vocab-size 2000 --valid "$WORK/valid.tsv" \
    -o "$WORK/c.h5" "$WORK/train.tsv" >"$WORK/prep.log" 2>&1 ||
    { cat "$WORK/prep.log"; echo "FATAL: drnn-prep --format labels failed"; exit 1; }
args=(--model classifier --data "$WORK/c.h5" --cell lstm --layers 2 --bidirectional --pool mean
      --dropout 0.1 --embed 16 --hidden 24 --batch 8 --lr 0.5 --log-every 1 --threads 1 --seed 4)

for n in 1 2 4; do
    mpirun -q -n $n "$BUILD/drnn-train" "${args[@]}" --steps 20 --run-dir "$WORK/n$n" \
        --checkpoint-every 10 --keep 5 >"$WORK/n$n.log" 2>&1 ||
        fail "classifier -n $n failed: $(tail -3 "$WORK/n$n.log")"
done
ref=$(train_losses "$WORK/n1")
[[ $(echo "$ref" | wc -l) -eq 20 ]] || fail "-n 1 logged $(echo "$ref" | wc -l) steps, expected 20"
for n in 2 4; do
    d=$(max_rel_diff "$ref" "$(train_losses "$WORK/n$n")")
    awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-5) }' &&
        pass "classifier -n $n vs -n 1: max relative loss difference $d over 20 steps" ||
        fail "classifier -n $n vs -n 1: max relative loss difference $d (limit 1e-5)"
done
grep -q '"accuracy"' "$WORK/n1/metrics.jsonl" || fail "metrics.jsonl has no validation accuracy"
first=$(echo "$ref" | head -1) last=$(echo "$ref" | tail -1)
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }' || fail "loss did not fall: $first -> $last"

# Resume from step 10 on the same N (2) and on another N (4): steps 11..20 as uninterrupted.
for m in 2 4; do
    mkdir -p "$WORK/r$m/ckpt"
    cp -r "$WORK/n2/ckpt/step-00000010" "$WORK/r$m/ckpt/"
    mpirun -q -n $m "$BUILD/drnn-train" "${args[@]}" --steps 20 --run-dir "$WORK/r$m" \
        --resume "$WORK/r$m/ckpt/step-00000010" >"$WORK/r$m.log" 2>&1 ||
        fail "resume on -n $m failed: $(tail -3 "$WORK/r$m.log")"
done
want=$(train_losses "$WORK/n2" | tail -10)
got=$(train_losses "$WORK/r2")
[[ "$want" == "$got" ]] && pass "resume on -n 2: losses of steps 11..20 bit-identical" ||
    fail "resume on -n 2: losses differ: $(paste <(echo "$want") <(echo "$got") | head -3)"
[[ $(params_sum "$WORK/n2/ckpt/step-00000020") == $(params_sum "$WORK/r2/ckpt/step-00000020") ]] &&
    pass "resume on -n 2: final parameters bit-identical" || fail "resume on -n 2: parameters differ"
d=$(max_rel_diff "$want" "$(train_losses "$WORK/r4")")
awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-5) }' &&
    pass "resume of a -n 2 checkpoint on -n 4: max relative loss difference $d" ||
    fail "resume on -n 4: max relative loss difference $d (limit 1e-5)"

# drnn-eval: accuracy, macro-F1, confusion matrix; JSON on stdout.
"$BUILD/drnn-eval" --ckpt "$WORK/n1" --data "$WORK/c.h5" --json >"$WORK/eval.json" \
    2>"$WORK/eval.err" || fail "drnn-eval on a classifier failed: $(cat "$WORK/eval.err")"
/usr/bin/python3 - "$WORK/eval.json" <<'PY' || fail "drnn-eval --json is not the expected object"
import json, sys
d = json.load(open(sys.argv[1]))
n = sum(map(sum, d["confusion"]))
assert n == d["examples"] == 400, (n, d["examples"])
right = sum(d["confusion"][i][i] for i in range(len(d["labels"])))
assert abs(right / n - d["accuracy"]) < 1e-9
PY
grep -q "confusion matrix" "$WORK/eval.err" || fail "drnn-eval printed no confusion matrix"

# Export to PyTorch: the equivalent module takes the file with strict=True and scores the same.
"$BUILD/drnn-export" "$WORK/n1" -o "$WORK/cls.h5" >/dev/null 2>"$WORK/err" ||
    fail "drnn-export of a classifier failed: $(cat "$WORK/err")"
acc=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accuracy"])' "$WORK/eval.json")
/usr/bin/python3 - "$WORK/cls.h5" "$WORK/c.h5" "$acc" <<'PY' || fail "PyTorch check of the exported classifier failed"
import sys, h5py, numpy as np, torch
f, c, acc = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r"), float(sys.argv[3])
E, H, L = int(f.attrs["embed"]), int(f.attrs["hidden"]), int(f.attrs["layers"])
bi, C, V = bool(f.attrs["bidirectional"]), int(f.attrs["classes"]), int(f.attrs["vocab_size"])
class Cls(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.embedding = torch.nn.Embedding(V, E)
        s.encoder = torch.nn.LSTM(E, H, num_layers=L, bidirectional=bi)
        s.classifier = torch.nn.Linear(2 * H if bi else H, C)
m = Cls()
sd = {k: torch.from_numpy(np.asarray(f[k])) for k in f if k not in ("vocab", "labels")}
m.load_state_dict(sd, strict=True)
tok, off, lab = c["valid/tokens"][...], c["valid/offsets"][...], c["valid/labels"][...]
right = 0
with torch.no_grad():
    for i in range(len(lab)):
        x = torch.from_numpy(tok[off[i]:off[i + 1]].astype(np.int64)).unsqueeze(1)
        out, _ = m.encoder(m.embedding(x))
        right += int(m.classifier(out.mean(0)).argmax(1).item() == lab[i])
assert abs(right / len(lab) - acc) < 1e-9, (right / len(lab), acc)
print("torch accuracy", right / len(lab))
PY

# drnn-sample --input: one "LABEL<TAB>P" line per input line.
head -5 "$WORK/valid.tsv" | cut -f2 >"$WORK/lines.txt"
"$BUILD/drnn-sample" --ckpt "$WORK/n1" --input "$WORK/lines.txt" >"$WORK/labels.out" 2>"$WORK/err" ||
    fail "drnn-sample --input failed: $(cat "$WORK/err")"
[[ $(wc -l <"$WORK/labels.out") -eq 5 ]] && awk -F'\t' 'NF != 2 || $2 < 0 || $2 > 1 { exit 1 }' \
    "$WORK/labels.out" || fail "drnn-sample --input output: $(head -2 "$WORK/labels.out")"

# Kinds never mix.
make_corpus "$WORK/text.h5" 100000
expect_exit 64 "LM tool on a classifier" "$BUILD/drnn-sample" --ckpt "$WORK/n1" --prime x &&
    grep -q "classifier" "$WORK/err" || fail "drnn-sample on a classifier: $(cat "$WORK/err")"
expect_exit 64 "--text on a classifier" "$BUILD/drnn-eval" --ckpt "$WORK/n1" --text "$WORK/lines.txt"
expect_exit 64 "--model lm on labelled data" "$BUILD/drnn-train" --data "$WORK/c.h5" \
    --run-dir "$WORK/x1" --steps 2 && grep -q "classifier" "$WORK/err" || fail "lm on labels: $(cat "$WORK/err")"
expect_exit 64 "--model classifier on text" "$BUILD/drnn-train" --model classifier \
    --data "$WORK/text.h5" --run-dir "$WORK/x2" --steps 2
expect_exit 64 "resume a classifier checkpoint as an LM" "$BUILD/drnn-train" --data "$WORK/c.h5" \
    --model lm --run-dir "$WORK/x3" --resume "$WORK/n1" --steps 30
"$BUILD/drnn-train" --data "$WORK/text.h5" --run-dir "$WORK/lm" --steps 3 --hidden 16 --embed 8 \
    --batch 4 --seq-len 8 >/dev/null 2>&1 || fail "small LM run failed"
expect_exit 65 "LM eval on labelled data" "$BUILD/drnn-eval" --ckpt "$WORK/lm" --data "$WORK/c.h5"
expect_exit 64 "--input on an LM" "$BUILD/drnn-sample" --ckpt "$WORK/lm" --input "$WORK/lines.txt" &&
    grep -q "language model" "$WORK/err" || fail "drnn-sample --input on an LM: $(cat "$WORK/err")"
expect_exit 64 "--init-from an LM for a classifier" "$BUILD/drnn-train" "${args[@]}" --steps 2 \
    --run-dir "$WORK/x4" --init-from "$WORK/lm" && grep -q "kind" "$WORK/err" ||
    fail "init-from across kinds: $(cat "$WORK/err")"
finish

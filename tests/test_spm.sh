#!/usr/bin/env bash
# SentencePiece subwords (drnn-prep --tokenizer spm) against Python's sentencepiece:
#   a. a model drnn-prep trains on the bundled text: every split's ids equal sentencepiece's
#      encode with that model (stored in the corpus), each line's ids decode back to it, and the
#      same text and options give the same model and ids again (tests/spm_check.py);
#   b. a model trained outside drnn (the Python package, its own special ids) loads with
#      --spm-model and gives the mapped ids; a damaged or non-SentencePiece .model is 65 naming
#      it, with nothing left behind; misused options are 64;
#   c. labels, and pairs with one model per side and with --spm-joint: vocabularies and ids as
#      sentencepiece gives them;
#   d. an LM, a classifier and a seq2seq model train on spm corpora; -n 1 and -n 2 give the same
#      losses (LM); 10 + 10 steps resumed equal 20 straight (parameters bit for bit);
#      drnn-export writes model.h5 with /spm_model and OUT.model byte-equal to the corpus's;
#      drnn-sample prints text without piece markers, from the checkpoint and from model.h5;
#      seq2seq references in drnn-eval --hyp-out are the detokenized targets;
#   e. bits per character: drnn-eval --text on a few lines equals the summed bits of the scored
#      tokens over their characters, computed by hand from sentencepiece; for a char model it
#      equals bits per token, in drnn-eval and in the validation record.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
CHECK="$SRC/tests/spm_check.py"
/usr/bin/python3 -c "import sentencepiece" 2>/dev/null ||
    { echo "FATAL: python3-sentencepiece is missing (bash jobs/setup.sh --tests installs it)"; exit 1; }
(set +o pipefail; zcat "$SRC/data/kjv.txt.gz" | head -n 3000) >"$WORK/k.txt"
prep() { "$BUILD/drnn-prep" "$@" >"$WORK/prep.log" 2>&1; }
check() { # what corpus format input...
    local what=$1
    shift
    if "$PY" "$CHECK" "$@" >"$WORK/check.log" 2>&1; then
        pass "$what: $(tail -1 "$WORK/check.log")"
    else
        fail "$what: $(tail -3 "$WORK/check.log")"
    fi
}

# ---- a. trained by drnn-prep ----
prep --tokenizer spm --vocab-size 500 --valid-fraction 0.1 --test-fraction 0.05 -o "$WORK/a.h5" \
    "$WORK/k.txt" || fail "drnn-prep spm: $(tail -3 "$WORK/prep.log")"
check "text, trained by drnn-prep" "$WORK/a.h5" text "$WORK/k.txt"
prep --tokenizer spm --vocab-size 500 --valid-fraction 0.1 --test-fraction 0.05 -o "$WORK/a2.h5" \
    "$WORK/k.txt" || fail "drnn-prep spm again: $(tail -3 "$WORK/prep.log")"
same=$("$PY" - "$WORK/a.h5" "$WORK/a2.h5" <<'PYEOF'
import sys, h5py
a, b = (h5py.File(p, "r") for p in sys.argv[1:])
print(int(bytes(a["spm_model"][()]) == bytes(b["spm_model"][()]) and
          all(a.attrs[k] == b.attrs[k] for k in ("train_crc32", "valid_crc32", "test_crc32"))))
PYEOF
)
[[ $same == 1 ]] && pass "the same text and options give the same model and ids" ||
    fail "two runs of drnn-prep gave different models or ids"

# ---- b. a model from outside; bad models and options ----
"$PY" - "$WORK/k.txt" "$WORK/ext" <<'PYEOF' >/dev/null 2>&1
import sys, sentencepiece as spm
spm.SentencePieceTrainer.train(input=sys.argv[1], model_prefix=sys.argv[2], vocab_size=400,
                               model_type="bpe", minloglevel=2)
PYEOF
[[ -s $WORK/ext.model ]] || fail "the Python package wrote no model"
prep --tokenizer spm --spm-model "$WORK/ext.model" -o "$WORK/b.h5" "$WORK/k.txt" ||
    fail "--spm-model: $(tail -3 "$WORK/prep.log")"
check "text, --spm-model from the Python package (bpe)" "$WORK/b.h5" text "$WORK/k.txt"
head -c 3000 "$WORK/ext.model" >"$WORK/cut.model"
for bad in cut.model k.txt; do
    expect_exit 65 "--spm-model $bad" "$BUILD/drnn-prep" --tokenizer spm --spm-model "$WORK/$bad" \
        -o "$WORK/x.h5" "$WORK/k.txt"
    grep -q "$bad" "$WORK/err" || fail "--spm-model $bad: the message does not name it: $(cat "$WORK/err")"
    compgen -G "$WORK/x.h5*" >/dev/null && fail "--spm-model $bad left $(ls "$WORK"/x.h5*)"
done
expect_exit 66 "--spm-model missing" "$BUILD/drnn-prep" --tokenizer spm --spm-model "$WORK/no.model" \
    -o "$WORK/x.h5" "$WORK/k.txt"
expect_exit 64 "--spm-type without spm" "$BUILD/drnn-prep" --spm-type bpe -o "$WORK/x.h5" "$WORK/k.txt"
expect_exit 64 "--spm-model with --vocab-size" "$BUILD/drnn-prep" --tokenizer spm \
    --spm-model "$WORK/ext.model" --vocab-size 100 -o "$WORK/x.h5" "$WORK/k.txt"
expect_exit 64 "--spm-joint on text" "$BUILD/drnn-prep" --tokenizer spm --spm-joint \
    -o "$WORK/x.h5" "$WORK/k.txt"
expect_exit 64 "a vocabulary the text cannot fill" "$BUILD/drnn-prep" --tokenizer spm \
    --vocab-size 900000 -o "$WORK/x.h5" "$WORK/k.txt"
compgen -G "$WORK/x.h5*" >/dev/null && fail "refused runs left $(ls "$WORK"/x.h5*)"

# ---- c. labels and pairs ----
awk '{ print (length($0) > 80 ? "long" : "short") "\t" $0 }' "$WORK/k.txt" >"$WORK/l.tsv"
awk 'NR % 2 == 1 { a = $0 } NR % 2 == 0 { print substr(a, 1, 50) "\t" substr($0, 1, 50) }' \
    "$WORK/k.txt" >"$WORK/p.tsv"
prep --format labels --tokenizer spm --vocab-size 300 -o "$WORK/l.h5" "$WORK/l.tsv" ||
    fail "labels: $(tail -3 "$WORK/prep.log")"
check "labels" "$WORK/l.h5" labels "$WORK/l.tsv"
prep --format pairs --tokenizer spm --vocab-size 300 -o "$WORK/p.h5" "$WORK/p.tsv" ||
    fail "pairs: $(tail -3 "$WORK/prep.log")"
check "pairs, a model per side" "$WORK/p.h5" pairs "$WORK/p.tsv"
prep --format pairs --tokenizer spm --vocab-size 300 --spm-joint -o "$WORK/pj.h5" "$WORK/p.tsv" ||
    fail "pairs --spm-joint: $(tail -3 "$WORK/prep.log")"
check "pairs, --spm-joint" "$WORK/pj.h5" pairs "$WORK/p.tsv"
h5ls "$WORK/p.h5" | grep -q tgt_spm_model || fail "pairs without --spm-joint: no /tgt_spm_model"
h5ls "$WORK/pj.h5" | grep -q tgt_spm_model && fail "pairs with --spm-joint: a /tgt_spm_model"

# ---- d. training, resume, export, sample ----
lm=(--data "$WORK/a.h5" --embed 16 --hidden 32 --batch 8 --seq-len 16 --threads 1 --log-every 1
    --eval-every 10 --checkpoint-every 10 --keep 5)
train() { # name nranks args...
    local name=$1 n=$2
    shift 2
    mpirun -q -n "$n" "$BUILD/drnn-train" "$@" --run-dir "$WORK/$name" >>"$WORK/$name.log" 2>&1 ||
        fail "$name: drnn-train failed: $(tail -3 "$WORK/$name.log")"
}
train lm1 1 "${lm[@]}" --steps 20
train lm2 2 "${lm[@]}" --steps 20
d=$(max_rel_diff "$(train_losses "$WORK/lm1")" "$(train_losses "$WORK/lm2")")
awk -v d="$d" 'BEGIN { exit !(d != "inf" && d < 1e-5) }' &&
    pass "LM: -n 1 and -n 2 losses agree (max rel diff $d)" || fail "LM: -n 1 vs -n 2 differ ($d)"
grep -q "bits/char" "$WORK/lm1.log" || fail "the spm LM's validation line has no bits/char"

# ---- e. bits per character, by hand ----
(set +o pipefail; zcat "$SRC/data/kjv.txt.gz" | sed -n '5000,5003p') >"$WORK/t.txt"
"$BUILD/drnn-eval" --ckpt "$WORK/lm1" --text "$WORK/t.txt" --json >"$WORK/e.json" 2>"$WORK/e.err" ||
    fail "drnn-eval --text: $(cat "$WORK/e.err")"
"$PY" - "$WORK/e.json" "$WORK/a.h5" "$WORK/t.txt" "$WORK/e.err" <<'PYEOF' >"$WORK/bpc.out" 2>&1 &&
import json, math, re, sys, h5py, sentencepiece as spm
r = json.load(open(sys.argv[1]))
r["bpc"] = float(re.search(r"bits/char ([0-9.]+)", open(sys.argv[4]).read()).group(1))
sp = spm.SentencePieceProcessor(model_proto=bytes(h5py.File(sys.argv[2], "r")["spm_model"][()]))
text = open(sys.argv[3]).read()
lines = text.split("\n")[:-1]
ids = [i for l in lines for i in sp.encode(l) + [1]]
# the scored text: every token but the first; its characters: all but the first token's
chars = len(text) - len(sp.decode(ids[:1]))
want = r["loss"] * (len(ids) - 1) / math.log(2) / chars
print(f"bpc {r['bpc']:.6f}, by hand {want:.6f} ({len(ids) - 1} scored tokens, {chars} characters)")
sys.exit(0 if r["tokens"] == len(ids) - 1 and abs(r["bpc"] - want) <= 1e-4 * want else 1)
PYEOF
    pass "spm: drnn-eval's bits per character equal the summed bits over the characters: $(cat "$WORK/bpc.out")" ||
    fail "spm bits per character: $(cat "$WORK/bpc.out") $(cat "$WORK/e.json")"
make_corpus "$WORK/c.h5" 100000
train ch 1 --data "$WORK/c.h5" --embed 16 --hidden 32 --batch 8 --seq-len 16 --threads 1 --steps 10 \
    --eval-every 10
"$BUILD/drnn-eval" --ckpt "$WORK/ch" --text "$WORK/t.txt" >"$WORK/c.txt" 2>"$WORK/err" ||
    fail "drnn-eval --text (char): $(cat "$WORK/err")"
"$PY" - "$WORK/c.txt" "$WORK/ch/metrics.jsonl" <<'PYEOF' >"$WORK/bpcc.out" 2>&1 &&
import json, re, sys
line = open(sys.argv[1]).read()
r = {k: float(re.search(k + r" ([0-9.]+)", line).group(1)) for k in ("bits/char", "bits/token")}
r = {"bpc": r["bits/char"], "bpt": r["bits/token"]}
v = [json.loads(l) for l in open(sys.argv[2]) if '"split"' in l][-1]
print(f"eval {r['bpc']:.6f} = {r['bpt']:.6f}, validation {v['bpc']:.6f} = {v['bpt']:.6f}")
ok = r["bpc"] == r["bpt"] and abs(v["bpc"] - v["bpt"]) <= 1e-9 * v["bpt"]
sys.exit(0 if ok else 1)
PYEOF
    pass "char: bits per character equal bits per token ($(cat "$WORK/bpcc.out"))" ||
    fail "char bits per character: $(cat "$WORK/bpcc.out")"

train r 2 "${lm[@]}" --steps 10
train r 2 "${lm[@]}" --steps 20 --resume auto
"$PY" "$SRC/tests/ckpt_compare.py" "$WORK/lm2" "$WORK/r" 0 >"$WORK/cmp.out" 2>&1 &&
    pass "LM: 10 + 10 steps resumed equal 20 straight, bit for bit" ||
    fail "LM resume: $(cat "$WORK/cmp.out")"
"$BUILD/drnn-export" "$WORK/lm1" -o "$WORK/m.h5" >"$WORK/export.log" 2>&1 ||
    fail "drnn-export: $(cat "$WORK/export.log")"
"$PY" - "$WORK/a.h5" "$WORK/m.h5" "$WORK/m.model" <<'PYEOF' >"$WORK/exp.out" 2>&1 &&
import sys, h5py
c, m = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
ok = bytes(c["spm_model"][()]) == bytes(m["spm_model"][()]) == open(sys.argv[3], "rb").read()
sys.exit(0 if ok else 1)
PYEOF
    pass "drnn-export: model.h5's /spm_model and m.model equal the corpus's model" ||
    fail "drnn-export did not carry the model: $(cat "$WORK/exp.out")"
for from in "$WORK/lm1" "$WORK/m.h5"; do
    out=$("$BUILD/drnn-sample" --ckpt "$from" --prime "And God said" --length 40 2>"$WORK/err")
    if [[ $out == "And God said"* && $out != *▁* && -n ${out#And God said} ]]; then
        pass "drnn-sample from $(basename "$from"): text without piece markers"
    else
        fail "drnn-sample from $(basename "$from"): '$out' $(cat "$WORK/err")"
    fi
done
# The classifier and seq2seq: -n 1 and -n 2 agree, and 10 + 10 steps resumed equal 20 straight.
cls=(--model classifier --data "$WORK/l.h5" --embed 16 --hidden 16 --batch 8 --threads 1
     --log-every 1 --eval-every 10 --checkpoint-every 10 --keep 5)
s2s=(--model seq2seq --data "$WORK/p.h5" --embed 16 --hidden 16 --batch 8 --threads 1 --log-every 1
     --eval-every 10 --checkpoint-every 10 --keep 5)
for k in cls s2s; do
    declare -n args=$k
    train "${k}1" 1 "${args[@]}" --steps 20
    train "${k}2" 2 "${args[@]}" --steps 20
    d=$(max_rel_diff "$(train_losses "$WORK/${k}1")" "$(train_losses "$WORK/${k}2")")
    awk -v d="$d" 'BEGIN { exit !(d != "inf" && d < 1e-5) }' &&
        pass "$k: -n 1 and -n 2 losses agree (max rel diff $d)" || fail "$k: -n 1 vs -n 2 ($d)"
    train "${k}r" 2 "${args[@]}" --steps 10
    train "${k}r" 2 "${args[@]}" --steps 20 --resume auto
    "$PY" "$SRC/tests/ckpt_compare.py" "$WORK/${k}2" "$WORK/${k}r" 0 >"$WORK/cmp.out" 2>&1 &&
        pass "$k: 10 + 10 steps resumed equal 20 straight, bit for bit" ||
        fail "$k resume: $(cat "$WORK/cmp.out")"
done
"$BUILD/drnn-export" "$WORK/s2s1" -o "$WORK/s.h5" >"$WORK/export.log" 2>&1 &&
    [[ -s $WORK/s.model && -s $WORK/s.tgt.model ]] &&
    pass "drnn-export of seq2seq writes s.model and s.tgt.model" ||
    fail "drnn-export seq2seq: $(cat "$WORK/export.log")"
head -3 "$WORK/l.tsv" | cut -f2 >"$WORK/lin.txt"
out=$("$BUILD/drnn-sample" --ckpt "$WORK/cls1" --input "$WORK/lin.txt" 2>"$WORK/err")
[[ $(grep -cE "short|long" <<<"$out") -eq 3 ]] && pass "classifier drnn-sample labels spm lines" ||
    fail "classifier drnn-sample: '$out' $(cat "$WORK/err")"
mv "$WORK/s2s1" "$WORK/s2s"
"$BUILD/drnn-eval" --ckpt "$WORK/s2s" --data "$WORK/p.h5" --hyp-out "$WORK/hyp.txt" \
    >"$WORK/eval.log" 2>&1 || fail "drnn-eval seq2seq: $(tail -3 "$WORK/eval.log")"
"$PY" - "$WORK/p.tsv" "$WORK/hyp.txt.ref" <<'PYEOF' >"$WORK/ref.out" 2>&1 &&
import sys
want = [l.split("\t")[1].rstrip("\n") for l in open(sys.argv[1]) if l.strip()][-len(open(sys.argv[2]).readlines()):]
got = [l.rstrip("\n") for l in open(sys.argv[2])]
bad = [(w, g) for w, g in zip(want, got) if " ".join(w.split()) != g and "\u2047" not in g]
print(len(got), bad[:2]); sys.exit(1 if bad or not got else 0)
PYEOF
    pass "seq2seq: drnn-eval's references are the detokenized targets ($(cat "$WORK/ref.out" | cut -c1-20))" ||
    fail "seq2seq references: $(cat "$WORK/ref.out")"
printf 'And God said\n' >"$WORK/in.txt"
out=$("$BUILD/drnn-sample" --ckpt "$WORK/s2s" --input "$WORK/in.txt" 2>"$WORK/err")
[[ -n $out && $out != *▁* ]] && pass "seq2seq drnn-sample prints text: '$out'" ||
    fail "seq2seq drnn-sample: '$out' $(cat "$WORK/err")"
finish

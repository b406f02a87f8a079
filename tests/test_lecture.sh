#!/usr/bin/env bash
# The lecture's model — residual stacks (--residual) and the self-attention block
# (--self-attention HEADS) — end to end, on small generated data (jobs/tag_data.py sentences; the
# same sentences labelled prep / adv / plain by their tags for the classifier; a 100 kB slice of
# the bundled KJV for the LM; jobs/reverse_pairs.py for seq2seq):
#   a. a classifier (3-layer bidirectional LSTM, residual, 4 heads, mean pool, dropout 0.1) and a
#      tagger (2-layer bidirectional GRU, residual, 2 heads): -n 1, 2 and 4 give per-step losses
#      within 1e-5 relative;
#   b. an LM (3-layer LSTM, residual, dropout) and a seq2seq model (2-layer bidirectional GRU
#      encoder and GRU decoder, residual, dropout, and a 2-head self-attention block over the
#      encoder): -n 1 and 2 give per-step losses within 1e-5;
#   c. the classifier stopped at step 10 and resumed (--resume auto --steps 20) on the same N
#      gives losses, parameters and momentum bit-identical to 20 straight steps
#      (tests/ckpt_compare.py), and on another N losses and parameters within 1e-5;
#   d. --residual or --self-attention changed on --resume, and on --init-from an exported
#      model.h5, is 64 naming the option; --self-attention 3 on a width of 8 is 64 naming the
#      divisor rule; --self-attention on an LM is 64;
#   e. drnn-export's files of the residual + self-attention classifier and tagger load strictly
#      into embedding + ResidualRNN (tests/reference/residual_rnn.py) + nn.MultiheadAttention +
#      nn.LayerNorm + classifier/tagger Linear, whose predictions on the valid split (one padded
#      batch, key_padding_mask) equal drnn-sample --input line by line, and whose accuracy (1e-6)
#      and loss (1e-5 relative) equal drnn-eval --json's; drnn-sample --attention-out's matrices
#      equal nn.MultiheadAttention's head-averaged weights (1e-5)
#      (tests/reference/lecture_export_check.py);
#   f. drnn-sample --attention-out on the self-attention classifier writes one JSON line per
#      input line whose every row sums to 1 (1e-5) over the line's tokens, which
#      jobs/plot_attention.py draws as a PNG; on a model without the block it is 64 and writes
#      no file.
# Missing torch/h5py/matplotlib is a failure, not a skip.
source "$(dirname "$0")/lib.sh"
PY=${DRNN_PYTHON:-/usr/bin/python3}
if ! "$PY" -c "import torch, h5py, numpy, matplotlib" 2>/dev/null; then
    echo "FAIL: $PY cannot import torch, h5py, numpy and matplotlib, needed here."
    echo "      Install them: apt-get install python3-torch python3-h5py python3-numpy python3-matplotlib"
    exit 1
fi

# ---- data ----
"$PY" "$SRC/jobs/tag_data.py" generate 600 1 "$WORK/train.txt" &&
    "$PY" "$SRC/jobs/tag_data.py" generate 100 2 "$WORK/valid.txt" ||
    { echo "FATAL: jobs/tag_data.py failed"; exit 1; }
label() { # tagged sentences -> "LABEL<TAB>words": prep if a PREP tag, else adv if an ADV, else plain
    awk -F'\t' '{ print ($2 ~ /PREP/ ? "prep" : $2 ~ /ADV/ ? "adv" : "plain") "\t" $1 }' "$1"
}
label "$WORK/train.txt" >"$WORK/train.tsv" && label "$WORK/valid.txt" >"$WORK/valid.tsv"
"$BUILD/drnn-prep" --format tags --valid "$WORK/valid.txt" -o "$WORK/t.h5" "$WORK/train.txt" \
    >"$WORK/prep_t.log" 2>&1 || { cat "$WORK/prep_t.log"; echo "FATAL: drnn-prep --format tags failed"; exit 1; }
"$BUILD/drnn-prep" --format labels --tokenizer word --valid "$WORK/valid.tsv" -o "$WORK/c.h5" \
    "$WORK/train.tsv" >"$WORK/prep_c.log" 2>&1 ||
    { cat "$WORK/prep_c.log"; echo "FATAL: drnn-prep --format labels failed"; exit 1; }
make_corpus "$WORK/text.h5" 100000
gen() { "$PY" "$SRC/jobs/reverse_pairs.py" --min-len 3 --max-len 8 --symbols 12 "$@"; }
gen --n 400 --seed 1 -o "$WORK/ptrain.tsv" && gen --n 40 --seed 2 -o "$WORK/pvalid.tsv" ||
    { echo "FATAL: jobs/reverse_pairs.py failed"; exit 1; }
"$BUILD/drnn-prep" --format pairs --valid "$WORK/pvalid.tsv" -o "$WORK/p.h5" "$WORK/ptrain.tsv" \
    >"$WORK/prep_p.log" 2>&1 || { cat "$WORK/prep_p.log"; echo "FATAL: drnn-prep --format pairs failed"; exit 1; }

# The lecture options are kept apart so that the refusals of d can leave one out.
cls_base=(--model classifier --data "$WORK/c.h5" --cell lstm --layers 3 --bidirectional --pool mean
          --dropout 0.1 --embed 16 --hidden 16 --batch 8 --log-every 1 --threads 1 --seed 4)
cls=("${cls_base[@]}" --residual --self-attention 4 --lr 0.2 --momentum 0.9 --clip 1)
tag_base=(--model tagger --data "$WORK/t.h5" --cell gru --layers 2 --bidirectional --residual
          --embed 16 --hidden 16 --batch 8 --lr 0.5 --clip 1 --log-every 1 --threads 1 --seed 5)
tag=("${tag_base[@]}" --self-attention 2)
lm=(--data "$WORK/text.h5" --cell lstm --layers 3 --residual --dropout 0.1 --embed 16 --hidden 32
    --seq-len 16 --batch 8 --lr 0.5 --clip 1 --log-every 1 --threads 1 --seed 6)
s2s_base=(--model seq2seq --data "$WORK/p.h5" --cell gru --layers 2 --bidirectional --residual
          --dropout 0.1 --embed 16 --hidden 16 --batch 8 --lr 0.5 --clip 1 --log-every 1
          --threads 1 --seed 7)
s2s=("${s2s_base[@]}" --self-attention 2)
ckpt=(--checkpoint-every 10 --keep 5)
train() { # NAME NRANKS ARGS...: drnn-train on NRANKS ranks into $WORK/NAME, log NAME.log
    local name=$1 n=$2
    shift 2
    mpirun -q -n "$n" "$BUILD/drnn-train" "$@" --run-dir "$WORK/$name" >"$WORK/$name.log" 2>&1 ||
        { fail "$name (-n $n): drnn-train failed: $(tail -3 "$WORK/$name.log")"; return 1; }
}
# steps_are NAME WANT WHAT: NAME logged WANT training losses
steps_are() {
    local got
    got=$(train_losses "$WORK/$1" | wc -l)
    [[ $got -eq $2 ]] || fail "$3 logged $got steps, expected $2"
}

# ---- a. classifier and tagger: -n 1 = -n 2 = -n 4 ----
for n in 1 2 4; do
    train c$n $n "${cls[@]}" --steps 20 "${ckpt[@]}"
    train g$n $n "${tag[@]}" --steps 20
done
grep -q "^residual = 1" "$WORK/c1/config.txt" && grep -q "^self-attention = 4" "$WORK/c1/config.txt" ||
    fail "config.txt does not record residual and self-attention: $(grep -E 'residual|attention' "$WORK/c1/config.txt")"
steps_are c1 20 "classifier -n 1"
steps_are g1 20 "tagger -n 1"
for n in 2 4; do
    losses_equal "$WORK/c1" "$WORK/c$n" 1e-5 \
        "classifier (3-layer bi-LSTM, residual, 4 heads, dropout 0.1) -n $n vs -n 1, 20 steps"
    losses_equal "$WORK/g1" "$WORK/g$n" 1e-5 \
        "tagger (2-layer bi-GRU, residual, 2 heads) -n $n vs -n 1, 20 steps"
done
first=$(train_losses "$WORK/g1" | head -1) last=$(train_losses "$WORK/g1" | tail -1)
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }' || fail "tagger: loss did not fall: $first -> $last"

# ---- b. LM and seq2seq with residual stacks: -n 1 = -n 2 ----
for n in 1 2; do
    train lm$n $n "${lm[@]}" --steps 20
    train s$n $n "${s2s[@]}" --steps 20
done
steps_are lm1 20 "LM -n 1"
steps_are s1 20 "seq2seq -n 1"
losses_equal "$WORK/lm1" "$WORK/lm2" 1e-5 "LM (3-layer LSTM, residual, dropout 0.1) -n 2 vs -n 1, 20 steps"
losses_equal "$WORK/s1" "$WORK/s2" 1e-5 \
    "seq2seq (2-layer bi-GRU encoder + GRU decoder, residual, 2-head self-attention, dropout 0.1) -n 2 vs -n 1, 20 steps"
for r in lm1 s1; do
    first=$(train_losses "$WORK/$r" | head -1) last=$(train_losses "$WORK/$r" | tail -1)
    awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }' || fail "$r: loss did not fall: $first -> $last"
done

# ---- c. resume of the residual + self-attention classifier ----
train r2 2 "${cls[@]}" --steps 10 "${ckpt[@]}"
cp -r "$WORK/r2" "$WORK/r2to4"
train r2 2 "${cls[@]}" --steps 20 "${ckpt[@]}" --resume auto
grep -q "resuming from .*step-00000010" "$WORK/r2.log" || fail "-n 2 did not resume from step 10"
if [[ $(train_losses "$WORK/r2" | wc -l) -eq 20 ]] &&
    cmp -s <(train_losses "$WORK/c2") <(train_losses "$WORK/r2"); then
    pass "resume on -n 2: per-step losses of 10 + 10 steps bit-identical to 20 straight"
else
    fail "resume on -n 2: losses differ: $(diff <(train_losses "$WORK/c2") <(train_losses "$WORK/r2") | head -4)"
fi
"$PY" "$SRC/tests/ckpt_compare.py" "$WORK/c2" "$WORK/r2" 0 >"$WORK/cmp.out" 2>&1 &&
    pass "resume on -n 2: final parameters and momentum bit-identical" ||
    fail "resume on -n 2: final parameters differ: $(cat "$WORK/cmp.out")"
train r2to4 4 "${cls[@]}" --steps 20 "${ckpt[@]}" --resume auto &&
    grep -q "written by 2 ranks" "$WORK/r2to4.log" ||
    fail "2 -> 4: did not resume from the 2-rank checkpoint: $(grep -i resum "$WORK/r2to4.log")"
losses_equal "$WORK/c2" "$WORK/r2to4" 1e-5 "resume of the -n 2 step-10 checkpoint on -n 4"
"$PY" "$SRC/tests/ckpt_compare.py" "$WORK/c2" "$WORK/r2to4" 1e-5 >"$WORK/cmp.out" 2>&1 &&
    pass "resume on -n 4: final parameters within 1e-5: $(head -1 "$WORK/cmp.out")" ||
    fail "resume on -n 4: final parameters differ: $(cat "$WORK/cmp.out")"

# ---- d. the options are part of the model; the block's preconditions ----
# refused CODE WHAT NEEDLE cmd...: exit CODE, one line from drnn naming NEEDLE
refused() {
    local code=$1 what=$2 needle=$3 before=$FAILS
    shift 3
    expect_exit "$code" "$what" "$@" && one_line "$what" "$needle"
    ((FAILS == before)) && pass "$what: $code, $(cat "$WORK/err")"
}
refused 64 "--resume without --residual" "--residual" "$BUILD/drnn-train" "${cls_base[@]}" \
    --self-attention 4 --steps 30 --run-dir "$WORK/x1" --resume "$WORK/c1"
refused 64 "--resume with --self-attention 2 (checkpoint: 4)" "--self-attention" \
    "$BUILD/drnn-train" "${cls_base[@]}" --residual --self-attention 2 --steps 30 \
    --run-dir "$WORK/x2" --resume "$WORK/c1"
refused 64 "--resume without --self-attention" "--self-attention" "$BUILD/drnn-train" \
    "${cls_base[@]}" --residual --steps 30 --run-dir "$WORK/x3" --resume "$WORK/c1"
refused 64 "seq2seq --resume with --self-attention 4 (checkpoint: 2)" "--self-attention" \
    "$BUILD/drnn-train" "${s2s_base[@]}" --self-attention 4 --steps 30 --run-dir "$WORK/x4" --resume "$WORK/s1"
"$BUILD/drnn-export" "$WORK/c1" -o "$WORK/c1.h5" >/dev/null 2>"$WORK/err" ||
    fail "drnn-export of the classifier failed: $(cat "$WORK/err")"
refused 64 "--init-from a 4-head model.h5 with --self-attention 2" "--self-attention" \
    "$BUILD/drnn-train" "${cls_base[@]}" --residual --self-attention 2 --steps 2 \
    --run-dir "$WORK/x5" --init-from "$WORK/c1.h5"
refused 64 "--init-from a residual model.h5 without --residual" "--residual" \
    "$BUILD/drnn-train" "${cls_base[@]}" --self-attention 4 --steps 2 --run-dir "$WORK/x6" \
    --init-from "$WORK/c1.h5"
# D = 2 x 4 = 8, which 3 heads do not divide: the message states the rule.
refused 64 "--self-attention 3 with D = 8" "divide" "$BUILD/drnn-train" "${cls_base[@]}" \
    --hidden 4 --self-attention 3 --steps 2 --run-dir "$WORK/x7"
grep -qF -- "--self-attention" "$WORK/err" || fail "--self-attention 3 with D = 8: the message does not name the option"
refused 64 "--self-attention on --model lm" "--self-attention" "$BUILD/drnn-train" "${lm[@]}" \
    --self-attention 2 --steps 2 --run-dir "$WORK/x8"
for x in x1 x2 x3 x4 x5 x6 x7 x8; do
    [[ -e $WORK/$x/ckpt ]] && fail "$x: a refused run left checkpoints"
done

# ---- e. export against PyTorch, drnn-sample --input, drnn-eval --json ----
# The classifier's 20 SGD steps still predict one class: a model trained further (Adam, 300
# steps, one rank) makes the line-by-line comparison of predictions meaningful.
train ce 1 "${cls_base[@]}" --residual --self-attention 4 --optimizer adam --lr 0.005 --clip 1 \
    --steps 300 --log-every 50
cut -f2 "$WORK/valid.tsv" >"$WORK/lines_c.txt"
cut -f1 "$WORK/valid.txt" >"$WORK/lines_g.txt"
for cfg in c g; do
    run=$WORK/$([[ $cfg == c ]] && echo ce || echo g1) m=$WORK/m_$cfg.h5
    corpus=$WORK/$([[ $cfg == c ]] && echo c || echo t).h5
    what=$([[ $cfg == c ]] && echo "classifier (residual, 4 heads)" || echo "tagger (residual, 2 heads)")
    "$BUILD/drnn-export" "$run" -o "$m" >/dev/null 2>"$WORK/err" ||
        { fail "$what: drnn-export failed: $(cat "$WORK/err")"; continue; }
    "$BUILD/drnn-sample" --ckpt "$run" --input "$WORK/lines_$cfg.txt" \
        --attention-out "$WORK/att_$cfg.jsonl" >"$WORK/sample_$cfg.out" 2>"$WORK/err" ||
        fail "$what: drnn-sample --input --attention-out failed: $(cat "$WORK/err")"
    "$BUILD/drnn-eval" --ckpt "$m" --data "$corpus" --json >"$WORK/eval_$cfg.json" \
        2>"$WORK/err" || fail "$what: drnn-eval --json failed: $(cat "$WORK/err")"
    if "$PY" "$SRC/tests/reference/lecture_export_check.py" "$m" "$corpus" "$WORK/lines_$cfg.txt" \
        "$WORK/sample_$cfg.out" "$WORK/eval_$cfg.json" "$WORK/att_$cfg.jsonl" >"$WORK/check.out" 2>&1; then
        pass "$what: exported model loads strictly into PyTorch; predictions = drnn-sample's, figures = drnn-eval's, attention = MHA's: $(grep -E '^(PyTorch|--attention-out)' "$WORK/check.out" | tr '\n' ' ')"
    else
        fail "$what: PyTorch check: $(cat "$WORK/check.out")"
    fi
done
compgen -G "$WORK/*.tmp.*" >/dev/null && fail "drnn-export left a temporary file: $(compgen -G "$WORK/*.tmp.*")"

# ---- f. --attention-out ----
"$PY" - "$WORK/att_c.jsonl" "$WORK/lines_c.txt" >"$WORK/rows.out" 2>&1 <<'PY' &&
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
lines = open(sys.argv[2], encoding="utf-8").read().split("\n")[:-1]
assert len(recs) == len(lines), (len(recs), len(lines))
worst = 0.0
for i, (r, line) in enumerate(zip(recs, lines)):
    words = line.split()
    assert r["line"] == i + 1 and r["source"] == words and r["target"] == words, (i, r)
    att = r["attention"]
    assert len(att) == len(words) and all(len(row) == len(words) for row in att), (i, att)
    assert all(x >= 0 for row in att for x in row), (i, att)
    worst = max([worst] + [abs(sum(row) - 1) for row in att])
assert worst <= 1e-5, worst
print(f"{len(recs)} lines, every row sums to 1 within {worst:.2g}")
PY
    pass "--attention-out: one JSON line per input line, rows sum to 1 over the line's tokens: $(cat "$WORK/rows.out")" ||
    fail "--attention-out records are not per-line distributions: $(tail -3 "$WORK/rows.out"); $(head -c 300 "$WORK/att_c.jsonl")"
if "$PY" "$SRC/jobs/plot_attention.py" "$WORK/att_c.jsonl" -o "$WORK/att.png" >"$WORK/plot.out" 2>&1 &&
    [[ $(head -c 8 "$WORK/att.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]; then
    pass "jobs/plot_attention.py drew the self-attention: $(cat "$WORK/plot.out")"
else
    fail "jobs/plot_attention.py: $(cat "$WORK/plot.out")"
fi
# Models without the block: a residual classifier and tagger.
train plain_c 1 "${cls_base[@]}" --residual --steps 2
train plain_g 1 "${tag_base[@]}" --steps 2
for run in plain_c plain_g; do
    lines=$WORK/lines_${run#plain_}.txt
    refused 64 "--attention-out on a $run model without self-attention" "self-attention" \
        "$BUILD/drnn-sample" --ckpt "$WORK/$run" --input "$lines" --attention-out "$WORK/$run.jsonl"
    [[ -e $WORK/$run.jsonl ]] && fail "--attention-out on $run: wrote $WORK/$run.jsonl anyway"
done
finish

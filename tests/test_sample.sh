#!/usr/bin/env bash
# End to end on one rank: prep, a short run, then drnn-sample prints the prime and N more
# characters, reproducibly for a fixed seed; temperature and top-k change nothing structural.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 200000
"$BUILD/drnn-train" --data "$WORK/c.h5" --run-dir "$WORK/run" --hidden 64 --embed 16 --batch 8 \
    --seq-len 32 --steps 60 --log-every 20 >"$WORK/train.log" 2>&1 || fail "training failed"
grep -q '"split": "valid"' "$WORK/run/metrics.jsonl" || fail "no validation record in metrics.jsonl"
grep -q '^steps = 60$' "$WORK/run/config.txt" || fail "config.txt lacks the resolved steps"

"$BUILD/drnn-sample" --ckpt "$WORK/run" --prime "And God" --length 120 --seed 5 >"$WORK/s1" ||
    fail "drnn-sample failed"
# The same model through a step folder and through an exported model.h5.
"$BUILD/drnn-sample" --ckpt "$WORK/run/ckpt/step-00000060" --prime "And God" --length 120 --seed 5 \
    >"$WORK/s2" || fail "drnn-sample of a step folder failed"
"$BUILD/drnn-export" "$WORK/run" -o "$WORK/model.h5" >/dev/null || fail "drnn-export failed"
"$BUILD/drnn-sample" --ckpt "$WORK/model.h5" --prime "And God" --length 120 --seed 5 >"$WORK/s4" ||
    fail "drnn-sample of a model.h5 failed"
cmp -s "$WORK/s1" "$WORK/s4" || fail "run folder and exported model.h5 gave different samples"
head -c 7 "$WORK/s1" | grep -q "And God" || fail "sample does not start with the prime"
n=$(tr -d '\n' <"$WORK/s1" | wc -m)
((n >= 120 && n <= 128)) || fail "sample has $n characters, expected prime + 120"
cmp -s "$WORK/s1" "$WORK/s2" || fail "same seed gave different samples"
"$BUILD/drnn-sample" --ckpt "$WORK/run" --length 120 --seed 6 --temperature 0.5 --top-k 5 \
    >"$WORK/s3" || fail "drnn-sample with --top-k failed"
cmp -s "$WORK/s1" "$WORK/s3" && fail "different seed and settings gave the same sample"
finish

#!/usr/bin/env bash
# End to end on one rank: prep, a short run, then drnn-sample prints the prime and N more
# characters, reproducibly for a fixed seed; temperature and top-k change nothing structural.
# RUN/config.txt holds every option that acts (threads and time-limit too, not --epochs when
# --steps governs), and `--config RUN/config.txt` with another --run-dir repeats the run exactly.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 200000
"$BUILD/drnn-train" --data "$WORK/c.h5" --run-dir "$WORK/run" --hidden 64 --embed 16 --batch 8 \
    --seq-len 32 --steps 60 --log-every 20 --threads 1 --time-limit 600 --optimizer adam \
    --lr 0.01 --warmup 5 >"$WORK/train.log" 2>&1 || fail "training failed"
grep -q '"split": "valid"' "$WORK/run/metrics.jsonl" || fail "no validation record in metrics.jsonl"
grep -q '^steps = 60$' "$WORK/run/config.txt" || fail "config.txt lacks the resolved steps"
for line in 'threads = 1' 'time-limit = 600' 'optimizer = adam' 'warmup = 5'; do
    grep -qxF "$line" "$WORK/run/config.txt" || fail "config.txt lacks '$line'"
    grep -qxF "$line" "$WORK/train.log" || fail "the printed config lacks '$line'"
done
grep -q '^epochs' "$WORK/run/config.txt" && fail "config.txt names epochs although --steps governs"
"$BUILD/drnn-train" --config "$WORK/run/config.txt" --run-dir "$WORK/again" >"$WORK/again.log" 2>&1 ||
    fail "--config RUN/config.txt failed: $(tail -2 "$WORK/again.log")"
cmp -s <(grep -v '^run-dir' "$WORK/run/config.txt") <(grep -v '^run-dir' "$WORK/again/config.txt") ||
    fail "--config RUN/config.txt resolved other options"
for r in run again; do
    h5dump -d /params -b LE -o "$WORK/$r.params" "$WORK/$r/ckpt/step-00000060/shard-00000-of-00001.h5" \
        >/dev/null || fail "$r: cannot read the parameters of step 60"
done
cmp -s <(train_losses "$WORK/run") <(train_losses "$WORK/again") && [[ -s $WORK/run.params ]] &&
    cmp -s "$WORK/run.params" "$WORK/again.params" &&
    pass "--config RUN/config.txt repeats the run: losses and parameters bit for bit" ||
    fail "--config RUN/config.txt did not repeat the run (losses or parameters differ)"

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
# --top-k and --temperature act: top-k 1 is greedy (the same text whatever the seed); a very low
# temperature is greedy too; a very high one, with every symbol, draws another text per seed.
smp() { "$BUILD/drnn-sample" --ckpt "$WORK/run" --prime "And God" --length 80 "$@"; }
smp --seed 1 --top-k 1 >"$WORK/k1a" && smp --seed 2 --top-k 1 >"$WORK/k1b" &&
    smp --seed 3 --temperature 0.001 >"$WORK/t0" || fail "drnn-sample --top-k 1 / --temperature failed"
cmp -s "$WORK/k1a" "$WORK/k1b" && pass "--top-k 1: the same text for seeds 1 and 2" ||
    fail "--top-k 1 gave different texts for two seeds: top-k is ignored"
cmp -s "$WORK/k1a" "$WORK/t0" && pass "--temperature 0.001: the greedy text" ||
    fail "--temperature 0.001 is not greedy: temperature is ignored"
smp --seed 1 --temperature 100 >"$WORK/hot1" && smp --seed 2 --temperature 100 >"$WORK/hot2" ||
    fail "drnn-sample --temperature 100 failed"
cmp -s "$WORK/hot1" "$WORK/hot2" && fail "--temperature 100: two seeds gave the same text"
cmp -s "$WORK/hot1" "$WORK/k1a" && fail "--temperature 100 gave the greedy text: temperature is ignored"
finish

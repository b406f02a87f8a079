#!/usr/bin/env bash
# Crash safety (DESIGN §7): 20 times, kill -9 every process of a 2-rank job at a random moment
# while it writes checkpoints (DRNN_TEST_CKPT_DELAY_MS slows each dataset write so most kills land
# inside one). After each kill, `latest` must name a complete checkpoint whose CRCs verify, and
# `--resume auto` must resume from it (from the newest complete one) and train on.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 100000
args=(--data "$WORK/c.h5" --hidden 16 --embed 8 --batch 4 --seq-len 8 --threads 1 --log-every 50
      --checkpoint-every 1 --keep 2 --momentum 0.5)
run_dir="$WORK/run"
inside=0
for trial in $(seq 1 20); do
    DRNN_TEST_CKPT_DELAY_MS=15 mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" --steps 100000 \
        --run-dir "$run_dir" --resume auto >"$WORK/log" 2>&1 &
    job=$!
    sleep "$(awk -v s="$RANDOM" 'BEGIN { printf "%.2f", 0.6 + (s % 1000) / 1000.0 * 1.4 }')"
    # kill -9 the whole job at once: mpirun and its ranks (its direct children, each in a
    # process group of its own).
    kill -9 "$job" $(pgrep -P "$job") 2>/dev/null
    wait "$job" 2>/dev/null
    ls "$run_dir/ckpt" 2>/dev/null | grep -q '\.tmp$' && inside=$((inside + 1))
    [[ -f "$run_dir/ckpt/latest" ]] || continue
    read -r name crc <"$run_dir/ckpt/latest"
    dir="$run_dir/ckpt/$name"
    [[ -d "$dir" ]] || { fail "trial $trial: latest names $name, which does not exist"; continue; }
    [[ $(cat "$dir/manifest.crc32") == "$crc" ]] ||
        fail "trial $trial: latest CRC $crc differs from $name/manifest.crc32"
    step=$((10#${name#step-}))
    # Resume from it and take one more step: verifies every CRC and the whole reload path.
    rm -rf "$WORK/verify"
    cp -r "$run_dir" "$WORK/verify"
    if ! mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" --steps $((step + 1)) --run-dir "$WORK/verify" \
        --resume auto >"$WORK/vlog" 2>&1; then
        fail "trial $trial: resume from $name failed: $(tail -2 "$WORK/vlog")"
    elif ! grep -q "resuming from .*$name" "$WORK/vlog"; then
        fail "trial $trial: did not resume from the newest complete checkpoint $name"
    fi
    # The resumed job's checkpoint cleared what the killed one left: no pointer temporaries.
    left=$(ls "$WORK/verify/ckpt" | grep -E '^(latest|best)\.tmp\.' | head -3)
    [[ -z $left ]] || fail "trial $trial: pointer temporaries left after the next checkpoint: $left"
done
echo "kills that landed while a checkpoint folder was being written: $inside of 20"
((inside >= 5)) || fail "only $inside of 20 kills hit a checkpoint write; the test proves little"
finish

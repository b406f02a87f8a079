#!/usr/bin/env bash
# bench_adaptive_wall.sh [BUILD_DIR] — the full and the adaptive softmax on a large-vocabulary
# word LM, trained for the same wall time on 2 ranks: throughput and validation perplexity.
#
# Corpus: tests/bench/gen_words.py (seed SEED, default 1) writes TOKENS (default 4 000 000) tokens
# of a synthetic language: TYPES (default 50 000) pseudo-words with Zipfian unigram weights and a
# sparse first-order Markov structure (each word has 16 likely successors), lines of 16 words on
# average; its true model's perplexity on the valid split is printed as the floor. drnn-prep
# --tokenizer word, full vocabulary (sorted by frequency), --valid-fraction VALID (default 0.01).
# Model: GRU LM, embed EMBED and hidden HIDDEN (default 256 each), T 35, global batch 32, SGD lr LR
# (default 2: after 60 full-softmax steps and 240 adaptive steps on this corpus lr 2 beat 1 and
# 0.5 for both, the full softmax by more), clip 5; 2 ranks (mpirun -q -n 2), one BLAS thread each. Each softmax trains for
# WALL seconds (default 600; WALL=60 for a quick check) by drnn-train's --time-limit (seconds of
# training since the first step, validations included; the run stops after the step that
# crosses it), first the full softmax, then --softmax adaptive --cutoffs CUTOFFS (default
# 2000,10000) --div-value 4. A 12-step run of each first measures its rate, so that --eval-every
# gives each run about 8 validations.
# Prints the machine and load, the corpus, tokens/s of each run (median of the logged intervals
# after the first two) and the ratio adaptive / full, each run's validation curve (elapsed s at
# the end of the step, before its validation; step; valid ppl), and the end points side by side:
# drnn-eval's perplexity on the valid split (full distribution) of each run's final checkpoint,
# written when --time-limit stopped it. A benchmark: it prints, it asserts nothing about time.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd) || { echo "bench_adaptive_wall.sh: no build dir" >&2; exit 66; }
for b in drnn-prep drnn-train drnn-eval; do
    [[ -x $BUILD/$b ]] || { echo "bench_adaptive_wall.sh: $BUILD/$b missing; build first" >&2; exit 66; }
done
WALL=${WALL:-600} TOKENS=${TOKENS:-4000000} TYPES=${TYPES:-50000} SEED=${SEED:-1}
VALID=${VALID:-0.01} EMBED=${EMBED:-256} HIDDEN=${HIDDEN:-256} LR=${LR:-2}
CUTOFFS=${CUTOFFS:-2000,10000}
T=35 B=32 LOG=5
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/drnn-bench-adaptive-wall.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
source "$HERE/lib.sh" # machine_line, mpi_env, median, probe_start/probe_end, mark, star, train_field
machine_line "$(nproc)"
mpi_env

# ---- corpus ---------------------------------------------------------------------------------
echo "corpus: tests/bench/gen_words.py --types $TYPES --tokens $TOKENS --seed $SEED" \
    "(synthetic Zipf + Markov words), drnn-prep --tokenizer word --valid-fraction $VALID"
gen=$(/usr/bin/python3 "$HERE/gen_words.py" -o "$WORK/words.txt" --types "$TYPES" \
    --tokens "$TOKENS" --seed "$SEED" --valid "$VALID") ||
    { echo "bench_adaptive_wall.sh: gen_words.py failed" >&2; exit 65; }
"$BUILD/drnn-prep" --tokenizer word --valid-fraction "$VALID" -o "$WORK/w.h5" "$WORK/words.txt" \
    >"$WORK/prep.log" 2>&1 || { cat "$WORK/prep.log"; echo "bench_adaptive_wall.sh: drnn-prep failed" >&2; exit 65; }
V=$(sed -nE 's/.*word tokenizer, vocab ([0-9]+).*/\1/p' "$WORK/prep.log")
ntrain=$(sed -nE 's/.* train +([0-9]+) tokens.*/\1/p' "$WORK/prep.log")
nvalid=$(sed -nE 's/.* valid +([0-9]+) tokens.*/\1/p' "$WORK/prep.log")
echo "  generator: $gen"
echo "  V = $V (specials included; word types seen in train), train $ntrain tokens," \
    "valid $nvalid tokens ($(sed -nE 's/.* valid .* ([0-9]+ <unk> .*)/\1/p' "$WORK/prep.log"))"
floor=$(sed -nE 's/.*floor_ppl_valid=([0-9.]+).*/\1/p' <<<"$gen")
echo "  floor: the generating model's perplexity on the valid split = $floor"

# ---- runs -----------------------------------------------------------------------------------
model=(--cell gru --embed "$EMBED" --hidden "$HIDDEN" --seq-len "$T" --batch "$B" --lr "$LR"
    --clip 5 --threads 1)
echo "model: GRU E$EMBED H$HIDDEN T$T B$B (global), SGD lr $LR clip 5; 2 ranks x 1 thread;" \
    "WALL = $WALL s of training per run"
train() { # train NAME ARGS...: mpirun -n 2 drnn-train; 0 or 75 (--time-limit) is success
    local name=$1 rc
    shift
    mpirun -q -n 2 "$BUILD/drnn-train" --data "$WORK/w.h5" --run-dir "$WORK/$name" "${model[@]}" \
        "$@" >"$WORK/$name.log" 2>&1
    rc=$?
    ((rc == 0 || rc == 75)) || { echo "drnn-train $name failed ($rc):"; tail -n 3 "$WORK/$name.log"; }
    ((rc == 0 || rc == 75))
}
for mode in full adaptive; do
    flags=()
    [[ $mode == adaptive ]] && flags=(--softmax adaptive --cutoffs "$CUTOFFS" --div-value 4)
    train "cal-$mode" --steps 12 --log-every 3 "${flags[@]}" || exit 1
    tps=$(train_field "$WORK/cal-$mode" tok_per_s 1 | median)
    # about 8 validations in WALL seconds, a multiple of the logging interval
    every=$(awk -v w="$WALL" -v t="$tps" -v n=$((T * B)) -v l=$LOG \
        'BEGIN { e = l * int(w * t / n / 8 / l + 0.5); print e < l ? l : e }')
    echo "$mode: calibration $tps tok/s -> --eval-every $every"
    probe_start
    train "$mode" --steps 100000000 --time-limit "$WALL" --log-every "$LOG" --eval-every "$every" \
        "${flags[@]}" || exit 1
    probe_end >"$WORK/probe" # in this shell, not $(...): see lib.sh
    mark "$mode" "$(<"$WORK/probe")"
    echo "$mode: done ($(<"$WORK/probe") beside it)"
    "$BUILD/drnn-eval" --ckpt "$WORK/$mode" --data "$WORK/w.h5" --batch "$B" --json \
        2>/dev/null | sed -E 's/.*"ppl": ([^,]+),.*/\1/' >"$WORK/$mode.eval"
done

# ---- report ---------------------------------------------------------------------------------
echo
for mode in full adaptive; do train_field "$WORK/$mode" tok_per_s 2 | median >"$WORK/$mode.tps"; done
printf '%-28s %10s %7s\n' softmax "tok/s" ratio
printf '%-28s %10.0f%1s %7s\n' full "$(<"$WORK/full.tps")" "$(star full)" 1.00
printf '%-28s %10.0f%1s %7s\n' "adaptive $CUTOFFS" "$(<"$WORK/adaptive.tps")" "$(star adaptive)" \
    "$(ratio "$(<"$WORK/adaptive.tps")" "$(<"$WORK/full.tps")")"
echo "(median tok_per_s of the logged intervals after the first two; * = other work shared the machine)"
/usr/bin/python3 - "$WORK" "$floor" "$ntrain" <<'EOF'
import json, os, sys
work, floor, n_train = sys.argv[1], sys.argv[2], float(sys.argv[3])
end = {}
for mode in ("full", "adaptive"):
    recs = [json.loads(l) for l in open(os.path.join(work, mode, "metrics.jsonl"))]
    train = {r["step"]: r for r in recs if "tok_per_s" in r}
    evals = [r for r in recs if r.get("split") == "valid"]
    last = max(train.values(), key=lambda r: r["step"])
    ppl = open(os.path.join(work, mode + ".eval")).read().strip()
    print(f"\n{mode}: validation curve (elapsed s at the end of the step, before its validation)")
    print(f"{'elapsed s':>10} {'step':>7} {'tokens':>10} {'valid ppl':>10}")
    for r in evals:
        t = train.get(r["step"])
        print(f"{t['time'] if t else float('nan'):10.1f} {r['step']:7d} "
              f"{t['tokens'] if t else float('nan'):10.0f} {r['ppl']:10.2f}")
    print(f"{last['time']:10.1f} {last['step']:7d} {last['tokens']:10.0f} {float(ppl):10.2f}"
          "   <- end: final checkpoint, drnn-eval")
    end[mode] = (last, float(ppl))
print(f"\nafter the same wall time (valid split, drnn-eval, full distribution; floor {floor}):")
print(f"{'softmax':>10} {'elapsed s':>10} {'steps':>7} {'tokens':>10} {'epochs':>7} {'valid ppl':>10}")
for mode in ("full", "adaptive"):
    last, ppl = end[mode]
    print(f"{mode:>10} {last['time']:10.1f} {last['step']:7d} {last['tokens']:10.0f} "
          f"{last['tokens'] / n_train:7.2f} {ppl:10.2f}")
f, a = end["full"][1], end["adaptive"][1]
print(f"adaptive / full valid ppl: {a / f:.3f} ({'adaptive at least as good' if a <= f else 'adaptive WORSE'})")
EOF
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# bench_lecture.sh [BUILD_DIR] — training throughput of the lecture's classifier (--residual,
# --self-attention) in drnn-train against PyTorch.
#
# Data: every KJV verse labelled by its section (jobs/kjv_labels.sh), its train part, word
# tokenizer, --vocab-size 8000 (as jobs/lecture_model.sh). Model: a 2-layer bidirectional LSTM
# classifier, E 64, H 64 (and H 128), mean pool, batch 32, SGD lr 1, clip 5, no dropout; plain,
# with --residual, with --self-attention 4, and with both. One rank, one thread each:
#   drnn   build/drnn-train --threads 1: median of metrics.jsonl tok_per_s records (one per
#          --log-every segment; real tokens, padding not counted), the first records (warm-up)
#          dropped
#   torch  tests/bench/torch_lecture.py: nn.Embedding -> packed nn.LSTM (layer by layer with
#          --residual) -> nn.MultiheadAttention + nn.LayerNorm -> mean pool -> nn.Linear, SGD, the
#          same batch composition (pools of 50 batches sorted by length); median over segments
#          of the same real-token count per second after its warm-up steps; its median step time
#          is printed too
# Both sides' parameter counts and real tokens per step are printed next to each other (they
# should agree: same model, same kind of batches). The last columns say what each option costs
# each side: the variant's tok/s over the plain model's.
# A benchmark prints figures and ratios; it asserts nothing about time and is not part of ctest.
# Other work on the machine skews the figures: the load average is printed first and figures of
# runs that shared the machine are starred. About 1 minute on a 2-core machine; QUICK=1 runs a
# few steps of the H 64 configs only. On a shared machine run it under the CPU lock:
#   flock /tmp/drnn-cpu.lock bash tests/bench/bench_lecture.sh
#
# Environment: PYTHON (default /usr/bin/python3); QUICK=1.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as the caller set them.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd) || { echo "bench_lecture.sh: no build dir ${1:-}" >&2; exit 66; }
PYTHON=${PYTHON:-/usr/bin/python3}
QUICK=${QUICK:-0}
for b in drnn-prep drnn-train; do
    [[ -x $BUILD/$b ]] || { echo "bench_lecture.sh: $BUILD/$b missing; build first" >&2; exit 66; }
done

NCPU=$(nproc) # before OMP_NUM_THREADS=1, which nproc obeys
source "$HERE/lib.sh" # machine_line, mpi_env, median, probe_start/probe_end, mark, star, ratio, fmt, train_field
mpi_env
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

WORK=$(mktemp -d /tmp/drnn-bench-lecture.XXXXXX)
exec 3>&1 # the helpers' detail lines go to fd 3 (stdout) while $(...) captures their result
trap 'rm -rf "$WORK"' EXIT

# ---- corpus ---------------------------------------------------------------------------------
# No valid split: drnn-train would validate at the end of each run, adding wall time.
bash "$SRC/jobs/kjv_labels.sh" "$WORK/kjv" >"$WORK/labels.log" 2>&1 ||
    { cat "$WORK/labels.log" >&2; echo "bench_lecture.sh: jobs/kjv_labels.sh failed" >&2; exit 65; }
"$BUILD/drnn-prep" --format labels --tokenizer word --vocab-size 8000 --valid-fraction 0 \
    -o "$WORK/kjv.h5" "$WORK/kjv/train.tsv" >"$WORK/prep.log" 2>&1 ||
    { cat "$WORK/prep.log" >&2; echo "bench_lecture.sh: drnn-prep failed" >&2; exit 65; }
CORPUS=$WORK/kjv.h5

# ---- one run of each ------------------------------------------------------------------------
# drnn_run NAME STEPS EVERY SKIP ARGS... -> median tok/s (or "fail"); parameters and real tokens
# per step to $WORK/NAME.params, $WORK/NAME.tps
drnn_run() {
    local name=$1 steps=$2 every=$3 skip=$4 probe recs
    shift 4
    probe_start
    if ! "$BUILD/drnn-train" --model classifier --data "$CORPUS" --run-dir "$WORK/$name" \
        --threads 1 --steps "$steps" --log-every "$every" "$@" >"$WORK/$name.log" 2>&1; then
        { echo "  drnn $name failed:"; tail -n 3 "$WORK/$name.log"; } >&3
        echo fail
        return
    fi
    probe_end >"$WORK/probe" # in this shell, not $(...): see lib.sh
    probe=$(<"$WORK/probe")
    mark "$name" "$probe"
    sed -nE 's/.* ([0-9]+) parameters.*/\1/p' "$WORK/$name.log" | head -n 1 >"$WORK/$name.params"
    grep -v '"split"' "$WORK/$name/metrics.jsonl" | tail -n 1 |
        sed -E 's/.*"step": ([0-9]+),.*"tokens": ([0-9]+),.*/\2 \1/' |
        awk '{ printf "%.0f\n", $1 / $2 }' >"$WORK/$name.tps"
    recs=$(train_field "$WORK/$name" tok_per_s "$skip")
    printf '  %-26s drnn  %2d records of %d steps (first %d dropped): %.0f .. %.0f tok/s (%s)\n' \
        "$name" "$(echo "$recs" | wc -l)" "$every" "$skip" "$(echo "$recs" | sort -g | head -n 1)" \
        "$(echo "$recs" | sort -g | tail -n 1)" "$probe" >&3
    echo "$recs" | median
}

# torch_run NAME STEPS WARMUP EVERY ARGS... -> tok/s (or "fail"); parameters and tokens per step
# to $WORK/NAME.params, $WORK/NAME.tps
torch_run() {
    local name=$1 steps=$2 warm=$3 every=$4 probe
    shift 4
    probe_start
    if ! "$PYTHON" "$HERE/torch_lecture.py" --data "$CORPUS" --threads 1 --steps "$steps" \
        --warmup "$warm" --every "$every" "$@" >"$WORK/$name.json" 2>"$WORK/$name.err"; then
        { echo "  torch $name failed:"; tail -n 3 "$WORK/$name.err"; } >&3
        echo fail
        return
    fi
    probe_end >"$WORK/probe"
    probe=$(<"$WORK/probe")
    mark "$name" "$probe"
    field() { sed -E "s/.*\"$1\": ([^,}]+).*/\\1/" "$WORK/$name.json"; }
    field parameters >"$WORK/$name.params"
    awk '{ printf "%.0f\n", $1 }' <<<"$(field tokens_per_step)" >"$WORK/$name.tps"
    printf '  %-26s torch %d steps after %d warm-up, %d segments: median step %.4f s (%s)\n' \
        "$name" "$((steps - warm))" "$warm" "$(field segments)" "$(field step_s_median)" \
        "$probe" >&3
    field tok_per_s
}

# ---- configs --------------------------------------------------------------------------------
# name | options common to both | drnn steps, log-every, skipped records | torch steps, warm-up,
# steps per segment
BASE="--cell lstm --layers 2 --embed 64 --batch 32 --lr 1 --clip 5"
CONFIGS=(
    "H64 plain|$BASE --hidden 64|240 20 2|70 10 10"
    "H64 residual|$BASE --hidden 64 --residual|240 20 2|70 10 10"
    "H64 self-attn 4|$BASE --hidden 64 --self-attention 4|240 20 2|70 10 10"
    "H64 residual + self-attn 4|$BASE --hidden 64 --residual --self-attention 4|240 20 2|70 10 10"
    "H128 plain|$BASE --hidden 128|160 16 2|50 8 7"
    "H128 residual + self-attn 4|$BASE --hidden 128 --residual --self-attention 4|160 16 2|50 8 7"
)
if ((QUICK)); then
    CONFIGS=("${CONFIGS[@]:0:4}")
    for i in "${!CONFIGS[@]}"; do
        IFS='|' read -r n m _ _ <<<"${CONFIGS[$i]}"
        CONFIGS[$i]="$n|$m|20 5 1|12 4 4"
    done
fi

echo "drnn training throughput vs PyTorch: the lecture's classifier (2-layer bidirectional LSTM, E 64,"
echo "mean pool, batch 32, SGD) on KJV verses by section, one rank, one thread, float32"
machine_line "$NCPU"
echo "torch $("$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo missing)," \
    "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
echo "corpus: $(sed -nE 's/.*train +([0-9]+) examples, +([0-9]+) tokens.*/\1 verses, \2 tokens/p' \
    "$WORK/prep.log"), $(sed -nE 's/.*(vocab [0-9]+).*/\1/p' "$WORK/prep.log" | head -n 1)"
echo "raw measurements:"

ROWS=()
declare -A D T
for c in "${CONFIGS[@]}"; do
    IFS='|' read -r name margs dspec tspec <<<"$c"
    read -r dsteps devery dskip <<<"$dspec"
    read -r tsteps twarm tevery <<<"$tspec"
    tag=${name// + /+} tag=${tag// /_}
    read -ra a <<<"$margs"
    d=$(drnn_run "d_$tag" "$dsteps" "$devery" "$dskip" --bidirectional --pool mean "${a[@]}")
    t=$(torch_run "t_$tag" "$tsteps" "$twarm" "$tevery" "${a[@]}")
    D[$name]=$d T[$name]=$t
    plain="${name%% *} plain"
    ROWS+=("$(printf '%-28s %9s %9s %6s %8s %8s %13s %13s' "$name" "$(fmt "$d" "d_$tag")" \
        "$(fmt "$t" "t_$tag")" "$(ratio "$d" "$t")" "$(ratio "$d" "${D[$plain]:-}")" \
        "$(ratio "$t" "${T[$plain]:-}")" \
        "$(cat "$WORK/d_$tag.params" 2>/dev/null || echo n/a)/$(cat "$WORK/t_$tag.params" 2>/dev/null || echo n/a)" \
        "$(cat "$WORK/d_$tag.tps" 2>/dev/null || echo n/a)/$(cat "$WORK/t_$tag.tps" 2>/dev/null || echo n/a)")")
done

echo
echo "tokens/s: real (unpadded) tokens per second, median after warm-up (d/t > 1: drnn faster);"
echo "vs plain: the config's tok/s over the plain model's of the same H, each side on its own;"
echo "params and tok/step: drnn/torch parameter counts and mean real tokens per step"
printf '%-28s %9s %9s %6s %8s %8s %13s %13s\n' config "drnn" "torch" "d/t" "drnn vs" "torch vs" \
    "params" "tok/step"
printf '%-28s %9s %9s %6s %8s %8s %13s %13s\n' "" "tok/s" "tok/s" "" "plain" "plain" "d/t" "d/t"
for r in "${ROWS[@]}"; do echo "$r"; done
if compgen -G "$WORK/*.noisy" >/dev/null; then
    echo "* other work used more than 0.25 CPUs during that run (see raw measurements): rerun"
fi
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0

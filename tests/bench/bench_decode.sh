#!/usr/bin/env bash
# bench_decode.sh [BUILD_DIR] — seq2seq decoding throughput of drnn-sample against PyTorch.
#
# Trains small character-level seq2seq models on the date-normalization task (jobs/date_pairs.py:
# dates as people write them -> ISO), exports them (drnn-export), and translates the same SENTS
# source lines with each of:
#   drnn   build/drnn-sample --input FILE --batch 64 (greedy, and --beam 5)
#   torch  tests/bench/torch_decode.py: the same weights in PyTorch, the same search (model/
#          search.h) batched over sources x beam, the same batches of lines
# one thread each (OPENBLAS_NUM_THREADS=1 and drnn-sample --threads 1, torch.set_num_threads(1)). A figure is the median of
# REPEAT runs after one warm-up run: sentences/s and generated tokens/s (best hypotheses, <eos>
# included), both as the programs time themselves (reading, tokenizing, decoding, writing; the
# model load left out). Both sides follow model/search.h, so their translations should be the same
# line for line: the count of identical lines is printed, with a few differing lines if any.
# A benchmark prints figures and ratios; it asserts nothing about time and is not part of ctest.
# Other work on the machine skews the figures: the load average is printed first.
#
# Environment: PYTHON (default /usr/bin/python3); REPEAT (default 3); SENTS (default 1000);
# ALPHA (beam length penalty, default 0.6); QUICK=1 for a short smoke run; KEEP=1 keeps the work
# folder (data, models, outputs) and prints its name.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as the caller set them.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd) || { echo "bench_decode.sh: no build dir ${1:-}" >&2; exit 66; }
PYTHON=${PYTHON:-/usr/bin/python3}
REPEAT=${REPEAT:-3} SENTS=${SENTS:-1000} ALPHA=${ALPHA:-0.6}
BATCH=64 BEAM=5
for b in drnn-prep drnn-train drnn-export drnn-sample; do
    [[ -x $BUILD/$b ]] || { echo "bench_decode.sh: $BUILD/$b missing; build first" >&2; exit 66; }
done

NCPU=$(nproc) # before OMP_NUM_THREADS=1, which nproc obeys
source "$HERE/lib.sh" # machine_line, mpi_env, median, probe_start/probe_end, mark, star, ratio, fmt, train_field
mpi_env
# One thread per process everywhere (torch_decode.py also calls set_num_threads(1)).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

WORK=$(mktemp -d /tmp/drnn-bench-decode.XXXXXX)
exec 3>&1 # the helpers' detail lines go to fd 3 (stdout) while $(...) captures their result
if [[ ${KEEP:-0} == 1 ]]; then
    trap 'echo "work folder kept: $WORK"' EXIT
else
    trap 'rm -rf "$WORK"' EXIT
fi

# ---- configs --------------------------------------------------------------------------------
# name | drnn-train model and step args (global batch 64, SGD lr 1, clip 1)
TRAIN_COMMON="--model seq2seq --bidirectional --embed 32 --batch 64 --lr 1 --clip 1 --threads 1"
CONFIGS=(
    "GRU H128 L1|--hidden 128 --steps 800"
    "GRU H256 L2|--hidden 256 --layers 2 --steps 400"
)
NPAIRS=30000
if [[ ${QUICK:-0} == 1 ]]; then
    CONFIGS=("GRU H64 L1|--hidden 64 --steps 150")
    NPAIRS=5000 SENTS=200 REPEAT=1
fi
RANKS=1
command -v mpirun >/dev/null && RANKS=2

echo "drnn seq2seq decoding throughput vs PyTorch (date normalization, char tokenizer, float32)"
machine_line "$NCPU"
echo "torch $("$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo missing)," \
    "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}," \
    "1 thread per process"

# ---- data -----------------------------------------------------------------------------------
# Training pairs from seed 1, the decoded lines from seed 2 (sources only; targets kept to score).
if ! { "$PYTHON" "$SRC/jobs/date_pairs.py" --n "$NPAIRS" --seed 1 -o "$WORK/train.tsv" &&
    "$PYTHON" "$SRC/jobs/date_pairs.py" --n "$SENTS" --seed 2 -o "$WORK/test.tsv" &&
    "$BUILD/drnn-prep" --format pairs --tokenizer char -o "$WORK/pairs.h5" "$WORK/train.tsv"; } \
    >"$WORK/prep.log" 2>&1; then
    cat "$WORK/prep.log"; echo "bench_decode.sh: cannot prepare the data" >&2; exit 65
fi
cut -f1 "$WORK/test.tsv" >"$WORK/src.txt"
cut -f2 "$WORK/test.tsv" >"$WORK/ref.txt"
echo "data: $NPAIRS training pairs (jobs/date_pairs.py --seed 1), $SENTS source lines to decode" \
    "(--seed 2); decoding: --batch $BATCH, greedy and --beam $BEAM --length-penalty $ALPHA," \
    "--max-ratio 2; median of $REPEAT runs after a warm-up"
[[ -n ${CEIL:-} ]] || sgemm_ceiling "$( ((${QUICK:-0})) && echo 5 || echo 15)" # unless run passed it
echo "raw measurements:"

# ---- helpers (drnn_decode, torch_decode and same are lib.sh's) -------------------------------

# exact OUT -> share of the lines equal to the reference ISO date
exact() { paste -d '\t' "$1" "$WORK/ref.txt" |
    awk -F'\t' '$1 == $2 { s++ } END { printf "%.1f%%", 100 * s / NR }'; }

# ---- runs -----------------------------------------------------------------------------------
ROWS=()
for c in "${CONFIGS[@]}"; do
    IFS='|' read -r name margs <<<"$c"
    tag=${name// /_}
    run=$WORK/run_$tag model=$WORK/$tag.h5
    cmd=("$BUILD/drnn-train")
    ((RANKS > 1)) && cmd=(mpirun -q -n "$RANKS" "$BUILD/drnn-train")
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086  # word lists by design
    if ! "${cmd[@]}" $TRAIN_COMMON $margs --data "$WORK/pairs.h5" --run-dir "$run" \
        --log-every 100 >"$WORK/train_$tag.log" 2>&1 ||
        ! "$BUILD/drnn-export" "$run" -o "$model" >>"$WORK/train_$tag.log" 2>&1; then
        echo "training $name failed:"; tail -n 5 "$WORK/train_$tag.log"
        continue
    fi
    params=$(sed -nE 's/^wrote .*, ([0-9]+) parameters.*/\1/p' "$WORK/train_$tag.log")
    valid=$(grep '^valid step' "$WORK/train_$tag.log" | tail -n 1)
    echo "  $name: trained on $RANKS rank(s) in $(awk -v a="$t0" -v b="$(date +%s.%N)" \
        'BEGIN { printf "%.0f", b - a }') s, $params parameters; valid exact match" \
        "$(sed -nE 's/.*exact ([0-9.]+).*/\1/p' <<<"$valid"), loss" \
        "$(sed -nE 's/.*loss ([0-9.]+).*/\1/p' <<<"$valid")" \
        "$(sed -nE 's/.*\(([0-9]+ pairs)\).*/(\1)/p' <<<"$valid")"
    for mode in greedy beam$BEAM; do
        args=()
        [[ $mode != greedy ]] && args=(--beam "$BEAM" --length-penalty "$ALPHA")
        read -r ds dt <<<"$(drnn_decode "drnn_${tag}_$mode" "$model" "${args[@]}")"
        read -r ts tt <<<"$(torch_decode "torch_${tag}_$mode" "$model" "${args[@]}")"
        ident=$(same "$WORK/drnn_${tag}_$mode.out" "$WORK/torch_${tag}_$mode.out")
        # GEMM FLOPs per sentence of drnn's translations (tests/bench/kind_flops.py; a lower bound)
        read -ra ma <<<"$margs"
        layers=$(arg_of layers "${ma[@]}")
        f=$("$PYTHON" "$HERE/kind_flops.py" decode --src "$WORK/src.txt" \
            --out "$WORK/drnn_${tag}_$mode.out" --data "$WORK/pairs.h5" --embed 32 --bidirectional \
            --hidden "$(arg_of hidden "${ma[@]}")" --layers "${layers:-1}" \
            --beam "$([[ $mode == greedy ]] && echo 0 || echo "$BEAM")" 2>/dev/null)
        ROWS+=("$(printf '%-12s %-7s %9s %9s %9s %9s %6s %7s %7s %10s %7s' "$name" "$mode" \
            "$(fmt "$ds" "drnn_${tag}_$mode")" "$(fmt "$ts" "torch_${tag}_$mode")" \
            "$(fmt "$dt" "drnn_${tag}_$mode")" "$(fmt "$tt" "torch_${tag}_$mode")" \
            "$(ratio "$ds" "$ts")" "$(pct "$ds" "$f")" "$(pct "$ts" "$f")" "$ident" \
            "$(exact "$WORK/drnn_${tag}_$mode.out")")")
    done
done

echo
echo "sentences/s and generated tokens/s (median of $REPEAT runs, one thread each; d/t > 1: drnn"
echo "faster); identical: output lines equal between drnn and torch; exact: drnn's translations"
echo "equal to the ISO date; drnn %, torch %: sentences/s x GEMM FLOPs per sentence"
echo "(tests/bench/kind_flops.py: encoder, attention keys, and the decoder steps of drnn's"
echo "translations, beam K counted as 1 + K (len - 1) hypothesis steps: a lower bound) over the"
echo "sgemm ceiling${CEIL:+ of $(printf '%.1f' "$CEIL") GFLOP/s}; d/t = 2 would need drnn at twice torch's %"
printf '%-12s %-7s %9s %9s %9s %9s %6s %7s %7s %10s %7s\n' config mode "drnn s/s" "torch s/s" \
    "drnn t/s" "torch t/s" "d/t" "drnn %" "torch %" identical exact
for r in "${ROWS[@]}"; do echo "$r"; done
if compgen -G "$WORK/*.noisy" >/dev/null; then
    echo "* other work used more than 0.25 CPUs during that run (see raw measurements): rerun"
fi
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0

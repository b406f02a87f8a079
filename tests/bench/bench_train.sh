#!/usr/bin/env bash
# bench_train.sh [BUILD_DIR] — training throughput of drnn-train against PyTorch, 1 and 2 ranks.
#
# For each config (GRU LM on the bundled KJV corpus, char tokenizer) it measures steady-state
# tokens/s of:
#   drnn 1 rank        build/drnn-train --threads 1
#   drnn 2 ranks       mpirun -q -n 2 build/drnn-train --threads 1, global batch 2B (same per rank)
#   torch 1 proc       tests/bench/torch_lm.py (same model, step and data layout), 1 thread
#   torch DDP 2 procs  tests/bench/torch_lm.py --nprocs 2 (gloo on 127.0.0.1), 1 thread each, 2B
# drnn figure: median of metrics.jsonl tok_per_s records (one per --log-every segment), the first
# few records (warm-up) dropped. torch figure: median per-step time, first steps dropped.
# A benchmark prints figures and ratios; it asserts nothing about time and is not part of ctest.
# Other work on the machine skews the figures: the load average is printed first.
#
# Environment: PYTHON (default /usr/bin/python3); QUICK=1 for a short smoke run.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as the caller set them.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd) || { echo "bench_train.sh: no build dir ${1:-}" >&2; exit 66; }
PYTHON=${PYTHON:-/usr/bin/python3}
for b in drnn-prep drnn-train; do
    [[ -x $BUILD/$b ]] || { echo "bench_train.sh: $BUILD/$b missing; build first" >&2; exit 66; }
done

NCPU=$(nproc) # before OMP_NUM_THREADS=1, which nproc obeys
source "$HERE/lib.sh" # machine_line, mpi_env, median, probe_start/probe_end, mark, star, ratio, fmt, train_field
mpi_env
# One thread per process everywhere (drnn also gets --threads 1; torch also set_num_threads(1)).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

WORK=$(mktemp -d /tmp/drnn-bench.XXXXXX)
exec 3>&1 # the helpers' detail lines go to fd 3 (stdout) while $(...) captures their result
trap 'rm -rf "$WORK"' EXIT

# ---- corpus ---------------------------------------------------------------------------------
# A private copy without a valid split: drnn-train validates at the end of every run, which adds
# wall time (not to tok/s) — a full 5% split costs 10-20 s a run here. Prep takes 0.2 s.
CORPUS=$WORK/kjv-char.h5
if ! "$BUILD/drnn-prep" --tokenizer char --valid-fraction 0 -o "$CORPUS" "$SRC/data/kjv.txt.gz" \
    >"$WORK/prep.log" 2>&1; then
    if [[ -s $SRC/runs/kjv-char.h5 ]]; then
        echo "note: drnn-prep failed ($(tail -n 1 "$WORK/prep.log")); reusing runs/kjv-char.h5"
        CORPUS=$SRC/runs/kjv-char.h5
    else
        cat "$WORK/prep.log"; echo "bench_train.sh: cannot prepare the corpus" >&2; exit 65
    fi
fi

# ---- helpers --------------------------------------------------------------------------------

# drnn_run NAME NRANKS STEPS LOG_EVERY SKIP_RECORDS ARGS... -> prints median tok/s (or "fail")
drnn_run() {
    local name=$1 n=$2 steps=$3 every=$4 skip=$5
    shift 5
    local dir=$WORK/$name cmd=("$BUILD/drnn-train")
    probe_start
    ((n > 1)) && cmd=(mpirun -q -n "$n" "$BUILD/drnn-train")
    if ! "${cmd[@]}" --data "$CORPUS" --run-dir "$dir" --threads 1 --steps "$steps" \
        --log-every "$every" "$@" >"$WORK/$name.log" 2>&1; then
        { echo "drnn run $name failed:"; tail -n 5 "$WORK/$name.log"; } >&3
        echo fail
        return
    fi
    local recs probe
    probe_end >"$WORK/probe" # not $(...): see probe_start
    probe=$(<"$WORK/probe")
    mark "$name" "$probe"
    recs=$(grep -v '"split"' "$dir/metrics.jsonl" | sed -E 's/.*"tok_per_s": ([^,]+),.*/\1/' |
        tail -n +$((skip + 1)))
    # Exposed communication: the share of wall time spent waiting in the all-reduces (after
    # backward, i.e. what the overlap did not hide), median over the same segments.
    grep -v '"split"' "$dir/metrics.jsonl" | sed -E 's/.*"comm_frac": ([^,]+),.*/\1/' |
        tail -n +$((skip + 1)) | median >"$WORK/$name.comm"
    # The last record can be a partial segment when steps % every != 0: callers avoid that.
    printf '  %-28s %2d segments of %d steps: min %.0f  max %.0f tok/s  (%s)\n' "$name" \
        "$(echo "$recs" | wc -l)" "$every" "$(echo "$recs" | sort -g | head -n 1)" \
        "$(echo "$recs" | sort -g | tail -n 1)" "$probe" >&3
    echo "$recs" | median
}

# torch_run NAME NPROCS STEPS WARMUP ARGS... -> prints median tok/s (or "fail")
torch_run() {
    local name=$1 n=$2 steps=$3 warm=$4
    shift 4
    probe_start
    if ! "$PYTHON" "$HERE/torch_lm.py" --data "$CORPUS" --nprocs "$n" --threads 1 \
        --steps "$steps" --warmup "$warm" "$@" >"$WORK/$name.json" 2>"$WORK/$name.err"; then
        { echo "torch run $name failed:"; tail -n 5 "$WORK/$name.err"; } >&3
        echo fail
        return
    fi
    local tps probe
    probe_end >"$WORK/probe" # not $(...): see probe_start
    probe=$(<"$WORK/probe")
    mark "$name" "$probe"
    tps=$(sed -E 's/.*"tok_per_s": ([^,]+),.*/\1/' "$WORK/$name.json")
    printf '  %-28s %2d timed steps: median step %.4f s  (%s)\n' "$name" "$((steps - warm))" \
        "$(sed -E 's/.*"step_s_median": ([^,]+),.*/\1/' "$WORK/$name.json")" \
        "$probe" >&3
    echo "$tps"
}


# ---- configs --------------------------------------------------------------------------------
# name | model args | drnn steps, log-every, skipped records | torch steps, warm-up steps
# Sized for about 4 minutes in all on a 2-core machine.
CONFIGS=(
    "E64 H256 T64 B32|--embed 64 --hidden 256 --seq-len 64 --batch 32|90 5 2|60 10"
    "E64 H512 T64 B32|--embed 64 --hidden 512 --seq-len 64 --batch 32|40 4 2|36 6"
    "E64 H256 T32 B128|--embed 64 --hidden 256 --seq-len 32 --batch 128|60 5 2|45 8"
)
if [[ ${QUICK:-0} == 1 ]]; then
    CONFIGS=("E32 H64 T16 B8|--embed 32 --hidden 64 --seq-len 16 --batch 8|20 2 2|12 4")
fi

echo "drnn training throughput vs PyTorch (GRU LM, char KJV, float32, SGD lr 1, clip 5)"
machine_line "$NCPU"
echo "torch $("$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo missing)," \
    "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}," \
    "1 thread per process"
echo "raw measurements:"

ROWS=()
DDP_FAILED=0
for c in "${CONFIGS[@]}"; do
    IFS='|' read -r name margs dspec tspec <<<"$c"
    read -r dsteps devery dskip <<<"$dspec"
    read -r tsteps twarm <<<"$tspec"
    tag=${name// /_}
    # 2 ranks / 2 processes keep the per-rank batch: global batch 2B (weak scaling, as DDP users
    # scale), so 2r/1r is the global throughput gain of adding a rank.
    b1=$(sed -nE 's/.*--batch ([0-9]+).*/\1/p' <<<"$margs")
    margs2=${margs/--batch $b1/--batch $((2 * b1))}
    # shellcheck disable=SC2086  # margs is a word list by design
    d1=$(drnn_run "drnn1_$tag" 1 "$dsteps" "$devery" "$dskip" $margs)
    # shellcheck disable=SC2086
    d2=$(drnn_run "drnn2_$tag" 2 "$dsteps" "$devery" "$dskip" $margs2)
    # shellcheck disable=SC2086
    t1=$(torch_run "torch1_$tag" 1 "$tsteps" "$twarm" $margs)
    # shellcheck disable=SC2086
    t2=$(torch_run "torchddp2_$tag" 2 "$tsteps" "$twarm" $margs2)
    [[ $t2 == fail ]] && DDP_FAILED=1
    ROWS+=("$(printf '%-18s %10s %10s %8s %10s %10s %8s %9s %8s' "$name" "$(fmt "$d1" "drnn1_$tag")" \
        "$(fmt "$t1" "torch1_$tag")" "$(ratio "$d1" "$t1")" "$(fmt "$d2" "drnn2_$tag")" \
        "$(fmt "$t2" "torchddp2_$tag")" \
        "$(ratio "$d2" "$t2")" "$(ratio "$d2" "$d1")" \
        "$(awk -v c="$(cat "$WORK/drnn2_$tag.comm" 2>/dev/null)" 'BEGIN { if (c == "") print "n/a"; else printf "%.1f%%", 100 * c }')")")
done

echo
echo "tokens/s (global, median of steady-state segments; ratio > 1: drnn faster); 2 ranks run"
echo "the same per-rank batch as 1 (global batch 2B);"
echo "comm 2r: exposed communication, share of drnn's 2-rank step time spent waiting on all-reduces"
printf '%-18s %10s %10s %8s %10s %10s %8s %9s %8s\n' config "drnn 1r" "torch 1p" "d/t" \
    "drnn 2r" "torch DDP2" "d/t" "drnn 2r/1r" "comm 2r"
for r in "${ROWS[@]}"; do echo "$r"; done
if compgen -G "$WORK/*.noisy" >/dev/null; then
    echo "* other work used more than 0.25 CPUs during that run (see raw measurements): rerun"
fi
if ((DDP_FAILED)); then
    echo "note: PyTorch DDP (gloo, 2 processes) failed in this environment; see the messages above"
fi
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0

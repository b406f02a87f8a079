#!/usr/bin/env bash
# tests/bench/profile.sh [BUILD_DIR] — where a training step's time goes, by sampling: perf record
# (cpu-clock, 999 Hz) on one rank, one thread, of the LM configs of tests/bench/run, after the
# start-up (perf's --delay), and each profile's samples sorted into what they did:
#
#   gemm      OpenBLAS's sgemm inner kernel: the multiply-adds themselves
#   packing   OpenBLAS copying operands into its panel layout (sgemm_*copy*): paid on every call,
#             so on every time step for the recurrent products (W_hh is packed T times a step)
#   blas      the rest of OpenBLAS (level 1/2, drivers)
#   gates     drnn's fused gate math (cells.c, libmvec's vector expf/tanhf)
#   softmax   softmax and cross-entropy (kernels.c), the adaptive softmax's own loops
#   update    optimizer, clipping, gradient norms
#   memory    libc memset/memcpy, page faults and the rest of the kernel
#   other     everything else (drnn's loop, data, HDF5, MPI)
#
# Prints the machine and load average first, one line per config with the shares in %, and the ten largest
# symbols outside OpenBLAS of each. About 5 minutes; QUICK=1 runs fewer steps of smaller models.
# Needs perf (linux-perf); without it, or when perf cannot sample, it says so and exits 69.
# A benchmark: it prints, it asserts nothing. Run it under the CPU lock on a shared machine.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd) || { echo "profile.sh: no build dir ${1:-}" >&2; exit 66; }
QUICK=${QUICK:-0}
command -v perf >/dev/null || { echo "profile.sh: perf missing (apt-get install linux-perf)" >&2; exit 69; }
WORK=$(mktemp -d /tmp/drnn-profile.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source "$HERE/lib.sh" # machine_line
machine_line "$(nproc)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
zcat "$SRC/data/kjv.txt.gz" >"$WORK/kjv.txt"
for c in "char --tokenizer char" "w10k --tokenizer word --vocab-size 10000" "word --tokenizer word"; do
    read -r name args <<<"$c"
    # shellcheck disable=SC2086 # args are words
    "$BUILD/drnn-prep" --valid-fraction 0 -o "$WORK/$name.h5" $args "$WORK/kjv.txt" \
        >"$WORK/prep.log" 2>&1 || { cat "$WORK/prep.log" >&2; exit 65; }
done

# category SYMBOL DSO -> one of the categories above
categorize() {
    awk '
    function cat(sym, dso) {
        if (dso ~ /openblas/) {
            if (sym ~ /^sgemm_kernel/) return "gemm"
            if (sym ~ /^sgemm_.*copy/) return "packing"
            return "blas"
        }
        if (sym ~ /^(cell_|rnn_step|gru_step|lstm_step|_ZGV.*(expf|tanhf))/ ||
            sym ~ /^(rnn|gru|lstm)_step/) return "gates"
        if (sym ~ /softmax|adaptive_|^__expf|^expf/) return "softmax"
        if (sym ~ /^(optim_|clip|grad_norm|params_norm)/) return "update"
        if (sym ~ /^__mem(set|cpy|move)/ || dso ~ /kernel/) return "memory"
        return "other"
    }
    /^#/ || NF < 3 { next }
    {
        pct = $1; sub(/%/, "", pct); dso = $2; sym = $3
        for (i = 4; i <= NF; i++) sym = sym " " $i
        sub(/^\[[.k]\] /, "", sym)
        c = cat(sym, dso); s[c] += pct
        if (dso !~ /openblas/ && n < 10) { top = top sprintf(" %s %.1f%%,", sym, pct); n++ }
    }
    END {
        printf "%6.1f %7.1f %5.1f %5.1f %7.1f %6.1f %6.1f %5.1f\n", s["gemm"], s["packing"],
            s["blas"], s["gates"], s["softmax"], s["update"], s["memory"], s["other"]
        sub(/,$/, "", top); print "    outside OpenBLAS:" top
    }'
}

STEPS=400 DELAY=4000
((QUICK)) && STEPS=60 DELAY=1000
printf '%-36s %8s %6s %7s %5s %5s %7s %6s %6s %5s\n' config "tok/s" gemm packing blas gates \
    softmax update memory other
run() { # run NAME CORPUS STEPS ARGS...
    local name=$1 corpus=$2 steps=$3
    shift 3
    if ! perf record -q -F 999 --delay "$DELAY" -o "$WORK/$name.data" -- "$BUILD/drnn-train" \
        --data "$WORK/$corpus.h5" --run-dir "$WORK/$name" --threads 1 --steps "$steps" \
        --log-every 10 "$@" >"$WORK/$name.log" 2>&1; then
        printf '%-36s perf or drnn-train failed: %s\n' "$name" "$(tail -n 1 "$WORK/$name.log")"
        return
    fi
    local tps
    tps=$(grep -v '"split"' "$WORK/$name/metrics.jsonl" | sed -E 's/.*"tok_per_s": ([^,}]+).*/\1/' |
        tail -n +3 | sort -g | awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : "n/a" }')
    perf report -i "$WORK/$name.data" --stdio --no-children --sort dso,sym 2>/dev/null |
        categorize >"$WORK/$name.cat" || true
    if [[ ! -s $WORK/$name.cat ]]; then
        printf '%-36s perf recorded no samples (perf_event_paranoid?)\n' "$name"
        return
    fi
    printf '%-36s %8.0f %s\n' "$name" "$tps" "$(head -n 1 "$WORK/$name.cat")"
    tail -n 1 "$WORK/$name.cat"
}
H=512 E=128 WE=512
((QUICK)) && H=64 E=32 WE=64
run "char GRU E$E H$H T64 B32" char "$STEPS" --cell gru --embed $E --hidden $H --seq-len 64 --batch 32
run "char GRU E$E H128 T64 B64" char $((STEPS * 4)) --cell gru --embed $E --hidden 128 --seq-len 64 \
    --batch 64
run "char LSTM E$E H$H T64 B32" char "$STEPS" --cell lstm --embed $E --hidden $H --seq-len 64 --batch 32
run "word GRU E$WE H$H V10k T35 B32" w10k $((STEPS / 4)) --cell gru --embed $WE --hidden $H \
    --seq-len 35 --batch 32
run "word GRU E$WE H$H full V, adaptive" word $((STEPS / 2)) --cell gru --embed $WE --hidden $H \
    --seq-len 35 --batch 32 --softmax adaptive --cutoffs 2000,10000 --div-value 4

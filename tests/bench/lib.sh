# tests/bench/lib.sh — helpers shared by the benchmarks: the machine line, Open MPI's environment,
# medians, how much other work shared the machine during a run (probe_*, mark and star use WORK
# when called), the figures' formatting, and seq2seq decoding runs (drnn_decode, torch_decode,
# same: bench_decode.sh and run), arg_of, and the sgemm ceiling (sgemm_ceiling, pct).

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan";
    else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# CPU seconds the whole machine spent busy (user, nice, system, irq, softirq, steal), and the CPU
# seconds of this shell's finished children: their difference over a run is other work's share.
cpu_busy() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { print ($2 + $3 + $4 + $7 + $8 + $9) / hz; exit }' /proc/stat; }
# `times` must run in the shell that waited for the run, not in a $(...) subshell of it.
kids_sum() { tail -n 1 "$1" | awk '{ s = 0; for (i = 1; i <= NF; i++) { split($i, p, "m");
    s += p[1] * 60 + p[2] } print s }'; }
probe_start() { P_BUSY=$(cpu_busy) P_WALL=$(date +%s.%N); times >"$WORK/times0"; }
# Prints "other work X CPUs": average CPUs busy with anything but this run, since probe_start.
probe_end() {
    times >"$WORK/times1"
    awk -v b0="$P_BUSY" -v b1="$(cpu_busy)" -v k0="$(kids_sum "$WORK/times0")" \
        -v k1="$(kids_sum "$WORK/times1")" -v w0="$P_WALL" -v w1="$(date +%s.%N)" \
        'BEGIN { o = ((b1 - b0) - (k1 - k0)) / (w1 - w0); printf "other work %.2f CPUs", o < 0 ? 0 : o }'
}
# mark NAME PROBE: figures of runs that shared the machine with more than 0.25 CPUs get a '*'.
mark() { awk -v p="$2" 'BEGIN { split(p, w, " "); exit !(w[3] > 0.25) }' && touch "$WORK/$1.noisy"; }
star() { [[ -e $WORK/$1.noisy ]] && echo '*'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b;
    else printf "n/a" }'; }
fmt() { awk -v a="$1" -v s="$(star "$2")" 'BEGIN { if (a + 0 > 0) printf "%.0f%s", a, s;
    else printf "%s", a }'; }

# train_field RUN FIELD SKIP: FIELD of each training record of RUN/metrics.jsonl, one per line,
# the first SKIP records (warm-up) left out.
train_field() { grep -v '"split"' "$1/metrics.jsonl" | sed -E "s/.*\"$2\": ([^,}]+).*/\\1/" |
    tail -n +$(($3 + 1)); }

# machine_line NCPU: the CPUs, CPU model and load average a benchmark prints first (NCPU from
# nproc, taken before OMP_NUM_THREADS=1, which nproc obeys).
machine_line() { echo "machine: $1 CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')," \
    "load average at start $(cut -d' ' -f1-3 /proc/loadavg)"; }
# mpi_env: what Open MPI needs to run here: as root, more ranks than cores, no CMA in containers.
mpi_env() { export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none; }

# bench_build NAME [DIR] PROGRAM...: sets BUILD to DIR (default $SRC/build) after checking that
# it holds every PROGRAM; otherwise says so, naming the benchmark, and returns 66.
bench_build() {
    local name=$1 dir=${2:-$SRC/build} b
    shift 2
    BUILD=$(cd "$dir" 2>/dev/null && pwd) || { echo "$name: no build dir $dir" >&2; return 66; }
    for b in "$@"; do
        [[ -x $BUILD/$b ]] || { echo "$name: $BUILD/$b missing; build first" >&2; return 66; }
    done
}

# arg_of NAME ARGS...: the value after --NAME in ARGS, or nothing.
arg_of() {
    local key=--$1
    shift
    while (($#)); do [[ $1 == "$key" ]] && { echo "$2"; return; }; shift; done
}

# ---- the ceiling ----------------------------------------------------------------------------
# sgemm_ceiling REPS: sets CEIL to one core's OpenBLAS sgemm GFLOP/s (1024^3, median of REPS calls
# after 2 warm-ups; empty if the probe cannot be built or run) and prints it. Reads WORK, CC.
sgemm_ceiling() {
    cat >"$WORK/sgemm.c" <<'EOF'
/* sgemm N REPS: GFLOP/s of each of REPS calls of C = A B (N x N, float32), after 2 warm-ups. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
    const int n = atoi(argv[1]), reps = atoi(argv[2]);
    float *a = malloc(sizeof(float) * n * n * 3), *b = a + n * n, *c = b + n * n;
    if (!a) return 1;
    for (long i = 0; i < 3L * n * n; i++) a[i] = (float)(i % 7) * 0.25f - 0.5f;
    for (int r = -2; r < reps; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, a, n, b, n, 0.f, c, n);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (r >= 0) printf("%.3f\n", 2.0 * n * n * (double)n / s / 1e9);
    }
    free(a);
    return 0;
}
EOF
    CEIL=
    if ${CC:-cc} -O2 -o "$WORK/sgemm" "$WORK/sgemm.c" -lopenblas 2>"$WORK/cc.log" &&
        "$WORK/sgemm" 1024 "$1" >"$WORK/sgemm.out"; then
        CEIL=$(median <"$WORK/sgemm.out")
        printf 'ceiling: OpenBLAS sgemm 1024^3, 1 thread: %.1f GFLOP/s (median of %d; min %.1f max %.1f)\n' \
            "$CEIL" "$(wc -l <"$WORK/sgemm.out")" "$(sort -g "$WORK/sgemm.out" | head -n 1)" \
            "$(sort -g "$WORK/sgemm.out" | tail -n 1)"
    else
        echo "ceiling: could not build or run the sgemm probe ($(tail -n 1 "$WORK/cc.log")); % columns n/a"
    fi
}

# pct PER_S FLOPS -> % of the ceiling CEIL (PER_S x FLOPS per unit over it), or n/a
pct() { awk -v t="$1" -v f="$2" -v c="${CEIL:-0}" 'BEGIN { if (t + 0 > 0 && f + 0 > 0 && c > 0)
    printf "%.0f%%", 100 * t * f / (c * 1e9); else printf "n/a" }'; }

# ---- seq2seq decoding (bench_decode.sh, run) ------------------------------------------------
# These read BUILD, PYTHON, HERE (tests/bench), WORK, REPEAT, BATCH and $WORK/src.txt (the source
# lines) when called.

# drnn_decode NAME MODEL ARGS... -> prints "sent/s tok/s" medians (or "fail fail"); translations
# of the last run in $WORK/NAME.out
drnn_decode() {
    local name=$1 model=$2
    shift 2
    local r probe
    probe_start
    for ((r = 0; r <= REPEAT; r++)); do # run 0: warm-up
        if ! "$BUILD/drnn-sample" --ckpt "$model" --input "$WORK/src.txt" --batch "$BATCH" \
            --threads "${DECODE_THREADS:-1}" "$@" \
            >"$WORK/$name.out" 2>"$WORK/$name.err"; then
            { echo "drnn-sample $name failed:"; tail -n 5 "$WORK/$name.err"; } >&3
            echo fail fail
            return
        fi
        ((r > 0)) && sed -nE 's/.* ([0-9.]+) sentences\/s, ([0-9.]+) tokens\/s.*/\1 \2/p' \
            "$WORK/$name.err" >>"$WORK/$name.runs"
    done
    probe_end >"$WORK/probe" # not $(...): see probe_start
    probe=$(<"$WORK/probe")
    mark "$name" "$probe"
    printf '  %-24s %d runs: %s sentences/s  (%s)\n' "$name" "$REPEAT" \
        "$(cut -d' ' -f1 "$WORK/$name.runs" | sort -g | tr '\n' ' ')" "$probe" >&3
    echo "$(cut -d' ' -f1 "$WORK/$name.runs" | median) $(cut -d' ' -f2 "$WORK/$name.runs" | median)"
}

# torch_decode NAME MODEL ARGS... -> prints "sent/s tok/s" medians (or "fail fail"); translations
# in $WORK/NAME.out
torch_decode() {
    local name=$1 model=$2
    shift 2
    local probe
    probe_start
    if ! "$PYTHON" "$HERE/torch_decode.py" --model "$model" --input "$WORK/src.txt" \
        --batch "$BATCH" --threads 1 --warmup 1 --repeat "$REPEAT" -o "$WORK/$name.out" "$@" \
        >"$WORK/$name.json" 2>"$WORK/$name.err"; then
        { echo "torch_decode.py $name failed:"; tail -n 5 "$WORK/$name.err"; } >&3
        echo fail fail
        return
    fi
    probe_end >"$WORK/probe" # not $(...): see probe_start
    probe=$(<"$WORK/probe")
    mark "$name" "$probe"
    printf '  %-24s %d runs: %s sentences/s  (%s)\n' "$name" "$REPEAT" \
        "$(sed -E 's/.*"sentences": ([0-9]+),.*"run_s": \[([^]]*)\].*/\1 \2/' "$WORK/$name.json" |
            tr -d , | awk '{ for (i = 2; i <= NF; i++) printf "%.1f ", $1 / $i }' |
            tr ' ' '\n' | sort -g | tr '\n' ' ')" "$probe" >&3
    sed -E 's/.*"sent_per_s": ([^,]+),.*"tok_per_s": ([^,]+),.*/\1 \2/' "$WORK/$name.json"
}

# same A B -> "N/M" identical lines; prints up to 3 differing lines to fd 3.
same() {
    local n m
    n=$(paste -d '\n' "$1" "$2" | awk 'NR % 2 { a = $0; next } $0 == a { s++ } END { print s + 0 }')
    m=$(wc -l <"$1")
    if ((n != m)) || [[ $(wc -l <"$2") != "$m" ]]; then
        echo "  $(basename "$1" .out) and $(basename "$2" .out) differ;" \
            "first differing lines (line: source | drnn | torch):" >&3
        paste -d '\t' "$WORK/src.txt" "$1" "$2" | awk -F'\t' '$2 != $3 {
            print "    " NR ": " $1 " | " $2 " | " $3; if (++k == 3) exit }' >&3
    fi
    echo "$n/$m"
}

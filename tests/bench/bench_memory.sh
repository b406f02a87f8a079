#!/usr/bin/env bash
# bench_memory.sh [BUILD_DIR] — drnn-prep's speed and memory, and drnn-train's per-rank memory on
# a large and a small corpus (about 3 minutes, about 4 GB of temporary files under /tmp).
#
# It makes, under a folder in /tmp that it removes however it ends:
#   text500.txt  500 MB of text: the bundled data/kjv.txt.gz (4.1 MB) repeated, cut at 500 MB;
#   big.h5       2.0e9 char tokens (2 GB of ids, one byte each): drnn-prep of text500.txt given
#                four times as INPUT (joined as by cat), --valid-fraction 0.0001 (200 000 valid
#                tokens);
#   small.h5     2.0e7 char tokens (20 MB): the first 20 MB of text500.txt, --valid-fraction 0.01
#                (the same 200 000 valid tokens);
#   ratio.h5     the same 20 MB without a valid split, for the model-size run.
# and prints:
#   - drnn-prep --tokenizer char on text500.txt (page-cached): MB of text per second and peak
#     resident memory (/usr/bin/time), three runs;
#   - drnn-train on big.h5 and on small.h5, 2 ranks, the same GRU LM (E64 H256 T64, global batch
#     32, 300 steps, validation at the end): each rank's peak resident memory (drnn-train's own
#     "memory per rank" line) and the difference between the corpora;
#   - one larger model (E256 H1024, 2 layers, momentum, 1 rank, 3 steps): peak resident memory
#     against the bytes drnn-train computes (parameters, gradients, optimizer state, the model
#     kind's buffers).
# PREP_ONLY=1 stops after the drnn-prep runs (about 30 s, 1 GB under /tmp).
# A benchmark prints figures; it asserts nothing about time and is not part of ctest. Run it
# under the machine's lock (flock /tmp/drnn-cpu.lock) so other work does not skew it.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
source "$HERE/lib.sh" # bench_build, mpi_env, machine_line
bench_build bench_memory.sh "${1:-}" drnn-prep drnn-train || exit $?
[[ -x /usr/bin/time ]] || { echo "bench_memory.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 69; }
mpi_env

WORK=$(mktemp -d /tmp/drnn-bench-memory.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM HUP # through the EXIT trap: the files go whatever ends the run

echo "drnn memory benchmark: drnn-prep speed and memory, drnn-train per-rank memory"
echo "$(machine_line "$(nproc)"); $(df -h /tmp | awk 'NR == 2 { print $4 }') free in /tmp"

# ---- inputs ---------------------------------------------------------------------------------
zcat "$SRC/data/kjv.txt.gz" >"$WORK/kjv.txt" || { echo "cannot read data/kjv.txt.gz" >&2; exit 66; }
(
    set +o pipefail # head ends the loop: cat then fails with SIGPIPE
    while cat "$WORK/kjv.txt"; do :; done | head -c 500000000 >"$WORK/text500.txt"
)
head -c 20000000 "$WORK/text500.txt" >"$WORK/text20.txt"
cat "$WORK/text500.txt" >/dev/null # page-cached, as for every run below

mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

# ---- drnn-prep ------------------------------------------------------------------------------
echo
echo "drnn-prep --tokenizer char, 500 MB of text (KJV repeated), default --valid-fraction 0.05:"
for i in 1 2 3; do
    if ! /usr/bin/time -f "%e %M" -o "$WORK/time" "$BUILD/drnn-prep" --tokenizer char \
        -o "$WORK/prep.h5" "$WORK/text500.txt" >"$WORK/prep.log" 2>&1; then
        tail -n 3 "$WORK/prep.log"
        echo "drnn-prep failed" >&2
        exit 1
    fi
    read -r secs kb <"$WORK/time"
    awk -v s="$secs" -v kb="$kb" -v i="$i" -v f="$(stat -c %s "$WORK/prep.h5")" 'BEGIN {
        printf "  run %d: %.2f s = %.0f MB/s, peak RSS %.1f MB, corpus file %.0f MB (%.2f of the text)\n",
               i, s, 500 / s, kb * 1024 / 1e6, f / 1e6, f / 5e8 }'
done
rm -f "$WORK/prep.h5"
if [[ ${PREP_ONLY:-0} == 1 ]]; then
    echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
    exit 0
fi

prep() { # out args...
    local out=$1
    shift
    "$BUILD/drnn-prep" --tokenizer char -o "$out" "$@" >"$out.log" 2>&1 ||
        { tail -n 3 "$out.log"; echo "drnn-prep for $out failed" >&2; exit 1; }
}
t0=$(date +%s.%N)
prep "$WORK/big.h5" --valid-fraction 0.0001 "$WORK/text500.txt" "$WORK/text500.txt" \
    "$WORK/text500.txt" "$WORK/text500.txt"
t1=$(date +%s.%N)
prep "$WORK/small.h5" --valid-fraction 0.01 "$WORK/text20.txt"
prep "$WORK/ratio.h5" --valid-fraction 0 "$WORK/text20.txt"
rm -f "$WORK/text500.txt"
echo "corpora: big.h5 $(grep -m1 train "$WORK/big.h5.log" | awk '{ print $3 }') train tokens," \
    "$(mb "$(stat -c %s "$WORK/big.h5")") MB on disk (prep $(awk -v a="$t0" -v b="$t1" \
    'BEGIN { printf "%.1f s, %.0f MB/s", b - a, 2000 / (b - a) }')); small.h5" \
    "$(grep -m1 train "$WORK/small.h5.log" | awk '{ print $3 }') train tokens," \
    "$(mb "$(stat -c %s "$WORK/small.h5")") MB"

# ---- drnn-train: per-rank memory on both corpora ----------------------------------------------
# "drnn-train: memory per rank: peak RSS X MB (rank R; smallest Y), computed Z MB (...)"
train() { # name corpus nranks args...
    local name=$1 data=$2 n=$3
    shift 3
    if ! /usr/bin/time -f "%e" -o "$WORK/$name.time" mpirun -q -n "$n" "$BUILD/drnn-train" \
        --data "$data" --run-dir "$WORK/$name" "$@" >"$WORK/$name.log" 2>&1; then
        tail -n 3 "$WORK/$name.log"
        echo "drnn-train $name failed" >&2
        return 1
    fi
    grep -m1 'memory per rank' "$WORK/$name.log" | sed 's/^drnn-train: //'
}
model=(--embed 64 --hidden 256 --seq-len 64 --batch 32 --steps 300 --log-every 100 --threads 1)
echo
echo "drnn-train, 2 ranks, GRU E64 H256 T64 global batch 32, 300 steps and a validation:"
big=$(train big "$WORK/big.h5" 2 "${model[@]}") || exit 1
small=$(train small "$WORK/small.h5" 2 "${model[@]}") || exit 1
echo "  2.0e9 tokens: $big ($(cat "$WORK/big.time") s)"
echo "  2.0e7 tokens: $small ($(cat "$WORK/small.time") s)"
rss() { sed -E 's/.*peak RSS ([0-9.]+) MB \(rank [0-9]+; smallest ([0-9.]+)\).*/\1 \2/' <<<"$1"; }
read -r bhi blo <<<"$(rss "$big")"
read -r shi slo <<<"$(rss "$small")"
awk -v a="$bhi" -v b="$shi" -v c="$blo" -v d="$slo" 'BEGIN {
    printf "  per-rank peak RSS, 2.0e9 minus 2.0e7 tokens: %+.1f MB (largest ranks), %+.1f MB (smallest)\n",
           a - b, c - d }'

# ---- peak RSS against the computed bytes, a larger model --------------------------------------
echo
echo "drnn-train, 1 rank x 2 threads, GRU E256 H1024 2 layers T64 batch 32, SGD momentum, 3 steps:"
ratio=$(train ratio "$WORK/ratio.h5" 1 --embed 256 --hidden 1024 --layers 2 --seq-len 64 \
    --batch 32 --momentum 0.9 --steps 3 --log-every 1 --threads 2) || exit 1
echo "  $ratio ($(cat "$WORK/ratio.time") s)"
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0

#!/usr/bin/env bash
# bench_ckpt.sh [BUILD_DIR] — checkpoint write and resume time for a ~50M-parameter GRU LM
# (DESIGN §7), 1 writer versus 2 (one shard per rank, written at the same time), and the size on
# disk against raw float32 (parameters + momentum), at --ckpt-deflate 1 (default) and 0.
#
# Each case: drnn-train --steps 1 --momentum 0.9 writes step-1 (the figure is the trainer's own
# "written in" line: shards, fsync, agreement, manifest, rename); then --resume auto --steps 1
# reads it back (the "verified, read and distributed in" line: CRC32 of every file, then HDF5
# reads with Fletcher32, on rank 0, then broadcast). Median of REPEAT runs (default 3).
# Timings depend on the page cache and the disk; the figures are for this machine only.
# A benchmark: it prints, it asserts nothing about time.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd) || { echo "bench_ckpt.sh: no build dir" >&2; exit 66; }
REPEAT=${REPEAT:-3}
source "$HERE/lib.sh" # mpi_env, median, probe_start/probe_end, mark, star, ratio, fmt, train_field
mpi_env
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/drnn-bench-ckpt.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

"$BUILD/drnn-prep" --tokenizer char --valid-fraction 0 -o "$WORK/c.h5" "$SRC/data/kjv.txt.gz" \
    >/dev/null 2>&1 || { echo "bench_ckpt.sh: drnn-prep failed" >&2; exit 65; }
# embed 512, hidden 1792, 3 layers: 50.9M parameters with the KJV character vocabulary.
model=(--cell gru --embed 512 --hidden 1792 --layers 3 --batch 2 --seq-len 4 --momentum 0.9)

printf "%-8s %-8s %10s %10s %12s %12s %8s\n" ranks deflate "write s" "resume s" "disk MB" "raw MB" "ratio"
for deflate in 1 0; do
    for n in 1 2; do
        w=() r=() disk=0 raw=0
        for rep in $(seq 1 "$REPEAT"); do
            run="$WORK/run"
            rm -rf "$run"
            mpirun -q -n "$n" "$BUILD/drnn-train" --data "$WORK/c.h5" "${model[@]}" --steps 1 \
                --threads $((2 / n > 0 ? 2 / n : 1)) --ckpt-deflate "$deflate" --run-dir "$run" \
                >"$WORK/w.log" 2>&1 || { cat "$WORK/w.log"; exit 1; }
            w+=("$(sed -nE 's/^checkpoint step-[0-9]+ written in ([0-9.]+) s/\1/p' "$WORK/w.log")")
            P=$(sed -nE 's/.* ([0-9]+) parameters.*/\1/p' "$WORK/w.log" | head -1)
            disk=$(du -sb "$run/ckpt/step-00000001" | cut -f1)
            raw=$((P * 4 * 2))
            sync
            mpirun -q -n "$n" "$BUILD/drnn-train" --data "$WORK/c.h5" "${model[@]}" --steps 1 \
                --threads $((2 / n > 0 ? 2 / n : 1)) --ckpt-deflate "$deflate" --run-dir "$run" \
                --resume auto >"$WORK/r.log" 2>&1 || { cat "$WORK/r.log"; exit 1; }
            r+=("$(sed -nE 's/^checkpoint step-[0-9]+ verified, read and distributed in ([0-9.]+) s/\1/p' "$WORK/r.log")")
        done
        awk -v n="$n" -v z="$deflate" -v w="$(printf '%s\n' "${w[@]}" | median)" \
            -v r="$(printf '%s\n' "${r[@]}" | median)" -v d="$disk" -v raw="$raw" \
            'BEGIN { printf "%-8s %-8s %10s %10s %12.1f %12.1f %8.3f\n", n, z, w, r, d / 1e6, raw / 1e6, d / raw }'
    done
done
echo "parameters: $P (raw = parameters + momentum as float32)"

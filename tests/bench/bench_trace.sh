#!/usr/bin/env bash
# bench_trace.sh [BUILD_DIR] — what --log-grad-norms and --trace-bptt cost (issue: off by default,
# and with the flags off a step costs the same). A GRU LM (hidden 256, T 64, B 32, one rank, one
# thread) on the bundled corpus for STEPS steps (default 300), logged every 10, three ways: flags
# off, --log-grad-norms, --trace-bptt; prints the median tokens/s of REPEAT runs (default 3), the
# ratios to the flags-off run, and the mean seconds of one traced pass from metrics.jsonl.
# A benchmark: it prints, it asserts nothing about time.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd) || { echo "bench_trace.sh: no build dir" >&2; exit 66; }
STEPS=${STEPS:-300} REPEAT=${REPEAT:-3}
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/drnn-bench-trace.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
(set +o pipefail; zcat "$SRC/data/kjv.txt.gz" | head -c 3000000) >"$WORK/t.txt"
"$BUILD/drnn-prep" --tokenizer char --valid-fraction 0 -o "$WORK/c.h5" "$WORK/t.txt" >/dev/null 2>&1 ||
    { echo "bench_trace.sh: drnn-prep failed" >&2; exit 65; }
source "$HERE/lib.sh" # median, probe_start/probe_end, mark, star, ratio, fmt, train_field
declare -A tps
for mode in off grad-norms trace; do
    flags=()
    [[ $mode == grad-norms ]] && flags=(--log-grad-norms)
    [[ $mode == trace ]] && flags=(--trace-bptt)
    runs=()
    for rep in $(seq 1 "$REPEAT"); do
        rm -rf "$WORK/run"
        "$BUILD/drnn-train" --data "$WORK/c.h5" --cell gru --embed 64 --hidden 256 --seq-len 64 \
            --batch 32 --steps "$STEPS" --log-every 10 --threads 1 "${flags[@]}" \
            --run-dir "$WORK/run" >/dev/null 2>&1 || { echo "drnn-train failed ($mode)"; exit 1; }
        # tokens over the wall time of the logged interval records after the first (warm-up)
        runs+=("$(/usr/bin/python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if "tok_per_s" in l][1:]
print(sorted(x["tok_per_s"] for x in r)[len(r) // 2])' "$WORK/run/metrics.jsonl")")
        [[ $mode == trace ]] && /usr/bin/python3 -c '
import json, sys
r = [json.loads(l)["trace_seconds"] for l in open(sys.argv[1]) if "trace_seconds" in l]
print(sum(r) / len(r))' "$WORK/run/metrics.jsonl" >>"$WORK/trace_s"
    done
    tps[$mode]=$(printf '%s\n' "${runs[@]}" | median)
done
printf '%-12s %12s %10s\n' flags "tok/s" "ratio"
for mode in off grad-norms trace; do
    printf '%-12s %12.0f %10.3f\n' "$mode" "${tps[$mode]}" "$(awk -v a="${tps[$mode]}" -v b="${tps[off]}" 'BEGIN { print a / b }')"
done
printf 'one traced pass (extra backward of the last position, every 10th step): %.4f s\n' \
    "$(median <"$WORK/trace_s")"

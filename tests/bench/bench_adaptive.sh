#!/usr/bin/env bash
# bench_adaptive.sh [BUILD_DIR] — what --softmax adaptive buys on a word LM. The bundled corpus
# with the word tokenizer (V = 27 790, 780 000 train tokens), a GRU LM (embed 128, hidden
# HIDDEN, default 256; T 32, B 32; SGD lr 1, clip 5; one rank, one thread) for STEPS steps
# (default 200), logged every 20, with the full softmax and with --softmax adaptive --cutoffs
# CUTOFFS (default 2000,10000) --div-value 4. Prints for each the median tokens/s of the logged
# intervals after the first, the ratio to the full softmax, the last logged training loss and
# the validation loss at the end, and drnn-eval's figure on the valid split (full distribution).
# A benchmark: it prints, it asserts nothing about time.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd) || { echo "bench_adaptive.sh: no build dir" >&2; exit 66; }
STEPS=${STEPS:-200} HIDDEN=${HIDDEN:-256} CUTOFFS=${CUTOFFS:-2000,10000}
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/drnn-bench-adaptive.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
source "$HERE/lib.sh" # machine_line
machine_line "$(nproc)"
zcat "$SRC/data/kjv.txt.gz" >"$WORK/t.txt"
"$BUILD/drnn-prep" --tokenizer word --valid-fraction 0.05 -o "$WORK/w.h5" "$WORK/t.txt" \
    >/dev/null 2>&1 || { echo "bench_adaptive.sh: drnn-prep failed" >&2; exit 65; }
printf '%-34s %10s %7s %11s %11s %11s\n' softmax "tok/s" ratio "train loss" "valid loss" \
    "eval ppl"
base=
for mode in full adaptive; do
    flags=()
    [[ $mode == adaptive ]] && flags=(--softmax adaptive --cutoffs "$CUTOFFS" --div-value 4)
    rm -rf "$WORK/run"
    "$BUILD/drnn-train" --data "$WORK/w.h5" --cell gru --embed 128 --hidden "$HIDDEN" \
        --seq-len 32 --batch 32 --steps "$STEPS" --log-every 20 --threads 1 "${flags[@]}" \
        --run-dir "$WORK/run" >/dev/null 2>&1 || { echo "drnn-train failed ($mode)"; exit 1; }
    read -r tps train valid < <(/usr/bin/python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
t = [x for x in r if "tok_per_s" in x]
v = [x for x in r if x.get("split") == "valid"]
print(sorted(x["tok_per_s"] for x in t[1:])[len(t[1:]) // 2], t[-1]["loss"], v[-1]["loss"])' \
        "$WORK/run/metrics.jsonl")
    ppl=$("$BUILD/drnn-eval" --ckpt "$WORK/run" --data "$WORK/w.h5" --json 2>/dev/null |
        sed -E 's/.*"ppl": ([^,]+),.*/\1/')
    base=${base:-$tps}
    label=$mode
    [[ $mode == adaptive ]] && label="adaptive $CUTOFFS"
    printf '%-34s %10.0f %7.2f %11.4f %11.4f %11.1f\n' "$label" "$tps" \
        "$(awk -v a="$tps" -v b="$base" 'BEGIN { print a / b }')" "$train" "$valid" "$ppl"
done

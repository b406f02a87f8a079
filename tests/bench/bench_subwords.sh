#!/usr/bin/env bash
# A char GRU LM against a subword GRU LM (SentencePiece, 8000 pieces) on the bundled corpus, each
# trained for the same wall time on 2 ranks, compared by validation bits per character on the
# same held-out text (the last 5 % of the lines, given to both as --valid). Prints, per model:
# steps done, tokens/s, validation bits per token and bits per character (drnn-eval). Measures;
# asserts nothing.
#   SECONDS_EACH=N  training time per model (default 300); PIECES=N (default 8000);
#   KEEP=1 keeps the work folder.
set -euo pipefail
BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
source "$SRC/tests/bench/lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
WORK=$(mktemp -d /tmp/drnn-bench-subwords.XXXXXX)
[[ ${KEEP:-} == 1 ]] || trap 'rm -rf "$WORK"' EXIT
secs=${SECONDS_EACH:-300} pieces=${PIECES:-8000}
zcat "$SRC/data/kjv.txt.gz" >"$WORK/all.txt"
n=$(wc -l <"$WORK/all.txt")
head -n $((n * 95 / 100)) "$WORK/all.txt" >"$WORK/train.txt"
tail -n +$((n * 95 / 100 + 1)) "$WORK/all.txt" >"$WORK/valid.txt"
"$BUILD/drnn-prep" --tokenizer char --valid "$WORK/valid.txt" -o "$WORK/char.h5" \
    "$WORK/train.txt" >"$WORK/prep-char.log" 2>&1
"$BUILD/drnn-prep" --tokenizer spm --vocab-size "$pieces" --valid "$WORK/valid.txt" \
    -o "$WORK/spm.h5" "$WORK/train.txt" >"$WORK/prep-spm.log" 2>&1
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs"
echo "GRU E128 H256, batch 32 x 64 tokens per step, 2 ranks, $secs s of training each"
printf '%-22s %8s %10s %10s %10s %12s\n' model steps tok/s valid-bpt valid-bpc tokens/char
for kind in char spm; do
    mpirun -q -n 2 "$BUILD/drnn-train" --data "$WORK/$kind.h5" --run-dir "$WORK/$kind" \
        --time-limit "$secs" --steps 1000000 --eval-every 1000000 --log-every 100 \
        >"$WORK/$kind.log" 2>&1 || true # the time limit ends the run with a checkpoint
    "$BUILD/drnn-eval" --ckpt "$WORK/$kind" --data "$WORK/$kind.h5" --split valid --json \
        >"$WORK/$kind.json" 2>/dev/null
    steps=$(grep -v '"split"' "$WORK/$kind/metrics.jsonl" | tail -1 | sed -E 's/.*"step": ([0-9]+),.*/\1/')
    tps=$(grep -o '[0-9]* tok/s' "$WORK/$kind.log" | tail -1 | cut -d' ' -f1)
    /usr/bin/python3 - "$WORK/$kind.json" "$kind" "$steps" "$tps" "$pieces" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
name = "char" if sys.argv[2] == "char" else f"spm {sys.argv[5]} pieces"
print(f"{name:<22} {sys.argv[3]:>8} {sys.argv[4]:>10} {r['bpt']:>10.4f} {r['bpc']:>10.4f} "
      f"{r['bpc'] / r['bpt']:>12.3f}")
PY
done

#!/usr/bin/env bash
# The lecture's claim, measured on the bundled corpus (first 2 MB, characters): with the same
# sizes (hidden 128), window T = 64, --lr 0.3 --clip 1 and the same 100 steps, the ratio
# ||dJ/dh_{T-50}|| / ||dJ/dh_T|| of the top layer (geometric mean over the 10 traced steps) is
# smaller for a vanilla rnn than for a gru: the gated cell's gradient reaches further back. The
# test prints the ratio of rnn, gru and lstm; it asserts rnn < gru.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/kjv.h5" 2000000
for cell in rnn gru lstm; do
    "$BUILD/drnn-train" --data "$WORK/kjv.h5" --cell $cell --hidden 128 --embed 32 --batch 32 \
        --seq-len 64 --lr 0.3 --clip 1 --steps 100 --log-every 10 --trace-bptt --threads 2 \
        --run-dir "$WORK/$cell" >"$WORK/$cell.log" 2>&1 || fail "$cell: $(tail -2 "$WORK/$cell.log")"
done
/usr/bin/python3 - "$WORK" <<'PY' || fail "the rnn's gradient does not vanish faster than the gru's"
import json, math, sys
ratio = {}
for cell in ("rnn", "gru", "lstm"):
    logs = []
    for line in open(f"{sys.argv[1]}/{cell}/metrics.jsonl"):
        if '"dJdh"' in line:
            top = json.loads(line)["dJdh"][-1]
            T = len(top)
            logs.append(math.log(top[T - 1 - 50] / top[T - 1]))
    ratio[cell] = math.exp(sum(logs) / len(logs))
    print(f"{cell:5s} ||dJ/dh_(T-50)|| / ||dJ/dh_T|| = {ratio[cell]:.3g} (geometric mean of {len(logs)} traced steps)")
sys.exit(0 if ratio["rnn"] < ratio["gru"] else 1)
PY
finish

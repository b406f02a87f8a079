#!/usr/bin/env bash
# --trace-bptt and --log-grad-norms (the lecture's gradient story). One step at --lr 0 traces
# ||dJ/dh_t|| of the last position's loss J for every position t and layer; for rnn, gru and lstm
# (2 layers) it equals torch.autograd.grad on the exported weights (tests/reference/
# trace_reference.py, 1e-5 relative), on 1 rank and as the mean over 2 ranks' streams. The
# training is untouched by the extra pass (losses with and without the flags are bit-identical),
# the gradient norms of every tensor are logged with the clip factor, and the flags are refused
# for a model kind without hidden states to trace.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 60000
B=4 T=12
for cell in rnn gru lstm; do
    for n in 1 2; do
        run="$WORK/$cell.n$n"
        mpirun -q -n $n "$BUILD/drnn-train" --data "$WORK/c.h5" --cell $cell --layers 2 --hidden 10 \
            --embed 6 --batch $B --seq-len $T --lr 0 --steps 1 --log-every 1 --trace-bptt \
            --log-grad-norms --threads 1 --run-dir "$run" >"$run.log" 2>&1 ||
            { fail "$cell -n $n: drnn-train failed: $(tail -2 "$run.log")"; continue; }
        "$BUILD/drnn-export" "$run" -o "$run.h5" >/dev/null 2>&1 || fail "$cell: export failed"
        /usr/bin/python3 "$SRC/tests/reference/trace_reference.py" "$run.h5" "$WORK/c.h5" \
            "$run/metrics.jsonl" $B $T && pass "$cell -n $n: dJ/dh trace = PyTorch" ||
            fail "$cell -n $n: the trace differs from PyTorch's"
    done
done
/usr/bin/python3 - "$WORK/gru.n1/metrics.jsonl" <<'PY' || fail "grad_norms record"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"grad_norms"' in l][0]
assert set(r["grad_norms"]) >= {"embedding.weight", "rnn.weight_hh_l1", "decoder.bias"}, r
total = sum(v * v for v in r["grad_norms"].values()) ** 0.5
assert abs(total - r["grad_norm"]) <= 1e-5 * r["grad_norm"], (total, r["grad_norm"])
assert r["clip_factor"] == 1.0 or r["clipped"]
PY
# The flags change nothing of the training.
args=(--data "$WORK/c.h5" --cell gru --hidden 16 --embed 8 --batch 4 --seq-len 16 --lr 1 --steps 20
      --log-every 2 --threads 1)
"$BUILD/drnn-train" "${args[@]}" --run-dir "$WORK/plain" >/dev/null 2>&1 &&
    "$BUILD/drnn-train" "${args[@]}" --trace-bptt --log-grad-norms --run-dir "$WORK/traced" \
        >/dev/null 2>&1 || fail "plain/traced runs failed"
[[ "$(train_losses "$WORK/plain")" == "$(train_losses "$WORK/traced")" ]] &&
    pass "losses bit-identical with and without the flags" || fail "the trace changed the training"
for i in $(seq 1 20); do printf 'a\tone two three\nb\tfour five six\n'; done >"$WORK/l.tsv"
"$BUILD/drnn-prep" --format labels --tokenizer word -o "$WORK/l.h5" "$WORK/l.tsv" >/dev/null 2>&1
expect_exit 64 "--trace-bptt on a classifier" "$BUILD/drnn-train" --model classifier \
    --data "$WORK/l.h5" --batch 4 --steps 2 --trace-bptt --run-dir "$WORK/x"
finish

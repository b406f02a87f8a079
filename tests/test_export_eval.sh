#!/usr/bin/env bash
# drnn-export and drnn-eval against PyTorch (DESIGN §4, §8): a model trained by drnn, exported,
# loads with load_state_dict(strict=True) into the equivalent torch module and scores a text file
# as one continuous stream the same as `drnn-eval --text` (1e-5 relative); `drnn-eval --data` at
# the run's --batch equals the trainer's last validation loss (1e-6 relative); --json prints
# exactly one JSON object on stdout. Missing torch/h5py is a failure, not a skip.
source "$(dirname "$0")/lib.sh"
PY=${DRNN_PYTHON:-/usr/bin/python3}
CHECK=$SRC/tests/reference/export_eval_check.py
if ! "$PY" -c "import torch, h5py, numpy" 2>/dev/null; then
    echo "FAIL: $PY cannot import torch, h5py and numpy, needed to check drnn-export in PyTorch."
    echo "      Install them: apt-get install python3-torch python3-h5py python3-numpy"
    exit 1
fi

make_corpus "$WORK/c.h5" 200000
# Text the model never saw (the end of the book), plus symbols outside the vocabulary (<unk>).
(set +o pipefail; zcat "$SRC/data/kjv.txt.gz" | tail -c 6000) >"$WORK/t.txt"
printf 'Behold the caf\xc3\xa9 \xc2\xa7 12 \xe2\x82\xac; Zebra QUIZ!\n' >>"$WORK/t.txt"
gzip -c "$WORK/t.txt" >"$WORK/t.txt.gz"

B=8 T=32
for cell in gru lstm; do
    layers=$([[ $cell == gru ]] && echo 2 || echo 1)
    run=$WORK/run_$cell
    "$BUILD/drnn-train" --data "$WORK/c.h5" --run-dir "$run" --cell $cell --layers $layers \
        --hidden 32 --embed 16 --batch $B --seq-len $T --steps 40 --log-every 20 --threads 1 \
        >"$WORK/train_$cell.log" 2>&1 || { fail "$cell: training failed: $(tail -3 "$WORK/train_$cell.log")"; continue; }

    m=$WORK/m_$cell.h5
    "$BUILD/drnn-export" "$run" -o "$m" >"$WORK/export.out" 2>"$WORK/export.err" ||
        fail "$cell: drnn-export failed: $(cat "$WORK/export.err")"
    ls "$WORK" | grep -q "\.tmp\." && fail "$cell: drnn-export left a temporary file"

    # PyTorch: strict load, one-stream score, counts, and the JSON shape.
    "$BUILD/drnn-eval" --ckpt "$m" --text "$WORK/t.txt" --json >"$WORK/ev.json" 2>"$WORK/ev.err" ||
        fail "$cell: drnn-eval --text failed: $(cat "$WORK/ev.err")"
    if "$PY" "$CHECK" "$m" "$WORK/t.txt" "$WORK/ev.json" >"$WORK/check.out" 2>&1; then
        pass "$cell: exported model scores the text as in PyTorch: $(grep float32 "$WORK/check.out")"
    else
        fail "$cell: PyTorch check: $(cat "$WORK/check.out")"
    fi
    # The window length and the input form change nothing beyond rounding.
    "$BUILD/drnn-eval" --ckpt "$run" --text "$WORK/t.txt.gz" --json --seq-len 7 >"$WORK/ev_gz.json" 2>/dev/null
    "$BUILD/drnn-eval" --ckpt "$m" --text - --json <"$WORK/t.txt" >"$WORK/ev_stdin.json" 2>/dev/null
    l0=$(sed -E 's/.*"loss": ([^,]+),.*/\1/' "$WORK/ev.json")
    for v in gz stdin; do
        l=$(sed -E 's/.*"loss": ([^,]+),.*/\1/' "$WORK/ev_$v.json")
        d=$(max_rel_diff "$l0" "$l")
        awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-6) }' ||
            fail "$cell: --text via $v gave loss '$l', plain file $l0"
    done

    # --data at the run's B and T: the trainer's final validation figure.
    "$BUILD/drnn-eval" --ckpt "$m" --data "$WORK/c.h5" --split valid --batch $B --seq-len $T \
        --json >"$WORK/evd.json" 2>"$WORK/evd.err" || fail "$cell: drnn-eval --data failed: $(cat "$WORK/evd.err")"
    "$PY" -c 'import json, sys; d = json.loads(open(sys.argv[1]).read()); assert set(d) == {"loss", "ppl", "bpt", "tokens", "unknown"}, d' \
        "$WORK/evd.json" 2>"$WORK/json.err" ||
        fail "$cell: --data --json stdout is not exactly one JSON object with the five keys: $(cat "$WORK/evd.json" "$WORK/json.err")"
    want=$(grep '"split": "valid"' "$run/metrics.jsonl" | tail -1 | sed -E 's/.*"loss": ([^,]+),.*/\1/')
    got=$(sed -E 's/.*"loss": ([^,]+),.*/\1/' "$WORK/evd.json")
    d=$(max_rel_diff "$want" "$got")
    if awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-6) }'; then
        pass "$cell: drnn-eval --data valid $got = trainer's validation $want (rel $d)"
    else
        fail "$cell: drnn-eval --data valid loss '$got', trainer logged '$want' (rel $d, limit 1e-6)"
    fi
done

# Usage and input errors: exit codes of DESIGN §8, one line on stderr.
expect_exit 66 "export of a missing run" "$BUILD/drnn-export" "$WORK/none" -o "$WORK/x.h5" &&
    [[ $(wc -l <"$WORK/err") -eq 1 ]] || fail "missing run: not one line: $(cat "$WORK/err")"
expect_exit 64 "export without -o" "$BUILD/drnn-export" "$WORK/run_gru"
expect_exit 64 "eval with --data and --text" "$BUILD/drnn-eval" --ckpt "$WORK/run_gru" \
    --data "$WORK/c.h5" --text "$WORK/t.txt"
expect_exit 64 "eval of a split the corpus lacks" "$BUILD/drnn-eval" --ckpt "$WORK/run_gru" \
    --data "$WORK/c.h5" --split test
expect_exit 66 "eval of a missing text" "$BUILD/drnn-eval" --ckpt "$WORK/run_gru" --text "$WORK/no.txt"
printf 'A' >"$WORK/one.txt"
expect_exit 65 "eval of a one-token text" "$BUILD/drnn-eval" --ckpt "$WORK/run_gru" --text "$WORK/one.txt"
head -c 5000 /dev/urandom >"$WORK/garbage.h5"
expect_exit 65 "eval of a garbage model" "$BUILD/drnn-eval" --ckpt "$WORK/garbage.h5" --text "$WORK/t.txt"
finish

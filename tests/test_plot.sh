#!/usr/bin/env bash
# jobs/plot_run.py (DESIGN §10): a run's metrics.jsonl becomes a PNG; a missing run is 66, a file
# that is not drnn metrics 65, each with one line naming the file.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import matplotlib' 2>/dev/null ||
    { echo "FAIL: $PY cannot import matplotlib: apt-get install python3-matplotlib"; exit 1; }
make_corpus "$WORK/c.h5" 100000
"$BUILD/drnn-train" --data "$WORK/c.h5" --run-dir "$WORK/run" --hidden 16 --embed 8 --batch 4 \
    --seq-len 16 --steps 40 --log-every 5 --eval-every 20 --threads 1 >/dev/null 2>&1 ||
    fail "training run failed"
if "$PY" "$SRC/jobs/plot_run.py" "$WORK/run" >"$WORK/out" 2>&1; then
    sig=$(head -c 8 "$WORK/run/curves.png" | od -An -tx1 | tr -d ' \n')
    [[ $sig == 89504e470d0a1a0a ]] || fail "curves.png is not a PNG (signature $sig)"
    grep -q "8 training and 2 evaluation records" "$WORK/out" && pass "$(cat "$WORK/out")" ||
        fail "unexpected record counts: $(cat "$WORK/out")"
else
    fail "plot_run.py failed: $(cat "$WORK/out")"
fi
expect_exit 66 "missing run" "$PY" "$SRC/jobs/plot_run.py" "$WORK/nope" &&
    grep -q "nope/metrics.jsonl" "$WORK/err" || fail "missing run: message does not name the file"
mkdir -p "$WORK/bad" && echo "not json" >"$WORK/bad/metrics.jsonl"
expect_exit 65 "garbage metrics" "$PY" "$SRC/jobs/plot_run.py" "$WORK/bad" &&
    grep -q "bad/metrics.jsonl:1" "$WORK/err" || fail "garbage: message does not name the line"
ls "$WORK/run" | grep -q "\.tmp" && fail "plot_run.py left a temporary file"
finish

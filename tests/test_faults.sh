#!/usr/bin/env bash
# DESIGN §9: nothing hangs forever.
# - kill -9 of one rank mid-training: the job ends within 30 s, non-zero, and mpirun says which
#   rank died (this case runs mpirun without -q: -q hides that message);
# - SIGSTOP of one rank with --hang-timeout 3: the job ends with exit 70 within 3 + 15 s and
#   stderr has drnn's line naming the step and the phase;
# - a checkpoint stuck on storage (the test knob DRNN_TEST_CKPT_DELAY_MS sleeps 5 s per dataset)
#   with --hang-timeout 2: exit 70 naming phase checkpoint, and `latest` never names it.
# Every mpirun runs under `timeout 60`, and a trap resumes and kills any rank left over, so the
# test itself cannot hang.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 100000
args=(--data "$WORK/c.h5" --hidden 32 --embed 16 --batch 8 --seq-len 16 --steps 100000000
      --log-every 50 --threads 1)
RANKS=()
cleanup() {
    for p in "${RANKS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# start NAME [mpirun options] -- [drnn-train options]: launches in the background; sets LAUNCHER
# (the timeout process), MPIRUN and RANKS once the ranks have logged a training step.
start() {
    local name=$1 mpi=() extra=()
    shift
    while [[ $# -gt 0 && $1 != -- ]]; do mpi+=("$1"); shift; done
    [[ ${1:-} == -- ]] && shift
    extra=("$@")
    timeout 60 mpirun "${mpi[@]}" -n 2 "$BUILD/drnn-train" "${args[@]}" --run-dir "$WORK/$name" \
        "${extra[@]}" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    LAUNCHER=$!
    MPIRUN="" RANKS=()
    for _ in $(seq 200); do # up to 20 s for start-up and the first logged steps
        [[ -z $MPIRUN ]] && MPIRUN=$(pgrep -P "$LAUNCHER" -x mpirun)
        [[ -n $MPIRUN ]] && mapfile -t RANKS < <(pgrep -P "$MPIRUN")
        ((${#RANKS[@]} == 2)) && grep -q "^step 100/" "$WORK/$name.out" && return 0
        sleep 0.1
    done
    fail "$name: training did not start: $(tail -3 "$WORK/$name.err")"
    return 1
}

# ---- a rank dies -----------------------------------------------------------------------------
if start kill --; then
    t0=$(date +%s.%N)
    kill -KILL "${RANKS[1]}"
    wait "$LAUNCHER"
    rc=$?
    dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if [[ $rc -eq 0 || $rc -eq 124 ]]; then
        fail "kill -9 of rank 1: job exit $rc (0: not noticed; 124: still running after 60 s)"
    elif awk -v t="$dt" 'BEGIN { exit !(t <= 30) }'; then
        pass "kill -9 of rank 1: job ended with exit $rc after ${dt}s"
    else
        fail "kill -9 of rank 1: job took ${dt}s to end (limit 30 s)"
    fi
    grep -qE "process rank 1 .*exited on signal 9" "$WORK/kill.err" ||
        fail "kill -9: no message naming the dead rank: $(head -c 600 "$WORK/kill.err")"
fi

# ---- a rank stops ----------------------------------------------------------------------------
if start stop -q -- --hang-timeout 3; then
    t0=$(date +%s.%N)
    kill -STOP "${RANKS[1]}"
    wait "$LAUNCHER"
    rc=$?
    dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    [[ $rc -eq 70 ]] || fail "SIGSTOP of rank 1: job exit $rc, expected 70 (124: hung 60 s)"
    if awk -v t="$dt" 'BEGIN { exit !(t >= 3 && t <= 18) }'; then
        pass "SIGSTOP of rank 1 with --hang-timeout 3: exit $rc after ${dt}s"
    else
        fail "SIGSTOP of rank 1 with --hang-timeout 3: ended after ${dt}s (expected 3 to 18 s)"
    fi
    re='^drnn-train: rank [01]: hang: step [0-9]+, phase (grad-allreduce|scalar-reduce) waited more than 3 s; aborting$'
    if grep -qE "$re" "$WORK/stop.err"; then
        pass "hang message: $(grep -m1 -E "$re" "$WORK/stop.err")"
    else
        fail "no hang message naming step and phase: $(head -c 600 "$WORK/stop.err")"
    fi
fi
# ---- a checkpoint stuck on storage ------------------------------------------------------------
t0=$(date +%s.%N)
DRNN_TEST_CKPT_DELAY_MS=5000 timeout 60 mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" \
    --steps 3 --run-dir "$WORK/slowckpt" --hang-timeout 2 >"$WORK/slow.out" 2>"$WORK/slow.err"
rc=$?
dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
[[ $rc -eq 70 ]] || fail "stuck checkpoint: exit $rc after ${dt}s, expected 70: $(tail -2 "$WORK/slow.err")"
re='^drnn-train: rank [01]: hang: step 3, phase checkpoint waited more than 2 s; aborting$'
if grep -qE "$re" "$WORK/slow.err"; then
    pass "stuck checkpoint: exit $rc after ${dt}s: $(grep -m1 -E "$re" "$WORK/slow.err")"
else
    fail "stuck checkpoint: no hang message naming phase checkpoint: $(head -c 600 "$WORK/slow.err")"
fi
[[ ! -e "$WORK/slowckpt/ckpt/latest" ]] || fail "stuck checkpoint: latest was written"
finish

#!/usr/bin/env bash
# DESIGN §9 graceful stop: SIGUSR1 to mpirun (which forwards it to every rank), SIGTERM to the
# ranks themselves (as srun/scancel deliver it) and --time-limit each make every rank finish the
# step, write a checkpoint and RUN/stopped, and exit 75; `--resume auto` then continues
# bit-identically to a run that was never stopped (same rank count): losses, final parameters and
# momentum. A stop signal during the last step just finishes the run (exit 0).
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
make_corpus "$WORK/c.h5" 200000
args=(--data "$WORK/c.h5" --hidden 24 --embed 12 --batch 4 --seq-len 16 --log-every 1 --threads 1
      --momentum 0.5)

# stop_run NAME SIGNAL TARGET: a long 2-rank run, signalled once it has logged 5 steps. TARGET:
# mpirun (the launcher) or ranks (every drnn-train process). Sets STOP_RC and STOP_STEP.
stop_run() {
    local name=$1 sig=$2 target=$3
    mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" --steps 1000000 \
        --run-dir "$WORK/$name" >"$WORK/$name.log" 2>&1 &
    local job=$! i
    for i in $(seq 1 600); do
        [[ -s "$WORK/$name/metrics.jsonl" && $(wc -l <"$WORK/$name/metrics.jsonl") -ge 5 ]] && break
        sleep 0.05
    done
    local ranks
    ranks=$(pgrep -P "$job") # the ranks: mpirun's children
    if [[ $target == mpirun ]]; then
        kill -"$sig" "$job"
    elif [[ -n $ranks ]]; then
        kill -"$sig" $ranks
    else
        fail "no rank processes under mpirun $job"
        kill -9 "$job"
    fi
    wait "$job"
    STOP_RC=$?
    STOP_STEP=$(read -r n _ <"$WORK/$name/ckpt/latest" 2>/dev/null && echo $((10#${n#step-})))
}

for how in "USR1 mpirun" "TERM ranks"; do
    read -r sig target <<<"$how"
    name=stop_$sig
    stop_run "$name" "$sig" "$target"
    if [[ $STOP_RC -ne 75 ]]; then
        fail "SIG$sig to $target: exit $STOP_RC, expected 75: $(tail -3 "$WORK/$name.log")"
        continue
    fi
    [[ -n $STOP_STEP ]] || { fail "SIG$sig: no checkpoint written"; continue; }
    [[ $(cat "$WORK/$name/stopped" 2>/dev/null) == "step $STOP_STEP" ]] ||
        fail "SIG$sig: RUN/stopped does not say 'step $STOP_STEP'"
    grep -q "stopped after step $STOP_STEP" "$WORK/$name.log" ||
        fail "SIG$sig: no 'stopped after step $STOP_STEP' line: $(tail -2 "$WORK/$name.log")"
    last=$(train_losses "$WORK/$name" | wc -l)
    [[ $last -eq $STOP_STEP ]] || fail "SIG$sig: $last logged steps, checkpoint at $STOP_STEP"
    pass "SIG$sig to $target: exit 75 after a checkpoint at step $STOP_STEP"
    # Resume to STOP_STEP + 10 and compare with a run that was never stopped.
    end=$((STOP_STEP + 10))
    mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" --steps $end --run-dir "$WORK/$name" \
        --resume auto >"$WORK/$name.resume.log" 2>&1 ||
        fail "SIG$sig: resume failed: $(tail -2 "$WORK/$name.resume.log")"
    mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" --steps $end --run-dir "$WORK/straight_$sig" \
        >/dev/null 2>&1 || fail "straight run of $end steps failed"
    if cmp -s <(train_losses "$WORK/$name") <(train_losses "$WORK/straight_$sig"); then
        pass "SIG$sig: stopped at $STOP_STEP and resumed to $end, losses bit-identical to a straight run"
    else
        fail "SIG$sig: stopped + resumed losses differ from the straight run"
    fi
    $PY "$SRC/tests/ckpt_compare.py" "$WORK/straight_$sig" "$WORK/$name" 0 >/dev/null ||
        fail "SIG$sig: final parameters or momentum differ from the straight run"
    [[ ! -e "$WORK/$name/stopped" ]] || fail "SIG$sig: the resumed run left RUN/stopped behind"
done

# --time-limit: alone (one rank), checkpoint and 75.
expect_exit 75 "--time-limit 1" "$BUILD/drnn-train" "${args[@]}" --steps 100000000 \
    --run-dir "$WORK/tl" --time-limit 1 &&
    { grep -q "time-limit reached" "$WORK/out" && [[ -s "$WORK/tl/ckpt/latest" ]] &&
        pass "--time-limit 1: exit 75 after a checkpoint ($(cat "$WORK/tl/ckpt/latest"))" ||
        fail "--time-limit: no message or no checkpoint: $(tail -2 "$WORK/out")"; }
# A stop that arrives at the last step is no stop: the run finishes, exit 0.
expect_exit 0 "--time-limit 0.000001 with --steps 1" "$BUILD/drnn-train" "${args[@]}" --steps 1 \
    --run-dir "$WORK/tl1" --time-limit 0.000001 && pass "stop at the last step: exit 0"
finish

#!/usr/bin/env bash
# jobs/drnn.sbatch under a real Slurm on localhost (docs/MANUAL.md: Checkpoints and resume, Slurm): a 2-rank job is told to stop
# (`scancel -b -s USR1`: the batch shell's trap forwards USR1 to mpirun, which forwards it to the
# ranks); drnn-train checkpoints and exits 75; the script requeues the job; the rerun resumes
# with --resume auto and completes. Its per-step losses equal an uninterrupted mpirun run of the
# same config bit for bit. Needs root, slurm-wlm + munge (jobs/setup.sh --tests installs them) and
# a cgroup file system at /sys/fs/cgroup, which slurmd needs (tests/slurm_local.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/slurm_local.sh"
[[ $(id -u) -eq 0 ]] || { echo "FAIL: the local Slurm test needs root (sudo bash jobs/test.sh)"; exit 1; }
for b in slurmctld slurmd sbatch scontrol munged; do
    command -v "$b" >/dev/null || { echo "FAIL: $b missing: apt-get install slurm-wlm munge"; exit 1; }
done
trap 'slurm_stop; [[ -n ${KEEP:-} ]] || rm -rf "$WORK"' EXIT
slurm_start "$WORK/slurm" || { echo "FAIL: cannot start a local Slurm"; slurm_logs; exit 1; }

make_corpus "$WORK/c.h5" 300000
train=(--hidden 96 --embed 16 --batch 8 --seq-len 32 --log-every 1 --threads 1 --momentum 0.5
       --steps 1500)
export DATA=$WORK/c.h5 RUN=$WORK/run BUILD=$BUILD CKPT_EVERY=500
job=$(sbatch --parsable --ntasks=2 --time=10 --output="$WORK/job.out" --chdir="$WORK" \
    "$SRC/jobs/drnn.sbatch" "${train[@]}") || { fail "sbatch refused the script"; finish; }
echo "submitted job $job"
state() { scontrol show job -o "$job" 2>/dev/null | sed -nE 's/.*JobState=([A-Z_]+).*/\1/p'; }
# Wait until it trains (5 logged steps), then ask for a graceful stop.
for i in $(seq 1 600); do
    [[ -s $RUN/metrics.jsonl && $(wc -l <"$RUN/metrics.jsonl") -ge 5 ]] && break
    sleep 0.1
done
[[ -s $RUN/metrics.jsonl && $(wc -l <"$RUN/metrics.jsonl") -ge 5 ]] || { fail "the job never trained: $(state); $(tail -5 "$WORK/job.out")"; finish; }
scancel -b -s USR1 "$job" || fail "scancel -b -s USR1 failed"
# The requeued job reruns after cred_expire; wait for it to complete.
for i in $(seq 1 240); do
    s=$(state)
    [[ $s == COMPLETED || $s == FAILED || $s == CANCELLED || $s == TIMEOUT ]] && break
    sleep 1
done
restarts=$(scontrol show job -o "$job" | sed -nE 's/.*Restarts=([0-9]+).*/\1/p')
out=$(cat "$WORK/job.out")
[[ $s == COMPLETED ]] || fail "job ended $s: $(tail -8 "$WORK/job.out")"
[[ ${restarts:-0} -ge 1 ]] || fail "the job was not requeued (Restarts=$restarts)"
stop=$(sed -nE 's/^drnn-train: stopped after step ([0-9]+).*/\1/p' <<<"$out" | head -1)
[[ -n $stop ]] || fail "no 'stopped after step' in the job output"
grep -q "requeueing" <<<"$out" || fail "the script did not requeue"
grep -q "resuming from .*/step-0*$stop (step $stop," <<<"$out" || fail "the rerun did not resume from step $stop"
((stop < 1500)) || fail "the stop came after the last step ($stop); the test proves nothing"
# Uninterrupted reference, same ranks and binary.
timeout 120 mpirun -q -n 2 "$BUILD/drnn-train" --data "$DATA" --run-dir "$WORK/straight" "${train[@]}" \
    >"$WORK/straight.log" 2>&1 || fail "straight run failed: $(tail -2 "$WORK/straight.log")"
if cmp -s <(train_losses "$RUN") <(train_losses "$WORK/straight"); then
    pass "Slurm: stopped at step $stop by USR1, requeued ($restarts), resumed, 1500 steps bit-identical to a straight run"
else
    fail "Slurm: the requeued run's losses differ from a straight run ($(train_losses "$RUN" | wc -l) vs $(train_losses "$WORK/straight" | wc -l) steps)"
fi
finish

#!/usr/bin/env bash
# drnn past one machine, on emulated hosts (tests/cluster/up.sh: network namespaces, a bridge,
# Open MPI over TCP between hosts, a multi-node Slurm with one slurmd per host):
#  1. 4 ranks on 2 hosts (2 per host) under mpirun, BLAS threads chosen per host: per-step losses
#     equal one rank's within 1e-5 relative;
#  2. the same under multi-node Slurm (jobs/drnn-multinode.sbatch, srun --mpi=pmix -N 2);
#  3. a pre-emption signal to that Slurm job (scancel -s USR1: every rank on both nodes) →
#     checkpoint, requeue, resume across the nodes, losses bit-identical to the uninterrupted job;
#  4. down.sh leaves nothing: no namespace, no process in one, no Slurm daemon, no state. It runs
#     from the EXIT trap too, so a failing test cleans up as well, and up.sh clears what a killed
#     test left.
# Needs root, iproute2, slurm-wlm and munge (jobs/setup.sh --tests), a cgroup file system for
# slurmd (tests/slurm_local.sh).
source "$(dirname "$0")/lib.sh"
CL=$SRC/tests/cluster
[[ $(id -u) -eq 0 ]] || { echo "FAIL: the cluster test needs root (network namespaces)"; exit 1; }
trap '"$CL/down.sh" --quiet; [[ -n ${KEEP:-} ]] || rm -rf "$WORK"' EXIT
"$CL/up.sh" --hosts 2 --slurm || { echo "FAIL: cannot bring up 2 emulated hosts with Slurm"; exit 1; }
on() { "$CL/on.sh" "$@"; }

make_corpus "$WORK/c.h5" 300000
train=(--hidden 96 --embed 16 --batch 8 --seq-len 32 --log-every 1 --momentum 0.5 --steps 1200)
"$BUILD/drnn-train" --data "$WORK/c.h5" --run-dir "$WORK/one" --threads 1 "${train[@]}" \
    >"$WORK/one.log" 2>&1 || { fail "1-rank run failed: $(tail -2 "$WORK/one.log")"; finish; }
ONE=$(train_losses "$WORK/one")

# 1. mpirun from h1, 2 ranks on each host; --threads left to drnn (1 per rank: 2 ranks, 2 CPUs).
timeout 180 "$CL/on.sh" h1 mpirun -q -n 4 --host h1:2,h2:2 --bind-to none "$BUILD/drnn-train" \
    --data "$WORK/c.h5" --run-dir "$WORK/mpi" "${train[@]}" >"$WORK/mpi.log" 2>&1 ||
    fail "mpirun on 2 hosts failed: $(tail -3 "$WORK/mpi.log")"
grep -q "4 ranks on 2 hosts (at most 2 per host) x 1 thread," "$WORK/mpi.log" ||
    fail "drnn-train did not see 2 hosts of 2 ranks with 1 BLAS thread each: $(head -1 "$WORK/mpi.log")"
# like_one RUN WHAT: RUN's per-step losses equal the 1-rank run's within 1e-5 relative.
like_one() {
    local d
    d=$(max_rel_diff "$ONE" "$(train_losses "$WORK/$1")")
    if awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-5) }'; then
        pass "$2: 1200 losses equal 1 rank's within $d"
    else
        fail "$2: losses differ from 1 rank's by $d (> 1e-5)"
    fi
}
like_one mpi "mpirun, 4 ranks on 2 hosts"

# 2-3. Slurm: srun across both nodes. An uninterrupted job, then one stopped by USR1.
export DATA=$WORK/c.h5 BUILD CKPT_EVERY=400
state() { on ctl scontrol show job -o "$1" 2>/dev/null | sed -nE 's/.*JobState=([A-Z_]+).*/\1/p'; }
submit() { # submit NAME: job id
    RUN=$WORK/$1 on ctl sbatch --parsable -N 2 --ntasks-per-node=2 --output="$WORK/$1.out" \
        --chdir="$WORK" "$SRC/jobs/drnn-multinode.sbatch" --threads 1 "${train[@]}"
}
wait_done() { # wait_done JOB SECONDS: its final state
    local s="" i
    for i in $(seq 1 "$2"); do
        s=$(state "$1")
        [[ $s == COMPLETED || $s == FAILED || $s == CANCELLED || $s == TIMEOUT ]] && break
        sleep 1
    done
    echo "$s"
}
job=$(submit straight) || { fail "sbatch refused jobs/drnn-multinode.sbatch"; finish; }
s=$(wait_done "$job" 180)
[[ $s == COMPLETED ]] || fail "multi-node job ended $s: $(tail -5 "$WORK/straight.out")"
grep -q "4 ranks on 2 hosts (at most 2 per host)" "$WORK/straight.out" ||
    fail "the Slurm job did not run 2 ranks on each of 2 hosts: $(grep -m1 'ranks' "$WORK/straight.out")"
like_one straight "multi-node Slurm, srun -N 2, 4 ranks"

job=$(submit pre) || { fail "sbatch refused the second job"; finish; }
for i in $(seq 1 600); do
    [[ -s $WORK/pre/metrics.jsonl && $(wc -l <"$WORK/pre/metrics.jsonl") -ge 5 ]] && break
    sleep 0.1
done
[[ $(wc -l <"$WORK/pre/metrics.jsonl" 2>/dev/null) -ge 5 ]] ||
    { fail "the second job never trained: $(state "$job"); $(tail -5 "$WORK/pre.out")"; finish; }
on ctl scancel -s USR1 "$job" || fail "scancel -s USR1 failed"
s=$(wait_done "$job" 240)
out=$(cat "$WORK/pre.out")
restarts=$(on ctl scontrol show job -o "$job" | sed -nE 's/.*Restarts=([0-9]+).*/\1/p')
[[ $s == COMPLETED ]] || fail "pre-empted job ended $s: $(tail -8 "$WORK/pre.out")"
[[ ${restarts:-0} -ge 1 ]] || fail "the job was not requeued (Restarts=$restarts)"
stop=$(sed -nE 's/^drnn-train: stopped after step ([0-9]+).*/\1/p' <<<"$out" | head -1)
[[ -n $stop ]] || fail "no 'stopped after step' in the job output"
grep -q "requeueing" <<<"$out" || fail "the script did not requeue"
[[ -n $stop ]] && { grep -q "resuming from .*/step-0*$stop (step $stop," <<<"$out" ||
    fail "the rerun did not resume from step $stop"; }
((${stop:-1200} < 1200)) || fail "the stop came after the last step; the test proves nothing"
if cmp -s <(train_losses "$WORK/pre") <(train_losses "$WORK/straight"); then
    pass "multi-node Slurm: USR1 at step $stop, checkpoint, requeue ($restarts), resume on 2 nodes; 1200 losses bit-identical to the uninterrupted job"
else
    fail "the pre-empted job's losses differ from the uninterrupted job's"
fi

# 4. Tear down while a job still runs on both nodes: everything goes.
RUN=$WORK/left on ctl sbatch -N 2 --ntasks-per-node=1 --output=/dev/null --wrap="srun sleep 300" \
    >/dev/null || fail "sbatch of a sleeping job failed"
# The job's own sleeps: those in an emulated host's network namespace (not any "sleep 300" of
# the machine's, which another shell may run).
job_sleeps() {
    local p
    for p in $(pgrep -x sleep); do
        [[ $(ip netns identify "$p" 2>/dev/null) == drnn-* ]] && echo "$p"
    done
}
sleeps=()
for i in $(seq 1 100); do
    mapfile -t sleeps < <(job_sleeps)
    ((${#sleeps[@]} >= 2)) && break
    sleep 0.2
done
((${#sleeps[@]} >= 2)) || fail "the sleeping job did not start a sleep on both nodes (${#sleeps[@]})"
"$CL/down.sh" || fail "down.sh reported something it could not remove"
left=$(ip netns list | awk '$1 ~ /^drnn-/')
[[ -z $left ]] || fail "namespaces left: $left"
pgrep -f "/run/drnn-cluster" >/dev/null && fail "processes of the cluster left: $(pgrep -af /run/drnn-cluster)"
for p in "${sleeps[@]}"; do
    kill -0 "$p" 2>/dev/null && fail "the job's sleep 300 (pid $p) outlived down.sh"
done
[[ -e /run/drnn-cluster ]] && fail "/run/drnn-cluster left"
((FAILS == 0)) && pass "down.sh: no namespace, link, daemon, job process or state left"
finish

# tests/slurm_local.sh — a real Slurm (slurmctld + slurmd + munged) on localhost for the tests,
# without systemd: daemons started by hand, state and logs under one folder, processes tracked
# by /proc (proctrack/linuxproc), no task confinement (task/none). Sourced; needs root and the
# Debian packages slurm-wlm and munge.
#
# It does need a cgroup file system: slurmd (22.05) initializes its cgroup plugin whatever the
# plugins above are, and ends at once ("No filesystem mounted on /sys/fs/cgroup") where there is
# none — in a chroot or a bare container without /sys/fs/cgroup. slurm_start checks for it first
# (cgroup v2 at /sys/fs/cgroup, or v1 with the systemd hierarchy at /sys/fs/cgroup/systemd, as
# slurmd looks for them) and fails with a message saying so.
#
# slurm_start DIR writes DIR/slurm.conf, exports SLURM_CONF, starts the daemons and waits until
# the node is idle; on failure it prints why (the end of the daemons' logs). slurm_stop cancels
# the jobs and ends what slurm_start started, waiting for the daemons to go. Daemon pids are also
# kept in a fixed file, so that a test killed by CTest's timeout (its EXIT trap never ran) does
# not leave daemons that break the next run: slurm_start ends those first.
SLURM_STARTED_MUNGE=0
SLURM_DIR=""
SLURM_PIDS=/tmp/drnn-test-slurm.pids

# kill_wait PID...: TERM, then up to 10 s for each to go, then KILL.
kill_wait() {
    local p i
    for p in "$@"; do
        kill "$p" 2>/dev/null || continue
        for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    return 0
}

# slurm_cgroup_check: 0 when /sys/fs/cgroup holds what slurmd's cgroup plugin autodetects (v2, or
# v1 with the systemd hierarchy); otherwise 1 with a message on stderr.
slurm_cgroup_check() {
    local top v1 found
    top=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)
    [[ $top == cgroup2fs ]] && return 0
    v1=$(stat -f -c %T /sys/fs/cgroup/systemd 2>/dev/null)
    [[ $top == tmpfs && $v1 == cgroupfs ]] && return 0
    found="/sys/fs/cgroup is ${top:-missing}"
    [[ $top == tmpfs ]] && found+=", /sys/fs/cgroup/systemd is ${v1:-missing}"
    echo "slurm_start: no cgroup file system ($found): slurmd needs one even without cgroup" \
        "confinement and would end at once. A chroot or a bare container has none: run the" \
        "Slurm test on a host, or in a container with /sys/fs/cgroup mounted (cgroup v2, or" \
        "v1 with the name=systemd hierarchy)." >&2
    return 1
}

# slurm_logs: the end of each daemon log of the local Slurm, named (for failure messages).
slurm_logs() {
    local f
    for f in "$SLURM_DIR"/log/*.log; do
        [[ -e $f ]] || { echo "(no Slurm log under $SLURM_DIR/log)"; return 0; }
        echo "--- $f (last 20 lines)"
        tail -n 20 -- "$f"
    done
}

# munge_up: a running munged (started here if none answers; SLURM_STARTED_MUNGE=1 then).
munge_up() {
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
    [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile=/etc/munge/munge.key || return 1
    chown munge:munge /etc/munge/munge.key
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- /usr/sbin/munged || return 1
    SLURM_STARTED_MUNGE=1
}

# slurm_conf_common DIR: the slurm.conf lines every test cluster shares (state, controller pid and
# log under DIR); the caller adds SlurmctldHost, the slurmd paths, nodes and partition.
slurm_conf_common() {
    cat <<CONF
ClusterName=drnntest
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=cred_expire=10
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=sched_interval=5,bf_interval=5
SlurmdParameters=config_overrides
EnforcePartLimits=ALL
ReturnToService=2
MailProg=/bin/true
KillWait=5
MinJobAge=600
StateSaveLocation=$1/state
SlurmctldPidFile=$1/slurmctld.pid
SlurmctldLogFile=$1/log/slurmctld.log
SlurmctldPort=16817
SlurmdPort=16818
CONF
}

slurm_start() {
    local dir=$1 host i
    host=$(hostname -s)
    SLURM_DIR=$dir
    slurm_cgroup_check || return 1
    # shellcheck disable=SC2046  # pids, one per word
    [[ -s $SLURM_PIDS ]] && kill_wait $(cat "$SLURM_PIDS") && rm -f "$SLURM_PIDS"
    mkdir -p "$dir"/{state,spool,log}
    munge_up || return 1
    {
        echo "SlurmctldHost=$host(127.0.0.1)"
        slurm_conf_common "$dir"
        cat <<CONF
SlurmdSpoolDir=$dir/spool
SlurmdPidFile=$dir/slurmd.pid
SlurmdLogFile=$dir/log/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=4 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    } >"$dir/slurm.conf"
    export SLURM_CONF=$dir/slurm.conf
    slurmctld -f "$SLURM_CONF" || { echo "slurm_start: slurmctld did not start" >&2; return 1; }
    slurmd -f "$SLURM_CONF" || { echo "slurm_start: slurmd did not start" >&2; return 1; }
    for i in $(seq 1 20); do [[ -s $dir/slurmctld.pid && -s $dir/slurmd.pid ]] && break; sleep 0.1; done
    cat "$dir/slurmctld.pid" "$dir/slurmd.pid" >"$SLURM_PIDS" 2>/dev/null
    for i in $(seq 1 60); do
        sinfo -h -o %t 2>/dev/null | grep -q idle && return 0
        sleep 0.5
    done
    echo "slurm_start: the node never became idle: $(sinfo 2>&1 | tail -2)" >&2
    return 1
}

slurm_stop() {
    local f i
    [[ -n $SLURM_DIR ]] || return 0
    if [[ -n ${SLURM_CONF:-} ]]; then # jobs first: their steps and ranks must not outlive the test
        scancel --full --user=root 2>/dev/null
        for i in $(seq 1 100); do [[ -z $(squeue -h 2>/dev/null) ]] && break; sleep 0.1; done
    fi
    for f in "$SLURM_DIR/slurmd.pid" "$SLURM_DIR/slurmctld.pid"; do
        [[ -s $f ]] && kill_wait "$(cat "$f")"
    done
    rm -f "$SLURM_PIDS"
    if ((SLURM_STARTED_MUNGE)) && [[ -s /run/munge/munged.pid ]]; then
        kill_wait "$(cat /run/munge/munged.pid)"
    fi
    return 0
}

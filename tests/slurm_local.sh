# tests/slurm_local.sh — a real Slurm (slurmctld + slurmd + munged) on localhost for the tests,
# without systemd or cgroups (../shared/PLATFORM.md). Sourced; needs root and the Debian packages
# slurm-wlm and munge. slurm_start DIR writes DIR/slurm.conf, exports SLURM_CONF, starts the
# daemons and waits until the node is idle; slurm_stop ends what slurm_start started.
SLURM_STARTED_MUNGE=0

slurm_start() {
    local dir=$1 host i
    host=$(hostname -s)
    mkdir -p "$dir"/{state,spool,log}
    if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile=/etc/munge/munge.key ||
            return 1
        chown munge:munge /etc/munge/munge.key
        install -d -o munge -g munge -m 0755 /run/munge
        runuser -u munge -- /usr/sbin/munged || return 1
        SLURM_STARTED_MUNGE=1
    fi
    cat >"$dir/slurm.conf" <<CONF
ClusterName=drnntest
SlurmctldHost=$host
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
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
NodeName=$host CPUs=4 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF=$dir/slurm.conf
    SLURM_DIR=$dir
    slurmctld -f "$SLURM_CONF" || return 1
    slurmd -f "$SLURM_CONF" || return 1
    for i in $(seq 1 60); do
        sinfo -h -o %t 2>/dev/null | grep -q idle && return 0
        sleep 0.5
    done
    echo "slurm_start: the node never became idle: $(sinfo 2>&1 | tail -2)" >&2
    return 1
}

slurm_stop() {
    local f
    for f in "$SLURM_DIR/slurmd.pid" "$SLURM_DIR/slurmctld.pid"; do
        [[ -s $f ]] && kill "$(cat "$f")" 2>/dev/null
    done
    if ((SLURM_STARTED_MUNGE)) && [[ -s /run/munge/munged.pid ]]; then
        kill "$(cat /run/munge/munged.pid)" 2>/dev/null
    fi
    return 0
}

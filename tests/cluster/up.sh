#!/usr/bin/env bash
# tests/cluster/up.sh [--hosts N] [--rate RATE] [--slurm] — emulated hosts on this one machine.
#
# Each host hK (K = 1..N, default 2) is a network namespace drnn-hK with one interface eth0 =
# 10.213.0.K/24, wired by a veth into a bridge that lives in a namespace of its own (drnn-sw):
# the addresses exist only inside these namespaces, the machine's own network is not touched.
# A program runs on a host through tests/cluster/on.sh hK CMD (its own host name there, and the
# Open MPI settings for these hosts); mpirun reaches the other hosts through agent.sh.
#   --rate RATE  shapes every host's outgoing link with tbf (e.g. 1gbit, 10gbit): a real
#                bandwidth between hosts; ranks on one host still talk through shared memory.
#   --slurm      also a multi-node Slurm: slurmctld on a host "ctl" (10.213.0.254) and one slurmd
#                per host (node names h1..hN, 2 CPUs each, partition "cluster"); Slurm's commands
#                run on a host, e.g. `on.sh ctl sbatch ...`. Needs slurm-wlm and munge.
# Everything is recorded under /run/drnn-cluster (DRNN_CLUSTER_STATE); tests/cluster/down.sh
# removes it all, and up.sh runs it first, so a cluster left by a killed test never lingers.
# Needs root, ip (iproute2), tc, nsenter and unshare.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../slurm_local.sh
source "$HERE/../slurm_local.sh" # munge_up, slurm_conf_common, slurm_cgroup_check, kill_wait
STATE=${DRNN_CLUSTER_STATE:-/run/drnn-cluster}
SUBNET=10.213.0
hosts=2 rate="" slurm=0
die() { echo "up.sh: $*" >&2; "$HERE/down.sh" --quiet; exit 1; }
while (($#)); do
    case $1 in
    --hosts) hosts=${2:-}; shift 2 ;;
    --rate) rate=${2:-}; shift 2 ;;
    --slurm) slurm=1; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "up.sh: unknown option '$1' (see --help)" >&2; exit 64 ;;
    esac
done
[[ $hosts =~ ^[0-9]+$ ]] && ((hosts >= 1 && hosts <= 250)) ||
    { echo "up.sh: --hosts must be a number from 1 to 250, not '$hosts'" >&2; exit 64; }
[[ $(id -u) -eq 0 ]] || { echo "up.sh: needs root (network namespaces)" >&2; exit 1; }
for b in ip tc nsenter unshare; do
    command -v "$b" >/dev/null || { echo "up.sh: $b missing (apt-get install iproute2 util-linux)" >&2; exit 1; }
done
if ((slurm)); then
    for b in slurmctld slurmd sbatch munge; do
        command -v "$b" >/dev/null || { echo "up.sh: $b missing (apt-get install slurm-wlm munge)" >&2; exit 1; }
    done
    slurm_cgroup_check || exit 1
fi

"$HERE/down.sh" --quiet || exit 1
mkdir -p "$STATE" && echo "$SUBNET.0/24" >"$STATE/subnet" || die "cannot write $STATE"

# add_host NAME ADDRESS: namespace drnn-NAME, eth0 = ADDRESS/24 into the bridge, lo up.
add_host() {
    local ns=drnn-$1 port=p-$1
    ip netns add "$ns" &&
        ip -n drnn-sw link add "$port" type veth peer name eth0 netns "$ns" &&
        ip -n drnn-sw link set "$port" master br0 up &&
        ip -n "$ns" addr add "$2/24" dev eth0 &&
        ip -n "$ns" link set eth0 up &&
        ip -n "$ns" link set lo up || die "cannot set up host $1 ($2)"
    echo "$1 $2" >>"$STATE/hosts"
}
ip netns add drnn-sw && ip -n drnn-sw link add br0 type bridge && ip -n drnn-sw link set br0 up ||
    die "cannot create the bridge namespace drnn-sw"
for k in $(seq 1 "$hosts"); do add_host "h$k" "$SUBNET.$k"; done
((slurm)) && add_host ctl "$SUBNET.254"

if [[ -n $rate ]]; then
    # tbf needs a burst of at least rate/HZ; 256 KiB serves 1 Gbit/s, faster links need more.
    burst=256kb
    [[ $rate =~ ^([0-9]+)gbit$ ]] && ((BASH_REMATCH[1] >= 5)) && burst=2mb
    while read -r h _; do
        ip netns exec "drnn-$h" tc qdisc add dev eth0 root tbf rate "$rate" burst "$burst" \
            latency 2ms || die "tc cannot shape $h's link to '$rate' (try e.g. 1gbit)"
    done <"$STATE/hosts"
    echo "$rate" >"$STATE/rate"
fi

# Every host reaches every other: a connection to a closed port is refused, not timed out.
while read -r a _; do
    while read -r b addr; do
        [[ $a == "$b" ]] && continue
        err=$(ip netns exec "drnn-$a" timeout 3 bash -c "exec 3<>/dev/tcp/$addr/9" 2>&1)
        [[ $err == *refused* ]] || die "host $a cannot reach $b at $addr: ${err:-timed out}"
    done <"$STATE/hosts"
done <"$STATE/hosts"

if ((slurm)); then
    S=$STATE/slurm
    mkdir -p "$S"/{state,log,spool} || die "cannot write $S"
    munge_up || die "munged does not run"
    ((SLURM_STARTED_MUNGE)) && touch "$STATE/munge_started"
    {
        echo "SlurmctldHost=ctl($SUBNET.254)"
        slurm_conf_common "$S"
        # One spool path for every slurmd, each host binding its own folder onto it: Slurm's
        # PMIx plugin does not expand %n there. The pid file lives in it too.
        echo "SlurmdSpoolDir=$S/spool"
        echo "TmpFS=$S/spool"
        echo "SlurmdPidFile=$S/spool/slurmd.pid"
        echo "SlurmdLogFile=$S/log/slurmd-%n.log"
        for k in $(seq 1 "$hosts"); do
            echo "NodeName=h$k NodeAddr=$SUBNET.$k CPUs=2 RealMemory=1000 State=UNKNOWN"
        done
        echo "PartitionName=cluster Nodes=h[1-$hosts] Default=YES MaxTime=INFINITE State=UP"
    } >"$S/slurm.conf"
    # nsenter, not `ip netns exec`: that one remounts /sys, which slurmd's cgroup code needs.
    nsenter --net=/run/netns/drnn-ctl unshare --uts sh -c 'hostname ctl && exec slurmctld -f "$0"' \
        "$S/slurm.conf" || die "slurmctld did not start (log: $S/log/slurmctld.log)"
    for k in $(seq 1 "$hosts"); do
        mkdir -p "$S/spool-h$k"
        nsenter --net="/run/netns/drnn-h$k" unshare --uts --mount --propagation private sh -c \
            'hostname "$0" && mount --bind "$1/spool-$0" "$1/spool" && exec slurmd -f "$1/slurm.conf"' \
            "h$k" "$S" || die "slurmd on h$k did not start (log: $S/log/slurmd-h$k.log)"
    done
    idle=0
    for _ in $(seq 1 120); do
        idle=$("$HERE/on.sh" ctl sinfo -h -N -o %t 2>/dev/null | grep -c idle)
        ((idle == hosts)) && break
        sleep 0.5
    done
    if ((idle != hosts)); then
        for f in "$S"/log/*.log; do echo "--- $f"; tail -n 15 "$f"; done >&2
        die "only $idle of $hosts Slurm nodes became idle"
    fi
fi
echo "up.sh: $hosts host(s) h1..h$hosts on $SUBNET.0/24${rate:+, links at $rate}${S:+, Slurm (controller on ctl)}"

#!/usr/bin/env bash
# tests/cluster/down.sh [--quiet] — removes everything tests/cluster/up.sh made: Slurm jobs and
# daemons (and munged if up.sh started it), every process still inside an emulated host, the
# namespaces drnn-* with their links and shaping, and the state folder. Safe to run at any time,
# also when nothing is up; exits 1 if something could not be removed.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../slurm_local.sh
source "$HERE/../slurm_local.sh" # kill_wait
STATE=${DRNN_CLUSTER_STATE:-/run/drnn-cluster}
quiet=0
[[ ${1:-} == --quiet ]] && quiet=1
S=$STATE/slurm
if [[ -s $S/slurm.conf && -e /run/netns/drnn-ctl ]]; then # jobs first: their ranks must go too
    "$HERE/on.sh" ctl scancel --full --user=root 2>/dev/null
    for _ in $(seq 1 50); do
        [[ -z $("$HERE/on.sh" ctl squeue -h 2>/dev/null) ]] && break
        sleep 0.1
    done
fi
for f in "$S"/spool-*/slurmd.pid "$S/slurmctld.pid"; do
    [[ -s $f ]] && kill_wait "$(cat "$f")"
done
if [[ -e $STATE/munge_started && -s /run/munge/munged.pid ]]; then
    kill_wait "$(cat /run/munge/munged.pid)"
fi

for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^drnn-/ {print $1}'); do
    # shellcheck disable=SC2046  # pids, one per word
    kill -KILL $(ip netns pids "$ns") 2>/dev/null
    for _ in $(seq 1 50); do [[ -z $(ip netns pids "$ns") ]] && break; sleep 0.1; done
    ip netns del "$ns" 2>/dev/null
done
rm -rf "$STATE"
left=$(ip netns list 2>/dev/null | awk '$1 ~ /^drnn-/ {printf " %s", $1}')
if [[ -n $left ]]; then
    echo "down.sh: could not remove the namespaces$left" >&2
    exit 1
fi
((quiet)) || echo "down.sh: no emulated host, link or daemon is left"
exit 0

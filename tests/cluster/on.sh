#!/bin/sh
# tests/cluster/on.sh HOST CMD [ARG...] — runs CMD on an emulated host of tests/cluster/up.sh (h1 ...
# hN, or ctl, the Slurm controller's host): inside that host's network namespace, under its own
# host name, with the environment a job on these hosts needs: Open MPI starts remote daemons
# through agent.sh, talks TCP over the hosts' subnet only, yields when idle (every host shares the
# same 2 cores), and Slurm's commands find the emulated cluster's slurm.conf.
state=${DRNN_CLUSTER_STATE:-/run/drnn-cluster}
[ $# -ge 2 ] || { echo "usage: on.sh HOST CMD [ARG...]" >&2; exit 64; }
host=$1
shift
[ -e "/run/netns/drnn-$host" ] || {
    echo "on.sh: no emulated host '$host' (bring the hosts up with tests/cluster/up.sh)" >&2
    exit 66
}
subnet=$(cat "$state/subnet")
export OMPI_MCA_plm_rsh_agent="$(dirname "$0")/agent.sh"
export OMPI_MCA_btl=vader,tcp,self OMPI_MCA_btl_tcp_if_include="$subnet"
export OMPI_MCA_oob_tcp_if_include="$subnet" OMPI_MCA_btl_tcp_links=2
export OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -s "$state/slurm/slurm.conf" ] && export SLURM_CONF="$state/slurm/slurm.conf"
exec ip netns exec "drnn-$host" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$host" "$@"

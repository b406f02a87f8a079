#!/bin/sh
# tests/cluster/agent.sh HOST COMMAND... — Open MPI's remote launch agent (in ssh's place) on the
# emulated hosts: Open MPI hands it a host name and a shell command line, as it would to ssh.
host=$1
shift
exec "$(dirname "$0")/on.sh" "$host" sh -c "$*"

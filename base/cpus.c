#define _GNU_SOURCE
#include "base/cpus.h"

#include <sched.h>
#include <unistd.h>

int cpus_available(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    return cpus > 0 ? cpus : 1;
}

int cpus_threads_for(int requested, int sharing) {
    int n = requested;
    if (n <= 0) {
        int cpus = cpus_available();
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        /* A rank bound to a subset of the node (mpirun's default binding) owns those CPUs; an
         * unbound rank shares all of them with the other ranks on this node. */
        if (online > 0 && cpus < online)
            n = cpus;
        else
            n = cpus / (sharing > 0 ? sharing : 1);
    }
    return n < 1 ? 1 : n;
}

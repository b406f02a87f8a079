#include <cblas.h>
#include <unistd.h>

#include "comm/comm.h"
#include "trainer/train.h"

int threads_configure(int requested) {
    int n = requested;
    if (n <= 0) {
        int cpus = threads_cpus();
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        /* A rank bound to a subset of the node (mpirun's default binding) owns those CPUs; an
         * unbound rank shares all of them with the other ranks on this node. */
        if (online > 0 && cpus < online)
            n = cpus;
        else
            n = cpus / comm_local_size();
    }
    if (n < 1) n = 1;
    openblas_set_num_threads(n);
    return n;
}

/* trainer/cpus.c — the CPUs this process may run on. Apart from threads.c, so that drnn-prep,
 * which counts CPUs for its deflate workers, does not pull in OpenBLAS (see CMakeLists.txt). */
#define _GNU_SOURCE
#include <sched.h>

#include "trainer/train.h"

int threads_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    return cpus > 0 ? cpus : 1;
}

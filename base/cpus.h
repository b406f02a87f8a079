/* base/cpus.h — how many CPUs this process may use, and how many threads a rank should run.
 * No BLAS here (drnn-prep counts CPUs for its deflate workers without loading OpenBLAS); the
 * model layer applies the count (model/kernels.h, model_set_threads). */
#ifndef DRNN_BASE_CPUS_H
#define DRNN_BASE_CPUS_H

/* The CPUs this process may run on (sched_getaffinity; at least 1). */
int cpus_available(void);

/* Threads for one rank: REQUESTED if > 0; else the CPUs this rank may use, divided by SHARING
 * (the ranks on this node) when the rank is not bound to a subset of them. At least 1. */
int cpus_threads_for(int requested, int sharing);

#endif

/* comm/comm.h — everything drnn does with MPI (DESIGN §2, §5, §8).
 *
 * Init that also works without mpirun (a singleton is one rank), broadcast of the initial
 * parameters, the gradient all-reduce, small fp64 scalar reductions, and the two ways to end a
 * job on an error. Every MPI call is checked. comm/ knows nothing about models; on one rank the
 * reductions are cheap no-ops.
 */
#ifndef DRNN_COMM_H
#define DRNN_COMM_H

#include <stddef.h>

#include "base/util.h"

/* MPI_Init_thread (funneled). Sets the program name used in messages (base/util.h) and makes
 * drnn_die end the whole job with MPI_Abort when more than one rank runs. */
void comm_init(int *argc, char ***argv, const char *prog);
/* MPI_Finalize if initialized; safe to call twice. */
void comm_finalize(void);

int comm_rank(void);
int comm_size(void);
/* Ranks of this job on this node (MPI shared-memory split) and this rank's index among them. */
int comm_local_size(void);
int comm_local_rank(void);
/* Hosts (shared-memory nodes) of this job, and the most ranks any of them holds. */
int comm_hosts(void);
int comm_most_per_host(void);
double comm_wtime(void);

/* buf: [n] floats, root's values copied to every rank. */
void comm_bcast_floats(float *buf, size_t n, int root);
/* In-place elementwise sum over ranks of buf: [n] floats (one blocking all-reduce). */
void comm_allreduce_sum_floats(float *buf, size_t n);
/* In-place elementwise sum over ranks of buf: [n] doubles (scalars: loss, token count, flags).
 * Non-blocking reduction completed by polling that yields the CPU (comm_poll_pause). */
void comm_allreduce_sum_doubles(double *buf, int n);
/* Maximum over ranks of v (polled like comm_allreduce_sum_doubles). */
int comm_allreduce_max_int(int v);
void comm_barrier(void);

/* For comm/ sources: dies (drnn_die 70) naming the call and the site unless rc == MPI_SUCCESS. */
void comm_check(int rc, const char *what, const char *file, int line);
#define COMM_CHECK(call) comm_check((call), #call, __FILE__, __LINE__)
/* Pause between two MPI_Test polls of a request. Open MPI moves a collective only while its
 * ranks call into MPI, and a large all-reduce takes dozens of rounds, so the first 50 ms of a wait
 * only sched_yield (a core another process wants is handed over; the next round is seen at once;
 * sleeping here cost up to 5 % of a step at H=512 on 2 ranks, measured); longer waits — a rank
 * far behind, stopped or dead — sleep 200 us, then 1 ms after 200 ms, so the waiting rank leaves
 * its core to the ranks still computing. Start each wait with a zeroed comm_poll_t. */
typedef struct {
    double start; /* monotonic seconds of the first pause; 0 before */
} comm_poll_t;
void comm_poll_pause(comm_poll_t *p);

/* An error every rank detects the same way: rank 0 prints "PROG: message", every rank finalizes
 * MPI and exits with code. Must be called by all ranks. Never returns. */
void comm_fail(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/* Every rank passes its outcome rc (0 or an exit code, message in err) of a step that may fail
 * on some ranks only — opening the corpus, reading a checkpoint, writing a shard. Returns when
 * every rank succeeded. When every rank failed alike, ends as comm_fail; otherwise each failing
 * rank ends the whole job through drnn_die with its own message and the others wait for the
 * abort: no rank is ever left waiting in a collective. */
void comm_agree(int rc, const char *err);

/* Finalize and exit(code) on every rank (normal end). */
void comm_exit(int code) __attribute__((noreturn));

#endif

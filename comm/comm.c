#include "comm/comm.h"

#include <limits.h>
#include <mpi.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int world_rank, world_size = 1, local_rank, local_size = 1, hosts = 1, most_per_host = 1;

#define CHECK_MPI(call) COMM_CHECK(call)

void comm_check(int rc, const char *what, const char *file, int line) {
    if (rc == MPI_SUCCESS) return;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    drnn_die(70, "MPI call %s failed at %s:%d: %s", what, file, line, msg);
}

void comm_poll_pause(comm_poll_t *p) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double t = (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
    if (p->start == 0.0) p->start = t;
    double waited = t - p->start;
    if (waited < 50e-3) {
        sched_yield();
        return;
    }
    struct timespec ts = {0, waited < 0.2 ? 200000L : 1000000L};
    nanosleep(&ts, NULL);
}

/* Completes one request by polling (see comm_poll_pause). */
static void wait_polling(MPI_Request *req) {
    comm_poll_t poll = {0};
    for (;;) {
        int done = 0;
        CHECK_MPI(MPI_Test(req, &done, MPI_STATUS_IGNORE));
        if (done) return;
        comm_poll_pause(&poll);
    }
}

/* drnn_die on a rank of several: "rank R: " and MPI_Abort. */
static void die_prefix(char *buf, size_t len) {
    if (world_size > 1) snprintf(buf, len, "rank %d: ", world_rank);
}
static void die_end(int code) {
    if (world_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
    comm_finalize();
}

void comm_init(int *argc, char ***argv, const char *prog) {
    drnn_set_prog(prog);
    /* Open MPI's non-blocking all-reduce (libnbc) picks a binomial tree for in-place reductions:
     * reduce to one rank, then broadcast, so the whole buffer is sent 2 log2 N times one after
     * another (half the link's bandwidth at 2 ranks, worse with every doubling). Rabenseifner's
     * reduce-scatter + all-gather sends 2(N-1)/N of the buffer in 2 log2 N rounds. A value the
     * user put in the environment (or passed with mpirun -x) wins. */
    setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "3", 0);
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "%s: MPI_Init failed; run under mpirun/srun or alone\n", prog);
        exit(70);
    }
    static const drnn_die_hook_t hook = {die_prefix, die_end};
    drnn_set_die_hook(&hook);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &world_rank));
    CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &world_size));
    MPI_Comm node;
    CHECK_MPI(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world_rank, MPI_INFO_NULL,
                                  &node));
    CHECK_MPI(MPI_Comm_rank(node, &local_rank));
    CHECK_MPI(MPI_Comm_size(node, &local_size));
    CHECK_MPI(MPI_Comm_free(&node));
    int lead = local_rank == 0;
    CHECK_MPI(MPI_Allreduce(&lead, &hosts, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
    CHECK_MPI(MPI_Allreduce(&local_size, &most_per_host, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
}

void comm_finalize(void) {
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (init && !fin) MPI_Finalize();
}

int comm_rank(void) {
    return world_rank;
}
int comm_size(void) {
    return world_size;
}
int comm_local_size(void) {
    return local_size;
}
int comm_local_rank(void) {
    return local_rank;
}
int comm_hosts(void) {
    return hosts;
}
int comm_most_per_host(void) {
    return most_per_host;
}
double comm_wtime(void) {
    return MPI_Wtime();
}

/* MPI counts are int: large buffers go in pieces of at most 2^30 elements. */
#define CHUNK ((size_t)1 << 30)

void comm_bcast_floats(float *buf, size_t n, int root) {
    if (world_size == 1) return;
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t len = n - off < CHUNK ? n - off : CHUNK;
        CHECK_MPI(MPI_Bcast(buf + off, (int)len, MPI_FLOAT, root, MPI_COMM_WORLD));
    }
}

void comm_allreduce_sum_floats(float *buf, size_t n) {
    if (world_size == 1) return;
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t len = n - off < CHUNK ? n - off : CHUNK;
        CHECK_MPI(
            MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)len, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD));
    }
}

void comm_allreduce_sum_doubles(double *buf, int n) {
    if (world_size == 1) return;
    MPI_Request req;
    CHECK_MPI(MPI_Iallreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &req));
    wait_polling(&req);
}

int comm_allreduce_max_int(int v) {
    if (world_size == 1) return v;
    MPI_Request req;
    CHECK_MPI(MPI_Iallreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req));
    wait_polling(&req);
    return v;
}

void comm_agree(int rc, const char *err) {
    int worst = comm_allreduce_max_int(rc);
    if (worst == 0) return;
    int best = -comm_allreduce_max_int(-rc);
    if (best == worst) comm_fail(rc, "%s", err); /* every rank saw it: rank 0 tells */
    if (rc != 0) drnn_die(rc, "%s", err);        /* this rank's own error: ends the whole job */
    /* Only other ranks failed: they are ending the job with their messages. */
    for (;;) {
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
}

void comm_barrier(void) {
    if (world_size > 1) CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
}

void comm_fail(int code, const char *fmt, ...) {
    if (world_rank == 0) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "%s: ", drnn_prog());
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    fflush(NULL);
    comm_finalize();
    _exit(code); /* as drnn_die */
}

void comm_exit(int code) {
    fflush(NULL);
    comm_finalize();
    exit(code);
}

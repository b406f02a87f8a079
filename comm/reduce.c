#include "comm/reduce.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comm.h"

/* Bucket life: IDLE -> RUN1 -> DONE (fp32: the all-reduce)
 *              IDLE -> RUN1 (all-to-all) -> SUMMED -> RUN2 (all-gather) -> DONE (bf16). */
enum { B_IDLE, B_RUN1, B_SUMMED, B_RUN2, B_DONE };

typedef struct {
    size_t off, len; /* floats of buf */
    size_t ready;    /* floats reported final this step */
    size_t piece;    /* bf16: ceil(len / N) elements per rank */
    uint16_t *send;  /* bf16: [N * piece] the bucket rounded (padded with zeros); after the
                        all-to-all it receives the all-gather in place */
    uint16_t *recv;  /* bf16: [N * piece] this rank's piece from every rank, by rank */
    MPI_Request req;
    int state;
} bucket_t;

struct comm_reduce {
    float *buf;
    size_t n, per; /* floats in buf; floats per full bucket */
    int rank, size, nb;
    comm_reduce_dtype_t dtype;
    MPI_Comm c1, c2; /* all-reduces or all-to-alls; all-gathers (bf16) */
    bucket_t *b;     /* [nb], b[0] at the end of buf */
    int *order;      /* [nb] bucket indices in start order */
    int nstarted;    /* buckets started this step */
    int ngathered;   /* bf16: all-gathers started, in start order */
    int first_live;  /* order[0 .. first_live) are DONE */
    float *acc;      /* bf16: [max piece] fp32 sums */
    uint16_t *scratch;
};

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) drnn_die(70, "out of memory for the gradient all-reduce (%zu x %zu bytes)", n, size);
    return p;
}

/* ---- bf16 -------------------------------------------------------------------------------- */

uint16_t comm_bf16_from_float(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x0040u); /* quiet NaN */
    /* Round to nearest, ties to even: add 0x7fff plus the lowest kept bit, then truncate. Carries
     * into the exponent are right (they round up to the next binade or to inf). */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float comm_bf16_to_float(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- setup ------------------------------------------------------------------------------- */

comm_reduce_t *comm_reduce_create(float *buf, size_t n, size_t bucket_bytes,
                                  comm_reduce_dtype_t dtype) {
    const MPI_Comm comm = MPI_COMM_WORLD;
    comm_reduce_t *r = xcalloc(1, sizeof *r);
    r->buf = buf, r->n = n, r->dtype = dtype;
    COMM_CHECK(MPI_Comm_rank(comm, &r->rank));
    COMM_CHECK(MPI_Comm_size(comm, &r->size));
    if (r->size == 1 || n == 0) return r; /* nothing to do, ever */
    COMM_CHECK(MPI_Comm_dup(comm, &r->c1));
    if (dtype == COMM_REDUCE_BF16) COMM_CHECK(MPI_Comm_dup(comm, &r->c2));
    /* MPI counts are int: a bucket holds at most 2^30 floats. */
    size_t per = bucket_bytes / sizeof(float);
    r->per = per < 1 ? 1 : per > ((size_t)1 << 30) ? (size_t)1 << 30 : per;
    r->nb = (int)((n + r->per - 1) / r->per);
    r->b = xcalloc((size_t)r->nb, sizeof *r->b);
    r->order = xcalloc((size_t)r->nb, sizeof *r->order);
    size_t N = (size_t)r->size, scratch = 0, maxpiece = 0;
    for (int i = 0; i < r->nb; i++) {
        bucket_t *b = &r->b[i];
        size_t end = n - (size_t)i * r->per;
        b->len = end < r->per ? end : r->per;
        b->off = end - b->len;
        b->req = MPI_REQUEST_NULL;
        b->piece = (b->len + N - 1) / N;
        scratch += 2 * N * b->piece;
        if (b->piece > maxpiece) maxpiece = b->piece;
    }
    if (dtype == COMM_REDUCE_BF16) {
        r->scratch = xcalloc(scratch, sizeof(uint16_t));
        r->acc = xcalloc(maxpiece, sizeof(float));
        uint16_t *p = r->scratch;
        for (int i = 0; i < r->nb; i++) {
            r->b[i].send = p, p += N * r->b[i].piece;
            r->b[i].recv = p, p += N * r->b[i].piece;
        }
    }
    return r;
}

void comm_reduce_free(comm_reduce_t *r) {
    if (!r) return;
    if (r->size > 1 && r->n > 0) { /* the communicators were duplicated */
        COMM_CHECK(MPI_Comm_free(&r->c1));
        if (r->dtype == COMM_REDUCE_BF16) COMM_CHECK(MPI_Comm_free(&r->c2));
    }
    free(r->b), free(r->order), free(r->acc), free(r->scratch);
    free(r);
}

int comm_reduce_buckets(const comm_reduce_t *r) {
    return r->nb;
}

double comm_reduce_bytes_per_step(const comm_reduce_t *r) {
    double N = r->size, bytes = 0.0;
    for (int i = 0; i < r->nb; i++)
        bytes += r->dtype == COMM_REDUCE_BF16 ? 2.0 * (N - 1) * (double)r->b[i].piece * 2.0
                                              : 2.0 * (N - 1) / N * (double)r->b[i].len * 4.0;
    return bytes;
}

/* ---- one bucket -------------------------------------------------------------------------- */

static void start(comm_reduce_t *r, int i) {
    bucket_t *b = &r->b[i];
    if (r->dtype == COMM_REDUCE_FP32) {
        COMM_CHECK(MPI_Iallreduce(MPI_IN_PLACE, r->buf + b->off, (int)b->len, MPI_FLOAT, MPI_SUM,
                                  r->c1, &b->req));
    } else {
        const float *x = r->buf + b->off;
        size_t padded = (size_t)r->size * b->piece;
        for (size_t k = 0; k < b->len; k++) b->send[k] = comm_bf16_from_float(x[k]);
        memset(b->send + b->len, 0, sizeof(uint16_t) * (padded - b->len));
        COMM_CHECK(MPI_Ialltoall(b->send, (int)b->piece, MPI_UINT16_T, b->recv, (int)b->piece,
                                 MPI_UINT16_T, r->c1, &b->req));
    }
    b->state = B_RUN1;
    r->order[r->nstarted++] = i;
}

/* bf16 step 2: this rank's piece summed over ranks in rank order in fp32, rounded once, stored
 * at its place in send, which the all-gather then fills in place. */
static void sum_piece(comm_reduce_t *r, bucket_t *b) {
    const size_t p = b->piece;
    float *acc = r->acc;
    for (size_t k = 0; k < p; k++) acc[k] = comm_bf16_to_float(b->recv[k]);
    for (int q = 1; q < r->size; q++) {
        const uint16_t *src = b->recv + (size_t)q * p;
        for (size_t k = 0; k < p; k++) acc[k] += comm_bf16_to_float(src[k]);
    }
    uint16_t *mine = b->send + (size_t)r->rank * p;
    for (size_t k = 0; k < p; k++) mine[k] = comm_bf16_from_float(acc[k]);
    b->state = B_SUMMED;
}

static void unpack(comm_reduce_t *r, bucket_t *b) {
    float *x = r->buf + b->off;
    for (size_t k = 0; k < b->len; k++) x[k] = comm_bf16_to_float(b->send[k]);
}

/* Tests one running bucket and moves it to its next state when its request completed. */
static void test_bucket(comm_reduce_t *r, bucket_t *b) {
    int done = 0;
    COMM_CHECK(MPI_Test(&b->req, &done, MPI_STATUS_IGNORE));
    if (!done) return;
    if (r->dtype == COMM_REDUCE_FP32) {
        b->state = B_DONE;
    } else if (b->state == B_RUN1) {
        sum_piece(r, b);
    } else {
        unpack(r, b);
        b->state = B_DONE;
    }
}

/* ---- the step ---------------------------------------------------------------------------- */

void comm_reduce_ready(comm_reduce_t *r, size_t offset, size_t count) {
    if (r->size == 1 || count == 0) return;
    if (offset > r->n || count > r->n - offset)
        drnn_die(70, "gradient all-reduce: range [%zu, %zu) outside the buffer of %zu floats",
                 offset, offset + count, r->n);
    size_t end = offset + count;
    int lo = (int)((r->n - end) / r->per), hi = (int)((r->n - 1 - offset) / r->per);
    for (int i = lo; i <= hi; i++) {
        bucket_t *b = &r->b[i];
        size_t a = b->off > offset ? b->off : offset;
        size_t z = b->off + b->len < end ? b->off + b->len : end;
        b->ready += z - a;
        if (b->ready > b->len || b->state != B_IDLE)
            drnn_die(70, "gradient all-reduce: floats of bucket %d reported final twice", i);
        if (b->ready == b->len) start(r, i);
    }
}

void comm_reduce_progress(comm_reduce_t *r) {
    if (r->size == 1) return;
    for (int k = r->first_live; k < r->nstarted; k++) {
        bucket_t *b = &r->b[r->order[k]];
        if (b->state == B_RUN1 || b->state == B_RUN2) test_bucket(r, b);
    }
    /* All-gathers start strictly in the order the all-to-alls started, on every rank. */
    while (r->ngathered < r->nstarted && r->b[r->order[r->ngathered]].state == B_SUMMED) {
        bucket_t *b = &r->b[r->order[r->ngathered++]];
        COMM_CHECK(MPI_Iallgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, b->send, (int)b->piece,
                                  MPI_UINT16_T, r->c2, &b->req));
        b->state = B_RUN2;
    }
    while (r->first_live < r->nstarted && r->b[r->order[r->first_live]].state == B_DONE)
        r->first_live++;
}

void comm_reduce_wait(comm_reduce_t *r) {
    if (r->size == 1) return;
    for (int i = 0; i < r->nb; i++)
        if (r->b[i].state == B_IDLE) start(r, i);
    comm_poll_t poll = {0};
    for (;;) {
        comm_reduce_progress(r);
        if (r->first_live == r->nb) break;
        comm_poll_pause(&poll);
    }
    for (int i = 0; i < r->nb; i++) r->b[i].ready = 0, r->b[i].state = B_IDLE;
    r->nstarted = r->ngathered = r->first_live = 0;
}

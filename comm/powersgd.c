#include "comm/powersgd.h"

#include <cblas.h>
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comm.h"

/* A matrix's step: IDLE -> P_RUN (all-reduce of P) -> P_DONE -> Q_RUN (all-reduce of Q) -> DONE.
 * On one rank the reductions are skipped and a matrix goes from IDLE to DONE at once. */
enum { M_IDLE, M_PRUN, M_PDONE, M_QRUN, M_DONE };

/* A tensor of the buffer: compressed (k >= 0: mat[k]) or packed with the others (k < 0: at
 * upos of the packed buffer). */
typedef struct {
    size_t off, len, upos, ready;
    int k;
} seg_t;

typedef struct {
    size_t off, n, m; /* M: buf[off ..], [n, m] */
    int r;
    float *P, *Q, *e, *in; /* [n, r], [m, r], [n, m], [n, m] or NULL */
    MPI_Request req;
    int state;
} mat_t;

struct comm_psgd {
    float *buf, *u; /* the gradients; the uncompressed floats packed */
    size_t n, nu, nq, ne;
    int size, nseg, nmat, compress, have_state;
    seg_t *seg;
    mat_t *mat;
    float *pall, *qall, *eall, *inall;
    comm_reduce_t *full, *unc; /* the whole buffer; the packed floats */
    MPI_Comm cp, cq;           /* all-reduces of P; of Q (each in start order) */
    int *order;                /* matrices in start order this step */
    int nstarted, qstarted, first_live;
};

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) drnn_die(70, "out of memory for PowerSGD (%zu x %zu bytes)", n, size);
    return p;
}

/* ---- math -------------------------------------------------------------------------------- */

/* a: [rows, r] row-major; its columns made orthonormal in place by Gram-Schmidt, column by
 * column as PyTorch's _orthogonalize_gram_schmidt: normalize column i, then remove its
 * projection from every later column. A zero column stays zero. Sums in double. */
static void orthogonalize(float *a, size_t rows, int r) {
    for (int i = 0; i < r; i++) {
        double ss = 0.0;
        for (size_t x = 0; x < rows; x++) ss += (double)a[x * r + i] * a[x * r + i];
        float inv = ss > 0.0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
        for (size_t x = 0; x < rows; x++) a[x * r + i] *= inv;
        for (int j = i + 1; j < r; j++) {
            double d = 0.0;
            for (size_t x = 0; x < rows; x++) d += (double)a[x * r + i] * a[x * r + j];
            for (size_t x = 0; x < rows; x++) a[x * r + j] -= (float)d * a[x * r + i];
        }
    }
}

/* ---- setup ------------------------------------------------------------------------------- */

comm_psgd_t *comm_psgd_create(float *buf, size_t n, const comm_psgd_matrix_t *mats, int nmats,
                              int R, size_t bucket_bytes, comm_reduce_dtype_t dtype,
                              int keep_input) {
    const MPI_Comm comm = MPI_COMM_WORLD;
    comm_psgd_t *p = xcalloc(1, sizeof *p);
    p->buf = buf, p->n = n;
    COMM_CHECK(MPI_Comm_size(comm, &p->size));
    p->seg = xcalloc((size_t)nmats, sizeof *p->seg);
    p->mat = xcalloc((size_t)nmats, sizeof *p->mat);
    p->order = xcalloc((size_t)nmats, sizeof *p->order);
    size_t at = 0, np = 0;
    for (int i = 0; i < nmats; i++) {
        const comm_psgd_matrix_t *t = &mats[i];
        size_t len = t->rows * t->cols;
        if (t->offset != at || len > n - at)
            drnn_die(70, "PowerSGD: tensor %d at %zu does not follow the previous one (%zu)", i,
                     t->offset, at);
        seg_t *s = &p->seg[p->nseg++];
        s->off = at, s->len = len, s->k = -1;
        at += len;
        size_t r = t->rows < t->cols ? t->rows : t->cols;
        r = r < (size_t)R ? r : (size_t)R;
        if (r > 0 && (t->rows + t->cols) * r * 2 < len) { /* PyTorch's min_compression_rate 2 */
            mat_t *m = &p->mat[p->nmat];
            m->off = t->offset, m->n = t->rows, m->m = t->cols, m->r = (int)r;
            m->req = MPI_REQUEST_NULL;
            s->k = p->nmat++;
            np += t->rows * r, p->nq += t->cols * r, p->ne += len;
        } else {
            s->upos = p->nu, p->nu += len;
        }
    }
    if (at != n) drnn_die(70, "PowerSGD: the tensors cover %zu of %zu floats", at, n);
    p->u = xcalloc(p->nu, sizeof(float));
    p->pall = xcalloc(np, sizeof(float));
    p->qall = xcalloc(p->nq, sizeof(float));
    p->eall = xcalloc(p->ne, sizeof(float));
    if (keep_input) p->inall = xcalloc(p->ne, sizeof(float));
    size_t po = 0, qo = 0, eo = 0;
    for (int k = 0; k < p->nmat; k++) {
        mat_t *m = &p->mat[k];
        m->P = p->pall + po, m->Q = p->qall + qo, m->e = p->eall + eo;
        m->in = p->inall ? p->inall + eo : NULL;
        po += m->n * m->r, qo += m->m * m->r, eo += m->n * m->m;
    }
    p->full = comm_reduce_create(buf, n, bucket_bytes, dtype);
    p->unc = comm_reduce_create(p->u, p->nu, bucket_bytes, dtype);
    if (p->size > 1) {
        COMM_CHECK(MPI_Comm_dup(comm, &p->cp));
        COMM_CHECK(MPI_Comm_dup(comm, &p->cq));
    }
    return p;
}

void comm_psgd_free(comm_psgd_t *p) {
    if (!p) return;
    comm_reduce_free(p->full);
    comm_reduce_free(p->unc);
    if (p->size > 1) {
        COMM_CHECK(MPI_Comm_free(&p->cp));
        COMM_CHECK(MPI_Comm_free(&p->cq));
    }
    free(p->seg), free(p->mat), free(p->order), free(p->u);
    free(p->pall), free(p->qall), free(p->eall), free(p->inall);
    free(p);
}

/* ---- one matrix -------------------------------------------------------------------------- */

/* The matrix's last stage: M^ = P Q^T over M, e = M - M^ / N (this rank's share of the sum's
 * residual: PyTorch's e = M - mean on its scale, divided by N; the residuals of all ranks add
 * up to sum(M) - M^). */
static void decompress(comm_psgd_t *p, mat_t *m) {
    float *M = p->buf + m->off;
    const size_t nm = m->n * m->m;
    memcpy(m->e, M, sizeof(float) * nm);
    /* P: [n, r], Q: [m, r] -> M: [n, m] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m->n, (int)m->m, m->r, 1.0f, m->P,
                m->r, m->Q, m->r, 0.0f, M, (int)m->m);
    const float N = (float)p->size;
    for (size_t x = 0; x < nm; x++) m->e[x] -= M[x] / N;
    m->state = M_DONE;
}

/* P summed: orthonormalize it, Q = M^T P, start summing Q (or finish on one rank). */
static void second_half(comm_psgd_t *p, mat_t *m) {
    orthogonalize(m->P, m->n, m->r);
    /* M: [n, m], P: [n, r] -> Q: [m, r] */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m->m, m->r, (int)m->n, 1.0f,
                p->buf + m->off, (int)m->m, m->P, m->r, 0.0f, m->Q, m->r);
    if (p->size == 1) {
        decompress(p, m);
        return;
    }
    COMM_CHECK(MPI_Iallreduce(MPI_IN_PLACE, m->Q, (int)(m->m * (size_t)m->r), MPI_FLOAT, MPI_SUM,
                              p->cq, &m->req));
    m->state = M_QRUN;
}

/* The matrix is final: add the error feedback, P = M orth(Q), start summing P. */
static void start_matrix(comm_psgd_t *p, int k) {
    mat_t *m = &p->mat[k];
    float *M = p->buf + m->off;
    const size_t nm = m->n * m->m;
    if (m->in) memcpy(m->in, M, sizeof(float) * nm);
    for (size_t x = 0; x < nm; x++) M[x] += m->e[x];
    orthogonalize(m->Q, m->m, m->r);
    /* M: [n, m], Q: [m, r] -> P: [n, r] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m->n, m->r, (int)m->m, 1.0f, M,
                (int)m->m, m->Q, m->r, 0.0f, m->P, m->r);
    p->order[p->nstarted++] = k;
    if (p->size == 1) {
        p->qstarted++;
        second_half(p, m);
        return;
    }
    COMM_CHECK(MPI_Iallreduce(MPI_IN_PLACE, m->P, (int)(m->n * (size_t)m->r), MPI_FLOAT, MPI_SUM,
                              p->cp, &m->req));
    m->state = M_PRUN;
}

/* An uncompressed tensor is final: into the packed buffer, and its floats to the reduction. */
static void start_packed(comm_psgd_t *p, seg_t *s) {
    memcpy(p->u + s->upos, p->buf + s->off, sizeof(float) * s->len);
    comm_reduce_ready(p->unc, s->upos, s->len);
}

/* ---- the step ---------------------------------------------------------------------------- */

void comm_psgd_begin(comm_psgd_t *p, int compress) {
    if (compress && !p->have_state)
        drnn_die(70, "PowerSGD: a compressed step without an initial Q (internal error)");
    p->compress = compress;
}

void comm_psgd_ready(comm_psgd_t *p, size_t offset, size_t count) {
    if (!p->compress) {
        comm_reduce_ready(p->full, offset, count);
        return;
    }
    const size_t end = offset + count;
    for (int i = 0; i < p->nseg; i++) {
        seg_t *s = &p->seg[i];
        if (s->off + s->len <= offset || s->off >= end || s->len == 0) continue;
        size_t a = s->off > offset ? s->off : offset;
        size_t z = s->off + s->len < end ? s->off + s->len : end;
        s->ready += z - a;
        if (s->ready > s->len)
            drnn_die(70, "PowerSGD: floats of tensor %d reported final twice", i);
        if (s->ready < s->len) continue;
        if (s->k >= 0)
            start_matrix(p, s->k);
        else
            start_packed(p, s);
    }
}

void comm_psgd_progress(comm_psgd_t *p) {
    if (!p->compress) {
        comm_reduce_progress(p->full);
        return;
    }
    comm_reduce_progress(p->unc);
    for (int i = p->first_live; i < p->nstarted && p->size > 1; i++) {
        mat_t *m = &p->mat[p->order[i]];
        if (m->state != M_PRUN && m->state != M_QRUN) continue;
        int done = 0;
        COMM_CHECK(MPI_Test(&m->req, &done, MPI_STATUS_IGNORE));
        if (!done) continue;
        if (m->state == M_PRUN)
            m->state = M_PDONE;
        else
            decompress(p, m);
    }
    /* Q's all-reduces start strictly in the order the P's did, on every rank. */
    while (p->qstarted < p->nstarted && p->mat[p->order[p->qstarted]].state == M_PDONE)
        second_half(p, &p->mat[p->order[p->qstarted++]]);
    while (p->first_live < p->nstarted && p->mat[p->order[p->first_live]].state == M_DONE)
        p->first_live++;
}

void comm_psgd_wait(comm_psgd_t *p) {
    if (!p->compress) {
        comm_reduce_wait(p->full);
        return;
    }
    /* What backward did not report is final now. */
    for (int i = 0; i < p->nseg; i++) {
        seg_t *s = &p->seg[i];
        if (s->ready == s->len) continue;
        s->ready = s->len;
        if (s->k >= 0)
            start_matrix(p, s->k);
        else
            start_packed(p, s);
    }
    comm_poll_t poll = {0};
    while (p->first_live < p->nmat) {
        comm_psgd_progress(p);
        if (p->first_live < p->nmat) comm_poll_pause(&poll);
    }
    comm_reduce_wait(p->unc);
    for (int i = 0; i < p->nseg; i++) {
        seg_t *s = &p->seg[i];
        if (s->k < 0) memcpy(p->buf + s->off, p->u + s->upos, sizeof(float) * s->len);
        s->ready = 0;
    }
    for (int k = 0; k < p->nmat; k++) p->mat[k].state = M_IDLE;
    p->nstarted = p->qstarted = p->first_live = 0;
}

/* ---- state ------------------------------------------------------------------------------- */

int comm_psgd_count(const comm_psgd_t *p) {
    return p->nmat;
}

comm_psgd_matrix_t comm_psgd_matrix(const comm_psgd_t *p, int k, int *r) {
    const mat_t *m = &p->mat[k];
    if (r) *r = m->r;
    return (comm_psgd_matrix_t){m->off, m->n, m->m};
}

float *comm_psgd_q(comm_psgd_t *p, int k) {
    return p->mat[k].Q;
}

const float *comm_psgd_p(const comm_psgd_t *p, int k) {
    return p->mat[k].P;
}

const float *comm_psgd_decompressed(const comm_psgd_t *p, int k) {
    return p->buf + p->mat[k].off;
}

const float *comm_psgd_input(const comm_psgd_t *p, int k) {
    return p->mat[k].in;
}

float *comm_psgd_q_all(comm_psgd_t *p, size_t *nq) {
    *nq = p->nq;
    return p->qall;
}

float *comm_psgd_error(comm_psgd_t *p, size_t *ne) {
    *ne = p->ne;
    return p->eall;
}

int comm_psgd_has_state(const comm_psgd_t *p) {
    return p->have_state;
}

void comm_psgd_set_state(comm_psgd_t *p, int valid) {
    p->have_state = valid;
    if (!valid) memset(p->eall, 0, sizeof(float) * p->ne);
}

comm_reduce_t *comm_psgd_full(comm_psgd_t *p) {
    return p->full;
}

double comm_psgd_bytes_per_step(const comm_psgd_t *p) {
    double N = p->size, floats = 0.0;
    for (int k = 0; k < p->nmat; k++) floats += (double)(p->mat[k].n + p->mat[k].m) * p->mat[k].r;
    return comm_reduce_bytes_per_step(p->unc) + 2.0 * (N - 1) / N * floats * 4.0;
}

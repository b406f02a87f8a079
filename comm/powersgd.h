/* comm/powersgd.h — PowerSGD gradient compression (Vogels et al., 2019) with error feedback, as
 * PyTorch's ddp_comm_hooks.powerSGD_hook computes it, over the same flat gradient buffer that
 * comm/reduce.h sums. comm/ knows nothing about models: the caller names the buffer's 2-D
 * tensors as plain (offset, rows, cols) ranges.
 *
 * Each matrix M [n, m] worth it — rank r = min(n, m, R) and (n + m) r * 2 < n m, PyTorch's
 * min_compression_rate 2 — is compressed on every rank:
 *
 *   M += e                  error feedback: last step's residual of this rank
 *   Q  = orth(Q)            Gram-Schmidt; Q is the previous step's (warm start) or the caller's
 *   P  = M Q                [n, r]      all-reduce P (sum)        ─┐ per matrix, started as soon
 *   P  = orth(P)                                                   │ as backward reports it
 *   Q  = Mᵀ P               [m, r]      all-reduce Q (sum)        ─┘ final, like a bucket
 *   M̂  = P Qᵀ               written over M in the buffer
 *   e  = M − M̂ / N          kept by this rank for the next step
 *
 * Every other float (vectors, small matrices) is gathered into one packed buffer and summed by a
 * comm/reduce.h reduction (fp32 or bf16) as before, its buckets started as backward reports
 * them; P and Q always travel as fp32.
 *
 * Scale: drnn's ranks pre-scale their gradients so that the SUM over ranks is the global mean
 * (DESIGN §5), where PyTorch's ranks hold local means and divide the sums by N. With drnn's
 * g = M_pytorch / N, orth(Σ g Q) = orth(Σ M Q), Σ gᵀ P = (Σ Mᵀ P) / N is PyTorch's Q after its
 * division, and P Qᵀ is PyTorch's decompressed mean: the same P, Q and M̂ with no division here,
 * and e = e_pytorch / N. P, Q and M̂ depend on the ranks' M only through their sum, so only the
 * sum of the ranks' e matters (a resume on another rank count keeps it: trainer/train_ckpt.c).
 *
 * Gram-Schmidt as PyTorch's _orthogonalize_gram_schmidt with epsilon 0, except that a column of
 * zero norm is set to zeros (PyTorch would divide by zero). PyTorch switches to QR for r > 2;
 * that differs from Gram-Schmidt only by column signs, which cancel in P Qᵀ.
 *
 * On one rank nothing is sent; the compression still runs (the result then is the rank-r
 * approximation with error feedback, as PyTorch on one process). Deterministic: for a fixed
 * N, layout and bucket size, bitwise repeatable and identical on all ranks.
 */
#ifndef DRNN_COMM_POWERSGD_H
#define DRNN_COMM_POWERSGD_H

#include <stddef.h>

#include "comm/reduce.h"

/* A row-major matrix [rows, cols] at buf + offset. */
typedef struct {
    size_t offset, rows, cols;
} comm_psgd_matrix_t;

typedef struct comm_psgd comm_psgd_t;

/* buf: [n] floats reduced in place over all ranks; mats: the buffer's 2-D tensors, in
 * increasing offset, not overlapping (copied); R >= 1 the approximation rank. Chooses the
 * matrices to compress, allocates every buffer (packed uncompressed floats, P, Q, error feedback,
 * and with keep_input a copy of each compressed matrix as this rank computed it) and two
 * comm/reduce.h reductions: one over the whole buffer (steps without compression), one over the
 * packed floats. Collective. Dies (70) on MPI errors or out of memory. */
comm_psgd_t *comm_psgd_create(float *buf, size_t n, const comm_psgd_matrix_t *mats, int nmats,
                              int R, size_t bucket_bytes, comm_reduce_dtype_t dtype,
                              int keep_input);
/* Collective, after comm_psgd_wait. NULL is allowed. */
void comm_psgd_free(comm_psgd_t *p);

/* Before a step's backward: compress = 0 sums the whole buffer uncompressed (as comm/reduce.h);
 * 1 compresses. Compressing needs the state (Q, e) to be valid: comm_psgd_has_state. */
void comm_psgd_begin(comm_psgd_t *p, int compress);
/* As comm_reduce_ready / _progress / _wait (same rules: every rank the same calls in the same
 * order). wait leaves the decompressed sums in buf. */
void comm_psgd_ready(comm_psgd_t *p, size_t offset, size_t count);
void comm_psgd_progress(comm_psgd_t *p);
void comm_psgd_wait(comm_psgd_t *p);

/* The compressed matrices: count, and matrix k's place, its rank r, and its buffers —
 * Q [cols, r] and after a compressed step P [rows, r]; input [rows, cols] (keep_input only: the
 * matrix as this rank's backward left it, before the error feedback). */
int comm_psgd_count(const comm_psgd_t *p);
comm_psgd_matrix_t comm_psgd_matrix(const comm_psgd_t *p, int k, int *r);
float *comm_psgd_q(comm_psgd_t *p, int k);
const float *comm_psgd_p(const comm_psgd_t *p, int k);
const float *comm_psgd_input(const comm_psgd_t *p, int k);
/* Matrix k in the buffer (after comm_psgd_wait of a compressed step: P Q^T). */
const float *comm_psgd_decompressed(const comm_psgd_t *p, int k);
/* The state that carries from step to step, each one contiguous over the matrices in order:
 * every Q ([Σ cols·r], identical on all ranks) and this rank's error feedback ([Σ rows·cols]).
 * Matrix k's error is at the sum of the sizes before it. */
float *comm_psgd_q_all(comm_psgd_t *p, size_t *nq);
float *comm_psgd_error(comm_psgd_t *p, size_t *ne);
/* Whether Q and e hold a state to go on from. set_state(p, 1): the caller filled every Q with
 * its initial values (and e: zeros, or a restored state); 0: start again at the next compressed
 * step (e is zeroed then). */
int comm_psgd_has_state(const comm_psgd_t *p);
void comm_psgd_set_state(comm_psgd_t *p, int valid);

/* The reduction over the whole buffer that uncompressed steps use (owned by p). */
comm_reduce_t *comm_psgd_full(comm_psgd_t *p);

/* Bytes this rank sends per compressed step in the bandwidth-optimal model of comm/reduce.h:
 * the packed floats plus every P and Q. */
double comm_psgd_bytes_per_step(const comm_psgd_t *p);

#endif

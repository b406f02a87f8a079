/* model/kernels.h — dense kernels on row-major float32 matrices, all through cblas_sgemm.
 *
 * Argument order: outputs, then inputs, then sizes. Backward kernels accumulate (+=).
 */
#ifndef DRNN_MODEL_KERNELS_H
#define DRNN_MODEL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* x: [M, K], w: [N, K], b: [N] or NULL -> out: [M, N] = x w^T + b (beta=1 adds to out instead). */
void linear_forward(float *out, const float *x, const float *w, const float *b, int M, int N, int K,
                    int accumulate);

/* dy: [M, N], x: [M, K] -> dw: [N, K] += dy^T x; db: [N] += sum_rows dy (db may be NULL). */
void linear_backward_params(float *dw, float *db, const float *dy, const float *x, int M, int N,
                            int K);

/* dy: [M, N], w: [N, K] -> dx: [M, K] = dy w (accumulate: +=). */
void linear_backward_input(float *dx, const float *dy, const float *w, int M, int N, int K,
                           int accumulate);

/* C [M, N] (leading dimension ldc) = alpha op(A) op(B) + beta C, row-major, op = transpose when
 * ta/tb: cblas_sgemm with strides, for the per-row products of attention (matrices whose rows
 * are every B-th row of a time-major buffer). */
void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
          int ldb, float beta, float *C, int ldc);

/* src: [rows, cols] -> dst: [cols, rows] (OpenBLAS's somatcopy). */
void transpose(float *dst, const float *src, int rows, int cols);

/* logits: [M, V] overwritten with softmax probabilities; returns sum over rows of
 * -log p[target] in double. Rows with target == UINT32_MAX are skipped (left as probabilities). */
double softmax_xent_forward(float *logits, const uint32_t *targets, int M, int V);

/* sum of x[i]^2 over n floats, in double (eight lanes: vectorized, a fixed order). */
double vec_sumsq(const float *x, size_t n);

/* x[i] := tanh(x[i]) over n floats (libmvec's vectorized tanhf: within 4 ulp of the scalar's;
 * the decoding step's, where a step's N hypotheses make it worth it). */
void vec_tanh(float *x, size_t n);

/* x: [M, V] overwritten with log_softmax(x) per row (sums in double). */
void log_softmax_rows(float *x, int M, int V);

/* probs: [M, V] (from softmax_xent_forward) overwritten with d(scale * loss)/d logits. */
void softmax_xent_backward(float *probs, const uint32_t *targets, int M, int V, float scale);

/* x [T*B, E] := the rows of emb [V, E] of ids [T*B] (time-major); positions t >= lens[b] read
 * row 0 (they are never used; lens NULL: every row has T). */
void embed_rows(float *x, const float *emb, const uint32_t *ids, const int *lens, int T, int B,
                int V, int E);
/* The embedding's gradient: the rows of dx [T*B, E] at real positions added (+=) to the rows of
 * their ids in demb [V, E]. */
void embed_rows_backward(float *demb, const float *dx, const uint32_t *ids, const int *lens, int T,
                         int B, int E);

/* OpenBLAS threads for the following products (base/cpus.h says how many). */
void model_set_threads(int n);

#endif

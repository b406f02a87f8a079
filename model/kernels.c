#include "model/kernels.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "base/util.h"
#include "model/vecmath.h"

void linear_forward(float *out, const float *x, const float *w, const float *b, int M, int N, int K,
                    int accumulate) {
    float beta = accumulate ? 1.0f : 0.0f;
    if (b) {
        /* Seed every row with the bias so one sgemm with beta=1 adds x w^T on top. */
        if (accumulate) {
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) out[(size_t)i * N + j] += b[j];
        } else {
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) out[(size_t)i * N + j] = b[j];
        }
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, x, K, w, K, beta, out, N);
}

void linear_backward_params(float *dw, float *db, const float *dy, const float *x, int M, int N,
                            int K) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, 1.0f, dy, N, x, K, 1.0f, dw, K);
    if (db)
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) db[j] += dy[(size_t)i * N + j];
}

void linear_backward_input(float *dx, const float *dy, const float *w, int M, int N, int K,
                           int accumulate) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, N, 1.0f, dy, N, w, K,
                accumulate ? 1.0f : 0.0f, dx, K);
}

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
          int ldb, float beta, float *C, int ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
                K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void transpose(float *dst, const float *src, int rows, int cols) {
    cblas_somatcopy(CblasRowMajor, CblasTrans, rows, cols, 1.0f, src, cols, dst, rows);
}

void log_softmax_rows(float *x, int M, int V) {
    for (int i = 0; i < M; i++) {
        float *row = x + (size_t)i * V;
        int at = 0;
        for (int j = 1; j < V; j++) at = row[j] > row[at] ? j : at;
        const float mx = row[at];
        double sum = 1.0; /* the maximum's own term, exp(0), counted once here */
        for (int j = 0; j < V; j++)
            if (j != at) sum += exp((double)(row[j] - mx));
        float lse = (float)log(sum);
        for (int j = 0; j < V; j++) row[j] = row[j] - mx - lse;
    }
}

/* The largest of x[0..n), n >= 1. Eight running maxima are independent lanes, so the loop
 * vectorizes without reassociation flags; max is exact in any order. A NaN is passed over here
 * and reaches the loss through exp. */
static inline float row_max(const float *x, int n) {
    float m[8];
    for (int k = 0; k < 8; k++) m[k] = x[0];
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++) m[k] = x[j + k] > m[k] ? x[j + k] : m[k];
    for (; j < n; j++) m[0] = x[j] > m[0] ? x[j] : m[0];
    float mx = m[0];
    for (int k = 1; k < 8; k++) mx = m[k] > mx ? m[k] : mx;
    return mx;
}

/* The sum of x[0..n) in double, of their squares when SQUARE: eight lanes, as above. */
static inline double lanes_sum(const float *x, size_t n, int square) {
    double s[8] = {0.0};
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++) s[k] += square ? (double)x[j + k] * x[j + k] : (double)x[j + k];
    for (; j < n; j++) s[0] += square ? (double)x[j] * x[j] : (double)x[j];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

DRNN_VEC_CLONES double vec_sumsq(const float *x, size_t n) {
    return lanes_sum(x, n, 1);
}

DRNN_VEC_CLONES void vec_tanh(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = tanhf(x[i]);
}

/* Three vectorized passes over each row: maximum; exp (libmvec) and its sum; scale. */
DRNN_VEC_CLONES double softmax_xent_forward(float *logits, const uint32_t *targets, int M, int V) {
    double loss = 0.0;
    for (int i = 0; i < M; i++) {
        float *restrict row = logits + (size_t)i * V;
        const float mx = row_max(row, V);
        /* -log p_t = log(sum_j exp(x_j - max)) - (x_t - max), taken before x is overwritten. */
        double xt = targets[i] != UINT32_MAX ? (double)(row[targets[i]] - mx) : 0.0;
        for (int j = 0; j < V; j++) row[j] = expf(row[j] - mx);
        const double sum = lanes_sum(row, (size_t)V, 0);
        const float inv = (float)(1.0 / sum);
        if (targets[i] != UINT32_MAX) loss += log(sum) - xt;
        for (int j = 0; j < V; j++) row[j] *= inv;
    }
    return loss;
}

void softmax_xent_backward(float *probs, const uint32_t *targets, int M, int V, float scale) {
    for (int i = 0; i < M; i++) {
        float *row = probs + (size_t)i * V;
        if (targets[i] == UINT32_MAX) {
            for (int j = 0; j < V; j++) row[j] = 0.0f;
            continue;
        }
        for (int j = 0; j < V; j++) row[j] *= scale;
        row[targets[i]] -= scale;
    }
}

void model_set_threads(int n) {
    openblas_set_num_threads(n < 1 ? 1 : n);
}

void embed_rows(float *x, const float *emb, const uint32_t *ids, const int *lens, int T, int B,
                int V, int E) {
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            size_t i = (size_t)t * B + b;
            uint32_t id = !lens || t < lens[b] ? ids[i] : 0;
            DRNN_ASSERT(id < (uint32_t)V);
            memcpy(x + i * E, emb + (size_t)id * E, sizeof(float) * E);
        }
}

void embed_rows_backward(float *demb, const float *dx, const uint32_t *ids, const int *lens, int T,
                         int B, int E) {
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            if (t >= lens[b]) continue; /* padding: no gradient */
            size_t i = (size_t)t * B + b;
            float *row = demb + (size_t)ids[i] * E;
            const float *g = dx + i * E;
            for (int j = 0; j < E; j++) row[j] += g[j];
        }
}

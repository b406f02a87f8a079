#include "model/kernels.h"

#include <cblas.h>
#include <math.h>

#include "model/util.h"

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

double softmax_xent_forward(float *logits, const uint32_t *targets, int M, int V) {
    double loss = 0.0;
    for (int i = 0; i < M; i++) {
        float *row = logits + (size_t)i * V;
        float mx = row[0];
        for (int j = 1; j < V; j++) mx = row[j] > mx ? row[j] : mx;
        /* -log p_t = log(sum_j exp(x_j - max)) - (x_t - max), taken before x is overwritten. */
        double xt = targets[i] != UINT32_MAX ? (double)(row[targets[i]] - mx) : 0.0;
        double sum = 0.0;
        for (int j = 0; j < V; j++) {
            row[j] = expf(row[j] - mx);
            sum += row[j];
        }
        float inv = (float)(1.0 / sum);
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

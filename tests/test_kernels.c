/* Each sgemm-based kernel against a naive loop in double, on the shapes the GRU LM uses:
 * input projection [T*B, E] x [3H, E]^T, recurrent [B, H] x [3H, H]^T, decoder [T*B, H] x [V, H]^T,
 * and their backward products; plus softmax cross-entropy. */
#include <math.h>
#include <stdlib.h>

#include "model/kernels.h"
#include "model/rng.h"
#include "tests/testutil.h"

static float *rnd(size_t n, uint32_t tag) {
    float *p = malloc(n * sizeof *p);
    rng_fill_uniform(p, n, -1, 1, 99, 1, tag, 0);
    return p;
}

static double max_rel(const float *a, const double *b, size_t n) {
    double e = 0, scale = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(b[i]));
    for (size_t i = 0; i < n; i++) e = fmax(e, fabs(a[i] - b[i]));
    return e / fmax(scale, 1e-30);
}

static void check_linear(int M, int N, int K, const char *what) {
    float *x = rnd((size_t)M * K, 1), *w = rnd((size_t)N * K, 2), *b = rnd(N, 3);
    float *dy = rnd((size_t)M * N, 4), *out = rnd((size_t)M * N, 5);
    float *dw = rnd((size_t)N * K, 6), *db = rnd(N, 7), *dx = rnd((size_t)M * K, 8);
    double *ref = calloc((size_t)M * (N > K ? N : K) + (size_t)N * K, sizeof *ref);

    /* forward, overwrite and accumulate */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                double s = b[j] + (pass ? out[(size_t)i * N + j] : 0.0);
                for (int k = 0; k < K; k++)
                    s += (double)x[(size_t)i * K + k] * w[(size_t)j * K + k];
                ref[(size_t)i * N + j] = s;
            }
        linear_forward(out, x, w, b, M, N, K, pass);
        double e = max_rel(out, ref, (size_t)M * N);
        EXPECT(e < 1e-5, "%s linear_forward(acc=%d) [%d,%d,%d]: rel err %g", what, pass, M, N, K,
               e);
    }
    /* dW += dy^T x, db += colsum(dy) */
    for (int j = 0; j < N; j++)
        for (int k = 0; k < K; k++) {
            double s = dw[(size_t)j * K + k];
            for (int i = 0; i < M; i++) s += (double)dy[(size_t)i * N + j] * x[(size_t)i * K + k];
            ref[(size_t)j * K + k] = s;
        }
    double *refb = ref + (size_t)N * K;
    for (int j = 0; j < N; j++) {
        refb[j] = db[j];
        for (int i = 0; i < M; i++) refb[j] += dy[(size_t)i * N + j];
    }
    linear_backward_params(dw, db, dy, x, M, N, K);
    double e = max_rel(dw, ref, (size_t)N * K);
    EXPECT(e < 1e-5, "%s linear_backward_params dW [%d,%d,%d]: rel err %g", what, M, N, K, e);
    e = max_rel(db, refb, N);
    EXPECT(e < 1e-5, "%s linear_backward_params db: rel err %g", what, e);
    /* dx (+)= dy W */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < M; i++)
            for (int k = 0; k < K; k++) {
                double s = pass ? dx[(size_t)i * K + k] : 0.0;
                for (int j = 0; j < N; j++)
                    s += (double)dy[(size_t)i * N + j] * w[(size_t)j * K + k];
                ref[(size_t)i * K + k] = s;
            }
        linear_backward_input(dx, dy, w, M, N, K, pass);
        e = max_rel(dx, ref, (size_t)M * K);
        EXPECT(e < 1e-5, "%s linear_backward_input(acc=%d): rel err %g", what, pass, e);
    }
    free(x), free(w), free(b), free(dy), free(out), free(dw), free(db), free(dx), free(ref);
}

static void check_softmax(int M, int V) {
    float *logits = rnd((size_t)M * V, 11);
    for (size_t i = 0; i < (size_t)M * V; i++) logits[i] *= 8; /* sharp rows */
    uint32_t *tg = malloc(M * sizeof *tg);
    for (int i = 0; i < M; i++) tg[i] = rng_u32(5, 1, 0, 0, i) % V;
    tg[0] = UINT32_MAX; /* masked row contributes nothing */
    double *p = malloc((size_t)M * V * sizeof *p), loss = 0;
    for (int i = 0; i < M; i++) {
        double mx = -1e30, s = 0;
        for (int j = 0; j < V; j++) mx = fmax(mx, logits[(size_t)i * V + j]);
        for (int j = 0; j < V; j++) s += exp(logits[(size_t)i * V + j] - mx);
        for (int j = 0; j < V; j++) p[(size_t)i * V + j] = exp(logits[(size_t)i * V + j] - mx) / s;
        if (tg[i] != UINT32_MAX) loss += -log(p[(size_t)i * V + tg[i]]);
    }
    double got = softmax_xent_forward(logits, tg, M, V);
    EXPECT(fabs(got - loss) / loss < 1e-6, "softmax_xent_forward loss %.9g vs %.9g", got, loss);
    double e = max_rel(logits, p, (size_t)M * V);
    EXPECT(e < 1e-5, "softmax probabilities rel err %g", e);
    const float scale = 0.25f;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < V; j++) {
            double *q = &p[(size_t)i * V + j];
            *q = tg[i] == UINT32_MAX ? 0.0 : scale * (*q - (j == (int)tg[i]));
        }
    softmax_xent_backward(logits, tg, M, V, scale);
    e = max_rel(logits, p, (size_t)M * V);
    EXPECT(e < 1e-5, "softmax_xent_backward rel err %g", e);
    free(logits), free(tg), free(p);
}

int main(void) {
    const int T = 16, B = 8, E = 24, H = 40, V = 67;
    check_linear(T * B, 3 * H, E, "input projection");
    check_linear(B, 3 * H, H, "recurrent");
    check_linear(T * B, V, H, "decoder");
    check_linear(1, 3 * H, H, "single stream");
    check_softmax(T * B, V);
    return TEST_RESULT("test_kernels");
}

/* drnn-train --selftest: what an operator runs on a new node. A gradient check of the GRU LM
 * against central differences, then a tiny training run on built-in text whose loss must fall.
 * One rank, a few seconds, exit 0 only if everything passed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/gradcheck.h"
#include "model/lm.h"
#include "trainer/train.h"

static const char selftest_text[] =
    "In the beginning God created the heaven and the earth. And the earth was without form, and "
    "void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face "
    "of the waters. And God said, Let there be light: and there was light. And God saw the light, "
    "that it was good: and God divided the light from the darkness. And God called the light Day, "
    "and the darkness he called Night. And the evening and the morning were the first day.\n";

#define GRADCHECK_TOL 1e-2

static void report(const char *tensor, double err, int skipped, void *ctx) {
    (void)skipped; /* GRU: nothing is skipped */
    int *verbose = ctx;
    if (*verbose)
        printf("  gradcheck %-22s max rel err %.2e %s\n", tensor, err,
               err < GRADCHECK_TOL ? "ok" : "FAIL");
}

static int check_gradients(int verbose) {
    model_desc_t cfg = {.cell = CELL_GRU, .vocab = 11, .embed = 5, .hidden = 7, .layers = 2};
    double worst = lm_gradcheck(&cfg, 5, 3, 42, 40, 1e-2f, 0.0f, report, &verbose);
    printf("selftest: gradient check (GRU LM, 2 layers): worst %.2e -> %s\n", worst,
           worst < GRADCHECK_TOL ? "ok" : "FAIL");
    return worst < GRADCHECK_TOL ? 0 : 1;
}

/* Byte-level LM on the text above, 4 streams x 16 steps, plain SGD; the loss must halve. */
static int check_training(void) {
    const int T = 16, B = 4;
    size_t L = strlen(selftest_text), S = L / B;
    int id[256], V = 0;
    memset(id, -1, sizeof id);
    for (size_t i = 0; i < L; i++)
        if (id[(unsigned char)selftest_text[i]] < 0) id[(unsigned char)selftest_text[i]] = V++;
    model_desc_t cfg = {.cell = CELL_GRU, .vocab = V, .embed = 16, .hidden = 64, .layers = 1};
    lm_t *m = lm_create(&cfg, T, B);
    size_t P = lm_params(m)->total;
    float *p = calloc(P, sizeof *p), *g = calloc(P, sizeof *g);
    float *h = calloc((size_t)lm_state_size(m) * B, sizeof *h);
    uint32_t in[16 * 4], tg[16 * 4];
    lm_init_params(m, p, 1);
    double first = 0, last = 0;
    const int steps = 300, per_epoch = (int)((S - 1) / T);
    for (int step = 0; step < steps; step++) {
        int k = step % per_epoch;
        if (k == 0) memset(h, 0, sizeof(float) * lm_state_size(m) * B);
        for (int t = 0; t < T; t++)
            for (int s = 0; s < B; s++) {
                size_t pos = s * S + (size_t)k * T + t;
                in[t * B + s] = (uint32_t)id[(unsigned char)selftest_text[pos]];
                tg[t * B + s] = (uint32_t)id[(unsigned char)selftest_text[pos + 1]];
            }
        memset(g, 0, P * sizeof *g);
        double loss = lm_forward(m, p, in, tg, h, T, B) / (T * B);
        lm_backward(m, p, g, in, tg, T, B, 1.0f / (T * B));
        double sq = 0;
        for (size_t i = 0; i < P; i++) sq += (double)g[i] * g[i];
        float coef = sqrt(sq) > 5.0 ? (float)(5.0 / (sqrt(sq) + 1e-6)) : 1.0f;
        for (size_t i = 0; i < P; i++) p[i] -= 1.0f * coef * g[i];
        if (step < per_epoch) first += loss / per_epoch;
        if (step >= steps - per_epoch) last += loss / per_epoch;
    }
    int ok = isfinite(last) && last < 0.5 * first;
    printf("selftest: tiny training run (byte GRU LM, %d steps): loss %.3f -> %.3f -> %s\n", steps,
           first, last, ok ? "ok" : "FAIL");
    free(p), free(g), free(h);
    lm_free(m);
    return ok ? 0 : 1;
}

int selftest_run(int verbose) {
    int failed = check_gradients(verbose);
    failed += check_training();
    printf("selftest: %s\n", failed ? "FAILED" : "passed");
    return failed ? 70 : 0;
}

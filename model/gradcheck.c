#include "model/gradcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/rng.h"
#include "model/util.h"

/* Mean loss of one window from a copy of state0 (forward overwrites its state argument). */
static double window_loss(lm_t *m, const float *params, const uint32_t *in, const uint32_t *tgt,
                          const float *state0, float *state, int T, int B) {
    memcpy(state, state0, sizeof(float) * (size_t)lm_state_size(m) * B);
    return lm_forward(m, params, in, tgt, state, T, B) / ((double)T * B);
}

double lm_gradcheck(const lm_config_t *cfg, int T, int B, uint64_t seed, int samples, float eps,
                    gradcheck_report_fn report, void *ctx) {
    lm_t *m = lm_create(cfg, T, B);
    const param_table_t *tab = lm_params(m);
    size_t ns = (size_t)lm_state_size(m) * B;
    float *params = model_calloc(tab->total, sizeof(float));
    float *grads = model_calloc(tab->total, sizeof(float));
    float *state0 = model_calloc(ns, sizeof(float)), *state = model_calloc(ns, sizeof(float));
    uint32_t *in = model_calloc((size_t)T * B, sizeof(uint32_t));
    uint32_t *tgt = model_calloc((size_t)T * B, sizeof(uint32_t));
    lm_init_params(m, params, seed);
    rng_fill_uniform(state0, ns, -0.5f, 0.5f, seed, RNG_SAMPLE, 7, 0);
    for (int i = 0; i < T * B; i++) {
        in[i] = rng_u32(seed, RNG_SAMPLE, 1, 0, i) % (uint32_t)cfg->vocab;
        tgt[i] = rng_u32(seed, RNG_SAMPLE, 2, 0, i) % (uint32_t)cfg->vocab;
    }
    memcpy(state, state0, sizeof(float) * ns);
    lm_forward(m, params, in, tgt, state, T, B);
    lm_backward(m, params, grads, in, tgt, T, B, 1.0f / ((float)T * B));

    double worst = 0.0;
    for (int k = 0; k < tab->n; k++) {
        const param_tensor_t *t = &tab->t[k];
        double err = 0.0;
        int n = t->size < (size_t)samples ? (int)t->size : samples;
        for (int s = 0; s < n; s++) {
            /* Spread the samples over the tensor (all of it when it is small). */
            size_t i = t->offset + (t->size <= (size_t)samples
                                        ? (size_t)s
                                        : rng_u32(seed, RNG_SAMPLE, 3 + k, 0, s) % t->size);
            float keep = params[i];
            params[i] = keep + eps;
            double lp = window_loss(m, params, in, tgt, state0, state, T, B);
            params[i] = keep - eps;
            double lmn = window_loss(m, params, in, tgt, state0, state, T, B);
            params[i] = keep;
            double num = (lp - lmn) / (2.0 * eps), ana = grads[i];
            double e = fabs(ana - num) / fmax(fabs(ana) + fabs(num), 1e-3);
            err = fmax(err, e);
        }
        if (report) report(t->name, err, ctx);
        worst = fmax(worst, err);
    }
    free(params), free(grads), free(state0), free(state), free(in), free(tgt);
    lm_free(m);
    return worst;
}

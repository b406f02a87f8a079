#include "model/gradcheck.h"

#include "model/classifier.h"
#include "model/seq2seq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/rng.h"
#include "base/util.h"

static double figure(double a, double b) {
    return fabs(a - b) / fmax(fabs(a) + fabs(b), 1e-3);
}

/* (loss(p_i + eps) - loss(p_i - eps)) / 2 eps, p_i restored afterwards. */
static double central_diff(float *params, size_t i, float eps, gradcheck_loss_fn loss,
                           void *loss_ctx) {
    float keep = params[i];
    params[i] = keep + eps;
    double lp = loss(params, loss_ctx);
    params[i] = keep - eps;
    double lmn = loss(params, loss_ctx);
    params[i] = keep;
    return (lp - lmn) / (2.0 * eps);
}

double gradcheck_params(const param_table_t *tab, float *params, const float *grads,
                        gradcheck_loss_fn loss, void *loss_ctx, const gradcheck_opts_t *opt,
                        gradcheck_report_fn report, void *ctx) {
    double worst = 0.0;
    for (int k = 0; k < tab->n; k++) {
        const param_tensor_t *t = &tab->t[k];
        double err = 0.0;
        int n = t->size < (size_t)opt->samples ? (int)t->size : opt->samples, skipped = 0;
        for (int s = 0; s < n; s++) {
            /* Spread the samples over the tensor (all of it when it is small). */
            size_t i = t->offset + (t->size <= (size_t)opt->samples
                                        ? (size_t)s
                                        : rng_u32(opt->seed, RNG_SAMPLE, 3 + k, 0, s) % t->size);
            double num = central_diff(params, i, opt->eps, loss, loss_ctx);
            /* A kink within ±eps makes the estimates at eps and eps/2 disagree. */
            if (opt->kinked && figure(num, central_diff(params, i, 0.5f * opt->eps, loss,
                                                        loss_ctx)) > GRADCHECK_KINK) {
                skipped++;
                continue;
            }
            err = fmax(err, figure(grads[i], num));
        }
        if (2 * skipped > n) err = 1.0; /* too few smooth samples to vouch for the tensor */
        if (report) report(t->name, err, skipped, ctx);
        worst = fmax(worst, err);
    }
    return worst;
}

typedef struct {
    lm_t *m;
    const uint32_t *in, *tgt;
    const float *state0;
    float *state;
    int T, B;
} lm_window_t;

/* Mean loss of one window from a copy of state0 (forward overwrites its state argument). */
static double window_loss(const float *params, void *ctx) {
    lm_window_t *w = ctx;
    memcpy(w->state, w->state0, sizeof(float) * (size_t)lm_state_size(w->m) * w->B);
    return lm_forward(w->m, params, w->in, w->tgt, w->state, w->T, w->B) / ((double)w->T * w->B);
}

double lm_gradcheck(const model_desc_t *cfg, int T, int B, uint64_t seed, int samples, float eps,
                    float dropout, gradcheck_report_fn report, void *ctx) {
    lm_t *m = lm_create(cfg, T, B);
    const param_table_t *tab = lm_params(m);
    size_t ns = (size_t)lm_state_size(m) * B;
    float *params = drnn_calloc(tab->total, sizeof(float));
    float *grads = drnn_calloc(tab->total, sizeof(float));
    float *state0 = drnn_calloc(ns, sizeof(float)), *state = drnn_calloc(ns, sizeof(float));
    uint32_t *in = drnn_calloc((size_t)T * B, sizeof(uint32_t));
    uint32_t *tgt = drnn_calloc((size_t)T * B, sizeof(uint32_t));
    lm_init_params(m, params, seed);
    if (dropout > 0.0f) lm_set_dropout(m, dropout, seed, 1, 0);
    rng_fill_uniform(state0, ns, -0.5f, 0.5f, seed, RNG_SAMPLE, 7, 0);
    for (int i = 0; i < T * B; i++) {
        in[i] = rng_u32(seed, RNG_SAMPLE, 1, 0, i) % (uint32_t)cfg->vocab;
        tgt[i] = rng_u32(seed, RNG_SAMPLE, 2, 0, i) % (uint32_t)cfg->vocab;
    }
    lm_window_t w = {m, in, tgt, state0, state, T, B};
    window_loss(params, &w);
    lm_backward(m, params, grads, in, tgt, T, B, 1.0f / ((float)T * B));
    gradcheck_opts_t opt = {seed, samples, eps, cfg->cell == CELL_RNN_RELU};
    double worst = gradcheck_params(tab, params, grads, window_loss, &w, &opt, report, ctx);
    free(params), free(grads), free(state0), free(state), free(in), free(tgt);
    lm_free(m);
    return worst;
}

/* ---- classifier: padded rows of mixed lengths ---- */
typedef struct {
    classifier_t *m;
    const uint32_t *tokens, *labels;
    const int *lens;
    int T, B;
} cls_batch_t;

static double cls_loss(const float *params, void *ctx) {
    cls_batch_t *w = ctx;
    return classifier_forward(w->m, params, w->tokens, w->lens, w->labels, w->T, w->B) / w->B;
}

double classifier_gradcheck(const model_desc_t *d, int T, int B, uint64_t seed, int samples,
                            float eps, float dropout, gradcheck_report_fn report, void *ctx) {
    classifier_t *m = classifier_create(d, T, B);
    const param_table_t *tab = classifier_params(m);
    float *params = drnn_calloc(tab->total, sizeof(float));
    float *grads = drnn_calloc(tab->total, sizeof(float));
    uint32_t *tok = drnn_calloc((size_t)T * B, sizeof(uint32_t));
    uint32_t *lab = drnn_calloc((size_t)B, sizeof(uint32_t));
    int *lens = drnn_calloc((size_t)B, sizeof(int));
    classifier_init_params(m, params, seed);
    if (dropout > 0.0f) classifier_set_dropout(m, dropout, seed, 1, 0);
    for (int b = 0; b < B; b++) {
        /* Mixed lengths, always including a full row and a row of one token. */
        lens[b] = b == 0 ? T : b == 1 ? 1 : 1 + (int)(rng_u32(seed, RNG_SAMPLE, 3, 0, b) % T);
        lab[b] = rng_u32(seed, RNG_SAMPLE, 4, 0, b) % (uint32_t)d->classes;
    }
    for (int i = 0; i < T * B; i++)
        tok[i] = rng_u32(seed, RNG_SAMPLE, 1, 0, i) % (uint32_t)d->vocab;
    cls_batch_t w = {m, tok, lab, lens, T, B};
    cls_loss(params, &w);
    classifier_backward(m, params, grads, 1.0f / (float)B);
    /* max pooling has kinks too (the argmax changes), like relu */
    gradcheck_opts_t opt = {seed, samples, eps, d->cell == CELL_RNN_RELU || d->pool == POOL_MAX};
    double worst = gradcheck_params(tab, params, grads, cls_loss, &w, &opt, report, ctx);
    free(params), free(grads), free(tok), free(lab), free(lens);
    classifier_free(m);
    return worst;
}

/* ---- seq2seq: padded pairs of mixed lengths ---- */
typedef struct {
    seq2seq_t *m;
    seq2seq_batch_t bt;
    int ntok;
} s2s_batch_t;

static double s2s_loss(const float *params, void *ctx) {
    s2s_batch_t *w = ctx;
    return seq2seq_forward(w->m, params, &w->bt, 1) / w->ntok;
}

double seq2seq_gradcheck(const model_desc_t *d, int Ts, int Tt, int B, uint64_t seed, int samples,
                         float eps, float dropout, gradcheck_report_fn report, void *ctx) {
    seq2seq_t *m = seq2seq_create(d, Ts > Tt ? Ts : Tt, B);
    const param_table_t *tab = seq2seq_params(m);
    float *params = drnn_calloc(tab->total, sizeof(float));
    float *grads = drnn_calloc(tab->total, sizeof(float));
    uint32_t *src = drnn_calloc((size_t)Ts * B, sizeof(uint32_t));
    uint32_t *tin = drnn_calloc((size_t)Tt * B, sizeof(uint32_t));
    uint32_t *tout = drnn_calloc((size_t)Tt * B, sizeof(uint32_t));
    int *lens = drnn_calloc(2 * (size_t)B, sizeof(int));
    seq2seq_init_params(m, params, seed);
    seq2seq_set_dropout(m, dropout, seed, 1, 0);
    int ntok = 0;
    for (int b = 0; b < B; b++) {
        /* Mixed lengths with both extremes on each side. */
        lens[b] = b == 0 ? Ts : b == 1 ? 1 : 1 + (int)(rng_u32(seed, RNG_SAMPLE, 3, 0, b) % Ts);
        lens[B + b] = b == 1 ? Tt : b == 0 ? 1 : 1 + (int)(rng_u32(seed, RNG_SAMPLE, 5, 0, b) % Tt);
        ntok += lens[B + b];
    }
    for (int i = 0; i < Ts * B; i++)
        src[i] = rng_u32(seed, RNG_SAMPLE, 1, 0, i) % (uint32_t)d->vocab;
    for (int i = 0; i < Tt * B; i++) {
        tin[i] = rng_u32(seed, RNG_SAMPLE, 2, 0, i) % (uint32_t)d->tgt_vocab;
        tout[i] = rng_u32(seed, RNG_SAMPLE, 4, 0, i) % (uint32_t)d->tgt_vocab;
    }
    s2s_batch_t w = {m, {src, lens, tin, tout, lens + B, Ts, Tt, B}, ntok};
    s2s_loss(params, &w);
    seq2seq_backward(m, params, grads, 1.0f / (float)ntok);
    gradcheck_opts_t opt = {seed, samples, eps, d->cell == CELL_RNN_RELU};
    double worst = gradcheck_params(tab, params, grads, s2s_loss, &w, &opt, report, ctx);
    free(params), free(grads), free(src), free(tin), free(tout), free(lens);
    seq2seq_free(m);
    return worst;
}

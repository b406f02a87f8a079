#include "model/tagger.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "model/kernels.h"
#include "model/rng.h"
#include "model/seq_encoder.h"

struct tagger {
    model_desc_t d;
    param_table_t tab;
    int i_w, i_b;
    seq_encoder_t *enc;
    int D, T, B; /* D: encoder output width; T, B: the last forward's sizes */
    size_t ncap; /* the buffers hold N = ncap rows (T*B) at most */
    backward_hooks_t hooks;
    const float *top;  /* [T*B, D] encoder outputs of the last forward */
    int has_targets;   /* the last forward had tags */
    uint32_t *targets; /* [N] tags, UINT32_MAX at padded positions */
    float *probs;      /* [N, C] logits, then probabilities, then dlogits */
    float *dtop;       /* [N, D] */
};

/* (Re)allocates the buffers for m->ncap rows; what they held is not kept. */
static void alloc_buffers(tagger_t *m) {
    free(m->targets), free(m->probs), free(m->dtop);
    const size_t N = m->ncap;
    m->targets = drnn_calloc(N, sizeof *m->targets);
    m->probs = drnn_calloc(N * m->d.classes, sizeof(float));
    m->dtop = drnn_calloc(N * m->D, sizeof(float));
}

tagger_t *tagger_create(const model_desc_t *d, int Tmax, int Bmax) {
    DRNN_ASSERT(model_validate(&tagger_model_ops, d, "tagger_create", NULL, 0) == 0);
    DRNN_ASSERT(Tmax > 0 && Bmax > 0);
    tagger_t *m = drnn_calloc(1, sizeof *m);
    m->d = *d;
    m->ncap = (size_t)Tmax * Bmax;
    m->enc = seq_encoder_create(d, &m->tab, Tmax, Bmax);
    m->D = seq_encoder_width(m->enc);
    m->i_w = params_add(&m->tab, "tagger.weight", 2, d->classes, m->D);
    m->i_b = params_add(&m->tab, "tagger.bias", 1, d->classes, 0);
    alloc_buffers(m);
    return m;
}

void tagger_free(tagger_t *m) {
    if (!m) return;
    seq_encoder_free(m->enc);
    free(m->targets), free(m->probs), free(m->dtop);
    free(m);
}

const param_table_t *tagger_params(const tagger_t *m) {
    return &m->tab;
}

const float *tagger_probs(const tagger_t *m) {
    return m->probs;
}

const float *tagger_attention(const tagger_t *m) {
    return seq_encoder_attention(m->enc);
}

int tagger_predict(const tagger_t *m, int t, int b) {
    const int C = m->d.classes;
    DRNN_ASSERT(t >= 0 && t < m->T && b >= 0 && b < m->B);
    const float *p = m->probs + ((size_t)t * m->B + b) * C;
    int best = 0;
    for (int c = 1; c < C; c++)
        if (p[c] > p[best]) best = c;
    return best;
}

void tagger_init_params(const tagger_t *m, float *params, uint64_t seed) {
    seq_encoder_init_params(m->enc, params, seed);
    const float k = 1.0f / sqrtf((float)m->D); /* nn.Linear(D, C) */
    for (int i = m->i_w; i <= m->i_b; i++) {
        const param_tensor_t *t = &m->tab.t[i];
        rng_fill_uniform(params + t->offset, t->size, -k, k, seed, RNG_INIT, (uint32_t)i, 0);
    }
}

void tagger_set_dropout(tagger_t *m, float p, uint64_t seed, uint32_t step, uint32_t example0) {
    seq_encoder_set_dropout(m->enc, p, seed, step, example0);
}

void tagger_set_backward_hooks(tagger_t *m, const backward_hooks_t *hooks) {
    if (hooks)
        m->hooks = *hooks;
    else
        memset(&m->hooks, 0, sizeof m->hooks);
    seq_encoder_set_hooks(m->enc, &m->hooks);
}

double tagger_forward(tagger_t *m, const float *params, const uint32_t *tokens, const int *lens,
                      const uint32_t *tags, int T, int B) {
    DRNN_ASSERT(T > 0 && B > 0);
    const int C = m->d.classes;
    const size_t N = (size_t)T * B;
    if (drnn_cap_raise(&m->ncap, N)) alloc_buffers(m);
    m->T = T, m->B = B, m->has_targets = tags != NULL;
    m->top = seq_encoder_forward(m->enc, params, tokens, lens, T, B, tags != NULL);
    /* top [T*B, D] -> logits [T*B, C]: one product over every position, padding included
     * (its rows are skipped by the loss and get a zero gradient). */
    linear_forward(m->probs, m->top, params + m->tab.t[m->i_w].offset,
                   params + m->tab.t[m->i_b].offset, (int)N, C, m->D, 0);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            size_t i = (size_t)t * B + b;
            m->targets[i] = tags && t < lens[b] ? tags[i] : UINT32_MAX;
            DRNN_ASSERT(m->targets[i] == UINT32_MAX || m->targets[i] < (uint32_t)C);
        }
    return softmax_xent_forward(m->probs, m->targets, (int)N, C);
}

void tagger_backward(tagger_t *m, const float *params, float *grads, float scale) {
    const int C = m->d.classes, D = m->D, N = m->T * m->B;
    DRNN_ASSERT(m->has_targets);
    softmax_xent_backward(m->probs, m->targets, N, C, scale); /* zero rows at padding */
    linear_backward_params(grads + m->tab.t[m->i_w].offset, grads + m->tab.t[m->i_b].offset,
                           m->probs, m->top, N, C, D);
    params_report_ready(&m->tab, &m->hooks, m->i_w, m->i_b);
    linear_backward_input(m->dtop, m->probs, params + m->tab.t[m->i_w].offset, N, C, D, 0);
    seq_encoder_backward(m->enc, params, grads, m->dtop);
}

/* ---- the model layer's row (model/model.h) ---- */

static int tagger_validate(const model_desc_t *d, const char *where, char *err, size_t errlen) {
    if (d->classes < 2)
        return drnn_errf(err, errlen, 65, "%s: a tagger needs at least 2 tags, has %d", where,
                         d->classes);
    return 0;
}
static void *tagger_op_create(const model_desc_t *d, int Tmax, int Bmax) {
    return tagger_create(d, Tmax, Bmax);
}
static void tagger_op_destroy(void *m) {
    tagger_free(m);
}
static const param_table_t *tagger_op_params(const void *m) {
    return tagger_params(m);
}
static void tagger_op_init(const void *m, float *params, uint64_t seed) {
    tagger_init_params(m, params, seed);
}
static void tagger_op_hooks(void *m, const backward_hooks_t *h) {
    tagger_set_backward_hooks(m, h);
}

const model_ops_t tagger_model_ops = {
    .uses = MODEL_USES_CLASSES | MODEL_USES_SELF_ATTN,
    .validate = tagger_validate,
    .create = tagger_op_create,
    .destroy = tagger_op_destroy,
    .params = tagger_op_params,
    .init_params = tagger_op_init,
    .set_hooks = tagger_op_hooks,
};

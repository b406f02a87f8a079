#include "model/classifier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/kernels.h"
#include "model/rng.h"
#include "model/seq_encoder.h"
#include "base/util.h"

struct classifier {
    model_desc_t d;
    param_table_t tab;
    int i_cls_w, i_cls_b;
    seq_encoder_t *enc;
    int D, T, B;       /* D: encoder output width; T, B: the last forward's sizes */
    size_t ncap, bcap; /* the buffers hold N = ncap rows (T*B), B = bcap rows at most */
    backward_hooks_t hooks;
    const float *top;       /* [T*B, D] encoder outputs of the last forward */
    const int *lens;        /* [B] of the last forward */
    const uint32_t *labels; /* [B] of the last forward */
    float *arena;
    float *vec;   /* [B, D] sentence vectors */
    int *argmax;  /* [B, D] time of the max (pool max) */
    float *probs; /* [B, C] logits, then probabilities */
    float *dvec;  /* [B, D] */
    float *dtop;  /* [N, D] */
};

/* (Re)builds the arena for m->ncap rows of m->bcap; what it held is not kept. */
static void build_arena(classifier_t *m) {
    free(m->arena), free(m->argmax);
    const size_t N = m->ncap, B = m->bcap, D = m->D, C = m->d.classes;
    m->arena = drnn_calloc(2 * B * D + B * C + N * D, sizeof(float));
    float *p = m->arena;
    m->vec = p, p += B * D;
    m->dvec = p, p += B * D;
    m->probs = p, p += B * C;
    m->dtop = p;
    m->argmax = drnn_calloc(B * D, sizeof(int));
}

classifier_t *classifier_create(const model_desc_t *d, int Tmax, int Bmax) {
    DRNN_ASSERT(model_validate(&classifier_model_ops, d, "classifier_create", NULL, 0) == 0);
    DRNN_ASSERT(Tmax > 0 && Bmax > 0);
    classifier_t *m = drnn_calloc(1, sizeof *m);
    m->d = *d;
    m->ncap = (size_t)Tmax * Bmax, m->bcap = (size_t)Bmax;
    m->enc = seq_encoder_create(d, &m->tab, Tmax, Bmax);
    m->D = seq_encoder_width(m->enc);
    m->i_cls_w = params_add(&m->tab, "classifier.weight", 2, d->classes, m->D);
    m->i_cls_b = params_add(&m->tab, "classifier.bias", 1, d->classes, 0);
    build_arena(m);
    return m;
}

void classifier_free(classifier_t *m) {
    if (!m) return;
    seq_encoder_free(m->enc);
    free(m->arena), free(m->argmax);
    free(m);
}

const param_table_t *classifier_params(const classifier_t *m) {
    return &m->tab;
}

const float *classifier_probs(const classifier_t *m) {
    return m->probs;
}

const float *classifier_attention(const classifier_t *m) {
    return seq_encoder_attention(m->enc);
}

int classifier_predict(const classifier_t *m, int b) {
    const int C = m->d.classes;
    const float *p = m->probs + (size_t)b * C;
    int best = 0;
    for (int c = 1; c < C; c++)
        if (p[c] > p[best]) best = c;
    return best;
}

void classifier_init_params(const classifier_t *m, float *params, uint64_t seed) {
    /* PyTorch: the encoder's defaults (model/seq_encoder.h); nn.Linear(D, C) U(±1/sqrt(D)). */
    seq_encoder_init_params(m->enc, params, seed);
    float kd = 1.0f / sqrtf((float)m->D);
    for (int i = seq_encoder_last_tensor(m->enc) + 1; i < m->tab.n; i++) {
        const param_tensor_t *t = &m->tab.t[i];
        rng_fill_uniform(params + t->offset, t->size, -kd, kd, seed, RNG_INIT, (uint32_t)i, 0);
    }
}

void classifier_set_dropout(classifier_t *m, float p, uint64_t seed, uint32_t step,
                            uint32_t example0) {
    seq_encoder_set_dropout(m->enc, p, seed, step, example0);
}

void classifier_set_backward_hooks(classifier_t *m, const backward_hooks_t *hooks) {
    if (hooks)
        m->hooks = *hooks;
    else
        memset(&m->hooks, 0, sizeof m->hooks);
    seq_encoder_set_hooks(m->enc, &m->hooks);
}

#define P(idx)  (params + m->tab.t[(idx)].offset)
#define GR(idx) (grads + m->tab.t[(idx)].offset)

/* Sentence vectors vec [B, D] from the top outputs (see the header for each pool). */
static void pool_forward(classifier_t *m, int T, int B) {
    const int D = m->D, H = m->d.hidden;
    (void)T;
    for (int b = 0; b < B; b++) {
        float *v = m->vec + (size_t)b * D;
        const int len = m->lens[b];
        if (m->d.pool == POOL_LAST) {
            /* Forward half after the last real token; reverse half after position 0. */
            memcpy(v, m->top + ((size_t)(len - 1) * B + b) * D, sizeof(float) * H);
            if (D > H) memcpy(v + H, m->top + (size_t)b * D + H, sizeof(float) * H);
        } else if (m->d.pool == POOL_MEAN) {
            for (int j = 0; j < D; j++) {
                double s = 0.0;
                for (int t = 0; t < len; t++) s += m->top[((size_t)t * B + b) * D + j];
                v[j] = (float)(s / len);
            }
        } else {
            int *am = m->argmax + (size_t)b * D;
            for (int j = 0; j < D; j++) {
                float best = m->top[(size_t)b * D + j];
                int at = 0;
                for (int t = 1; t < len; t++) {
                    float x = m->top[((size_t)t * B + b) * D + j];
                    if (x > best) best = x, at = t;
                }
                v[j] = best, am[j] = at;
            }
        }
    }
}

/* dvec [B, D] -> dtop [T*B, D] (zero where the pool did not look). */
static void pool_backward(classifier_t *m, int T, int B) {
    const int D = m->D, H = m->d.hidden;
    memset(m->dtop, 0, sizeof(float) * (size_t)T * B * D);
    for (int b = 0; b < B; b++) {
        const float *dv = m->dvec + (size_t)b * D;
        const int len = m->lens[b];
        if (m->d.pool == POOL_LAST) {
            memcpy(m->dtop + ((size_t)(len - 1) * B + b) * D, dv, sizeof(float) * H);
            if (D > H) memcpy(m->dtop + (size_t)b * D + H, dv + H, sizeof(float) * H);
        } else if (m->d.pool == POOL_MEAN) {
            const float inv = 1.0f / (float)len;
            for (int t = 0; t < len; t++)
                for (int j = 0; j < D; j++) m->dtop[((size_t)t * B + b) * D + j] = dv[j] * inv;
        } else {
            const int *am = m->argmax + (size_t)b * D;
            for (int j = 0; j < D; j++) m->dtop[((size_t)am[j] * B + b) * D + j] = dv[j];
        }
    }
}

double classifier_forward(classifier_t *m, const float *params, const uint32_t *tokens,
                          const int *lens, const uint32_t *labels, int T, int B) {
    DRNN_ASSERT(T > 0 && B > 0);
    if (drnn_cap_raise(&m->ncap, (size_t)T * B) | drnn_cap_raise(&m->bcap, (size_t)B))
        build_arena(m);
    const int C = m->d.classes;
    m->T = T, m->B = B, m->lens = lens, m->labels = labels;
    m->top = seq_encoder_forward(m->enc, params, tokens, lens, T, B, labels != NULL);
    pool_forward(m, T, B);
    linear_forward(m->probs, m->vec, P(m->i_cls_w), P(m->i_cls_b), B, C, m->D, 0);
    if (labels) {
        for (int b = 0; b < B; b++) DRNN_ASSERT(labels[b] < (uint32_t)C);
        return softmax_xent_forward(m->probs, labels, B, C);
    }
    /* No labels: probabilities only (UINT32_MAX rows are not scored). */
    for (int b = 0; b < B; b++) {
        uint32_t none = UINT32_MAX;
        softmax_xent_forward(m->probs + (size_t)b * C, &none, 1, C);
    }
    return 0.0;
}

static void tensors_ready(const classifier_t *m, int first, int last) {
    params_report_ready(&m->tab, &m->hooks, first, last);
}

void classifier_backward(classifier_t *m, const float *params, float *grads, float scale) {
    const int T = m->T, B = m->B, C = m->d.classes, D = m->D;
    DRNN_ASSERT(m->labels != NULL);
    softmax_xent_backward(m->probs, m->labels, B, C, scale); /* probs -> dlogits */
    linear_backward_params(GR(m->i_cls_w), GR(m->i_cls_b), m->probs, m->vec, B, C, D);
    tensors_ready(m, m->i_cls_w, m->i_cls_b);
    linear_backward_input(m->dvec, m->probs, P(m->i_cls_w), B, C, D, 0);
    pool_backward(m, T, B);
    seq_encoder_backward(m->enc, params, grads, m->dtop);
}

/* ---- the model layer's row (model/model.h) ---- */

static int cls_validate(const model_desc_t *d, const char *where, char *err, size_t errlen) {
    if (d->classes < 2)
        return drnn_errf(err, errlen, 65, "%s: a classifier needs at least 2 classes, has %d",
                         where, d->classes);
    if (d->pool < POOL_LAST || d->pool > POOL_MAX)
        return drnn_errf(err, errlen, 65, "%s: unknown pool", where);
    return 0;
}
static void *cls_op_create(const model_desc_t *d, int Tmax, int Bmax) {
    return classifier_create(d, Tmax, Bmax);
}
static void cls_op_destroy(void *m) {
    classifier_free(m);
}
static const param_table_t *cls_op_params(const void *m) {
    return classifier_params(m);
}
static void cls_op_init(const void *m, float *params, uint64_t seed) {
    classifier_init_params(m, params, seed);
}
static void cls_op_hooks(void *m, const backward_hooks_t *h) {
    classifier_set_backward_hooks(m, h);
}

const model_ops_t classifier_model_ops = {
    .uses = MODEL_USES_CLASSES | MODEL_USES_POOL | MODEL_USES_SELF_ATTN,
    .validate = cls_validate,
    .create = cls_op_create,
    .destroy = cls_op_destroy,
    .params = cls_op_params,
    .init_params = cls_op_init,
    .set_hooks = cls_op_hooks,
};

#include "model/lm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/adaptive.h"
#include "model/kernels.h"
#include "model/rng.h"
#include "model/rnn_stack.h"
#include "base/util.h"

struct lm {
    model_desc_t cfg;
    param_table_t tab;
    int i_emb, i_dec_w, i_dec_b; /* i_dec_*: -1 with the adaptive softmax */
    rnn_stack_t *rnn;
    adaptive_t *ada;        /* the adaptive softmax, or NULL (full softmax) */
    adaptive_ws_t *ada_ws;  /* its workspace for Tmax * Bmax rows */
    adaptive_ws_t *ada_tws; /* lm_trace_bptt's for Bmax rows (made on first use) */
    int Tmax, Bmax;
    dropout_ctx_t drop;
    backward_hooks_t hooks;
    const float *top; /* [T*B, H] outputs of the last forward */
    float *arena;
    float *x_emb;    /* [T*B, E] */
    float *logits;   /* [T*B, V]; adaptive: log_prob of a forward without targets (made on
                        first use) */
    float *dtop;     /* [T*B, H] */
    float *demb;     /* [T*B, E] */
    float *tracebuf; /* [Bmax, V] last-position gradients of lm_trace_bptt (made on first use) */
};

lm_t *lm_create(const model_desc_t *cfg, int Tmax, int Bmax) {
    DRNN_ASSERT(model_validate(&lm_model_ops, cfg, "lm_create", NULL, 0) == 0);
    DRNN_ASSERT(cfg->vocab > 0 && cfg->embed > 0 && cfg->hidden > 0 && cfg->layers > 0);
    DRNN_ASSERT(Tmax > 0 && Bmax > 0);
    lm_t *m = drnn_calloc(1, sizeof *m);
    m->cfg = *cfg;
    m->Tmax = Tmax, m->Bmax = Bmax;
    m->i_emb = params_add(&m->tab, "embedding.weight", 2, cfg->vocab, cfg->embed);
    stack_config_t sc = {cfg->cell, cfg->embed, cfg->hidden, cfg->layers, 0, cfg->residual};
    m->rnn = stack_create(&sc, &m->tab, "rnn", Tmax, Bmax);
    size_t N = (size_t)Tmax * Bmax, E = cfg->embed, H = cfg->hidden, V = cfg->vocab;
    if (cfg->softmax == SOFTMAX_ADAPTIVE) {
        m->i_dec_w = m->i_dec_b = -1;
        m->ada = drnn_calloc(1, sizeof *m->ada);
        adaptive_add_params(m->ada, &m->tab, cfg);
        m->ada_ws = adaptive_ws_create(m->ada, (int)N);
        V = 0; /* no [N, V] logits while training */
    } else {
        m->i_dec_w = params_add(&m->tab, "decoder.weight", 2, cfg->vocab, cfg->hidden);
        m->i_dec_b = params_add(&m->tab, "decoder.bias", 1, cfg->vocab, 0);
    }
    m->arena = drnn_calloc(N * (2 * E + V + H), sizeof(float));
    m->x_emb = m->arena;
    m->logits = V ? m->x_emb + N * E : NULL;
    m->dtop = m->x_emb + N * (E + V);
    m->demb = m->dtop + N * H;
    return m;
}

void lm_free(lm_t *m) {
    if (!m) return;
    stack_free(m->rnn);
    if (m->ada) {
        adaptive_ws_free(m->ada_ws), adaptive_ws_free(m->ada_tws);
        free(m->ada), free(m->logits); /* the adaptive model's logits are its own allocation */
    }
    free(m->arena), free(m->tracebuf);
    free(m);
}

const param_table_t *lm_params(const lm_t *m) {
    return &m->tab;
}
const model_desc_t *lm_desc(const lm_t *m) {
    return &m->cfg;
}
int lm_state_size(const lm_t *m) {
    return stack_state_size(m->rnn);
}
const float *lm_logits(const lm_t *m) {
    return m->logits;
}

void lm_set_dropout(lm_t *m, float p, uint64_t seed, uint32_t step, uint32_t stream0) {
    DRNN_ASSERT(p >= 0.0f && p < 1.0f);
    m->drop.p = p, m->drop.seed = seed, m->drop.step = step, m->drop.stream0 = stream0;
}

void lm_set_backward_hooks(lm_t *m, void (*ready)(void *ctx, size_t offset, size_t count),
                           void (*progress)(void *ctx), void *ctx) {
    m->hooks.ready = ready, m->hooks.progress = progress, m->hooks.ctx = ctx;
    stack_set_hooks(m->rnn, &m->hooks);
}

static void tensors_ready(const lm_t *m, int first, int last) {
    params_report_ready(&m->tab, &m->hooks, first, last);
}

void lm_init_params(const lm_t *m, float *params, uint64_t seed) {
    /* PyTorch: nn.Embedding N(0, 1); nn.RNN/GRU/LSTM and nn.Linear(H, V) U(±1/sqrt(H)); the
     * adaptive softmax's bias-free nn.Linear layers U(±1/sqrt(fan_in)), fan_in = shape[1]. */
    float k = 1.0f / sqrtf((float)m->cfg.hidden);
    for (int i = 0; i < m->tab.n; i++) {
        const param_tensor_t *t = &m->tab.t[i];
        float a = m->ada && i >= m->ada->i_head ? 1.0f / sqrtf((float)t->shape[1]) : k;
        if (i == m->i_emb)
            rng_fill_normal(params + t->offset, t->size, 0.0f, 1.0f, seed, RNG_INIT, (uint32_t)i,
                            0);
        else
            rng_fill_uniform(params + t->offset, t->size, -a, a, seed, RNG_INIT, (uint32_t)i, 0);
    }
}

#define P(idx)  (params + m->tab.t[(idx)].offset)
#define GR(idx) (grads + m->tab.t[(idx)].offset)

double lm_forward(lm_t *m, const float *params, const uint32_t *inputs, const uint32_t *targets,
                  float *state, int T, int B) {
    const model_desc_t *c = &m->cfg;
    DRNN_ASSERT(T > 0 && T <= m->Tmax && B > 0 && B <= m->Bmax);
    const int N = T * B, E = c->embed, H = c->hidden, V = c->vocab;
    const float *emb = P(m->i_emb);
    for (int i = 0; i < N; i++) {
        DRNN_ASSERT(inputs[i] < (uint32_t)V);
        memcpy(m->x_emb + (size_t)i * E, emb + (size_t)inputs[i] * E, sizeof(float) * E);
    }
    /* Dropout only where there is a loss to train on. */
    m->top = stack_forward(m->rnn, params, m->x_emb, NULL, state, T, B, targets ? &m->drop : NULL);
    if (m->ada) {
        if (targets) return adaptive_forward(m->ada, m->ada_ws, params, m->top, targets, N);
        if (!m->logits) m->logits = drnn_calloc((size_t)m->Tmax * m->Bmax * V, sizeof(float));
        adaptive_log_prob(m->ada, m->ada_ws, params, m->top, N, m->logits);
        return 0.0;
    }
    /* Output layer over all T*B positions in one sgemm. */
    linear_forward(m->logits, m->top, P(m->i_dec_w), P(m->i_dec_b), N, V, H, 0);
    return targets ? softmax_xent_forward(m->logits, targets, N, V) : 0.0;
}

void lm_trace_bptt(lm_t *m, const float *params, const uint32_t *targets, int T, int B,
                   float *scratch, float *dnorm) {
    const model_desc_t *c = &m->cfg;
    const int H = c->hidden, V = c->vocab;
    const size_t last = (size_t)(T - 1) * B;
    memset(m->dtop, 0, sizeof(float) * last * H);
    memset(scratch, 0, sizeof(float) * m->tab.total);
    if (m->ada) {
        /* The last position's rows through the layer again, in a workspace of their own (the
         * training forward's is still needed by lm_backward). */
        if (!m->ada_tws) m->ada_tws = adaptive_ws_create(m->ada, m->Bmax);
        adaptive_forward(m->ada, m->ada_tws, params, m->top + last * H, targets + last, B);
        adaptive_backward(m->ada, m->ada_tws, params, scratch, m->top + last * H, B, 1.0f,
                          m->dtop + last * H);
    } else {
        if (!m->tracebuf) m->tracebuf = drnn_calloc((size_t)m->Bmax * V, sizeof(float));
        /* d(sum over streams of the last position's cross-entropy)/d logits: p - onehot. */
        memcpy(m->tracebuf, m->logits + last * V, sizeof(float) * (size_t)B * V);
        for (int b = 0; b < B; b++) m->tracebuf[(size_t)b * V + targets[last + b]] -= 1.0f;
        linear_backward_input(m->dtop + last * H, m->tracebuf, P(m->i_dec_w), B, V, H, 0);
    }
    stack_set_hooks(m->rnn, NULL); /* no reductions start for this pass */
    stack_set_trace(m->rnn, dnorm);
    stack_backward(m->rnn, params, scratch, m->dtop, NULL, m->x_emb, T, B, NULL, NULL);
    stack_set_hooks(m->rnn, &m->hooks);
}

void lm_backward(lm_t *m, const float *params, float *grads, const uint32_t *inputs,
                 const uint32_t *targets, int T, int B, float scale) {
    const model_desc_t *c = &m->cfg;
    const int N = T * B, E = c->embed, H = c->hidden, V = c->vocab;
    if (m->ada) {
        adaptive_backward(m->ada, m->ada_ws, params, grads, m->top, N, scale, m->dtop);
        tensors_ready(m, m->ada->i_head, m->ada->i_last); /* overlaps everything below */
    } else {
        softmax_xent_backward(m->logits, targets, N, V, scale);
        linear_backward_params(GR(m->i_dec_w), GR(m->i_dec_b), m->logits, m->top, N, V, H);
        tensors_ready(m, m->i_dec_w, m->i_dec_b); /* its reduction overlaps everything below */
        linear_backward_input(m->dtop, m->logits, P(m->i_dec_w), N, V, H, 0);
    }
    stack_backward(m->rnn, params, grads, m->dtop, m->demb, m->x_emb, T, B, NULL, NULL);
    /* Scatter-add dL/d(embedded inputs) into the embedding rows. */
    float *demb = GR(m->i_emb);
    for (int i = 0; i < N; i++) {
        float *row = demb + (size_t)inputs[i] * E;
        const float *g = m->demb + (size_t)i * E;
        for (int j = 0; j < E; j++) row[j] += g[j];
    }
    tensors_ready(m, m->i_emb, m->i_emb);
}

/* ---- the model layer's row (model/model.h) ---- */

static int lm_validate(const model_desc_t *d, const char *where, char *err, size_t errlen) {
    if (d->bidirectional)
        return drnn_errf(err, errlen, 65,
                         "%s: a language model cannot be bidirectional (it would see the tokens it "
                         "predicts)",
                         where);
    if (d->softmax != SOFTMAX_FULL && d->softmax != SOFTMAX_ADAPTIVE)
        return drnn_errf(err, errlen, 65, "%s: unknown softmax (full or adaptive)", where);
    char why[512];
    if (d->softmax == SOFTMAX_ADAPTIVE && model_adaptive_check(d, why, sizeof why) != 0)
        return drnn_errf(err, errlen, 65, "%s: its adaptive softmax is not a valid one: %s", where,
                         why);
    if (d->softmax == SOFTMAX_FULL && (d->ncutoffs != 0 || d->div_value != 0.0))
        return drnn_errf(err, errlen, 65, "%s: cutoffs or div_value without adaptive softmax",
                         where);
    return 0;
}
static void *lm_op_create(const model_desc_t *d, int Tmax, int Bmax) {
    return lm_create(d, Tmax, Bmax);
}
static void lm_op_destroy(void *m) {
    lm_free(m);
}
static const param_table_t *lm_op_params(const void *m) {
    return lm_params(m);
}
static void lm_op_init(const void *m, float *params, uint64_t seed) {
    lm_init_params(m, params, seed);
}
static void lm_op_hooks(void *m, const backward_hooks_t *h) {
    lm_set_backward_hooks(m, h ? h->ready : NULL, h ? h->progress : NULL, h ? h->ctx : NULL);
}

const model_ops_t lm_model_ops = {
    .uses = MODEL_USES_SOFTMAX,
    .validate = lm_validate,
    .create = lm_op_create,
    .destroy = lm_op_destroy,
    .params = lm_op_params,
    .init_params = lm_op_init,
    .set_hooks = lm_op_hooks,
};

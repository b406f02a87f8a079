#include "model/seq_encoder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "model/kernels.h"
#include "model/rng.h"
#include "model/rnn_stack.h"
#include "model/self_attn.h"

struct seq_encoder {
    model_desc_t d;
    param_table_t *tab;
    int i_emb, i_last;
    rnn_stack_t *stack;
    self_attn_t *attn; /* NULL without --self-attention */
    float *dstack;     /* [N, D] with attn: the gradient of the stack's outputs */
    int D, T, B;       /* T, B: the last forward's sizes */
    size_t ncap, bcap; /* the buffers hold N = ncap rows (T*B) of bcap rows at most */
    dropout_ctx_t drop;
    backward_hooks_t hooks;
    const int *lens;        /* [B] of the last forward */
    const uint32_t *tokens; /* [T*B] of the last forward */
    float *x_emb;           /* [N, E] */
    float *demb;            /* [N, E] */
    float *state;           /* [L*dirs*B*H] (x2 for LSTM): zero start, final states after */
};

/* (Re)allocates the buffers for e->ncap rows of e->bcap rows; what they held is not kept. */
static void alloc_buffers(seq_encoder_t *e) {
    free(e->dstack), free(e->x_emb), free(e->demb), free(e->state);
    const size_t N = e->ncap, E = (size_t)e->d.embed;
    e->dstack = e->attn ? drnn_calloc(N * e->D, sizeof(float)) : NULL;
    e->x_emb = drnn_calloc(N * E, sizeof(float));
    e->demb = drnn_calloc(N * E, sizeof(float));
    e->state = drnn_calloc((size_t)stack_state_size(e->stack) * e->bcap, sizeof(float));
}

seq_encoder_t *seq_encoder_create(const model_desc_t *d, param_table_t *tab, int Tmax, int Bmax) {
    DRNN_ASSERT(Tmax > 0 && Bmax > 0);
    seq_encoder_t *e = drnn_calloc(1, sizeof *e);
    e->d = *d, e->tab = tab, e->ncap = (size_t)Tmax * Bmax, e->bcap = (size_t)Bmax;
    e->i_emb = params_add(tab, "embedding.weight", 2, d->vocab, d->embed);
    stack_config_t sc = {d->cell, d->embed, d->hidden, d->layers, d->bidirectional, d->residual};
    e->stack = stack_create(&sc, tab, "encoder", Tmax, Bmax);
    e->D = stack_output_size(e->stack);
    if (d->self_attention > 0) e->attn = self_attn_create(e->D, d->self_attention, tab, Tmax, Bmax);
    e->i_last = tab->n - 1;
    alloc_buffers(e);
    return e;
}

void seq_encoder_free(seq_encoder_t *e) {
    if (!e) return;
    stack_free(e->stack);
    self_attn_free(e->attn);
    free(e->dstack);
    free(e->x_emb), free(e->demb), free(e->state);
    free(e);
}

int seq_encoder_width(const seq_encoder_t *e) {
    return e->D;
}

int seq_encoder_last_tensor(const seq_encoder_t *e) {
    return e->i_last;
}

void seq_encoder_init_params(const seq_encoder_t *e, float *params, uint64_t seed) {
    const float k = 1.0f / sqrtf((float)e->d.hidden);
    const int last = e->attn ? self_attn_first_tensor(e->attn) - 1 : e->i_last;
    for (int i = e->i_emb; i <= last; i++) {
        const param_tensor_t *t = &e->tab->t[i];
        if (i == e->i_emb)
            rng_fill_normal(params + t->offset, t->size, 0.0f, 1.0f, seed, RNG_INIT, (uint32_t)i,
                            0);
        else
            rng_fill_uniform(params + t->offset, t->size, -k, k, seed, RNG_INIT, (uint32_t)i, 0);
    }
    if (e->attn) self_attn_init_params(e->attn, params, seed);
}

void seq_encoder_set_dropout(seq_encoder_t *e, float p, uint64_t seed, uint32_t step,
                             uint32_t example0) {
    DRNN_ASSERT(p >= 0.0f && p < 1.0f);
    e->drop.p = p, e->drop.seed = seed, e->drop.step = step, e->drop.stream0 = example0;
    if (e->attn) self_attn_set_dropout(e->attn, p, seed, step, example0);
}

void seq_encoder_set_hooks(seq_encoder_t *e, const backward_hooks_t *hooks) {
    if (hooks)
        e->hooks = *hooks;
    else
        memset(&e->hooks, 0, sizeof e->hooks);
    stack_set_hooks(e->stack, &e->hooks);
    if (e->attn) self_attn_set_hooks(e->attn, &e->hooks);
}

const float *seq_encoder_forward(seq_encoder_t *e, const float *params, const uint32_t *tokens,
                                 const int *lens, int T, int B, int train) {
    DRNN_ASSERT(T > 0 && B > 0);
    if (drnn_cap_raise(&e->ncap, (size_t)T * B) | drnn_cap_raise(&e->bcap, (size_t)B))
        alloc_buffers(e);
    /* Padded positions: any id; they are never read as state. */
    embed_rows(e->x_emb, params + e->tab->t[e->i_emb].offset, tokens, lens, T, B, e->d.vocab,
               e->d.embed);
    e->T = T, e->B = B, e->lens = lens, e->tokens = tokens;
    memset(e->state, 0, sizeof(float) * (size_t)stack_state_size(e->stack) * B);
    const float *top =
        stack_forward(e->stack, params, e->x_emb, lens, e->state, T, B, train ? &e->drop : NULL);
    return e->attn ? self_attn_forward(e->attn, params, top, lens, T, B, train) : top;
}

const float *seq_encoder_attention(const seq_encoder_t *e) {
    return e->attn ? self_attn_weights(e->attn) : NULL;
}

const float *seq_encoder_final(const seq_encoder_t *e) {
    return e->state;
}

void seq_encoder_backward(seq_encoder_t *e, const float *params, float *grads, float *dtop) {
    const int T = e->T, B = e->B, E = e->d.embed;
    if (e->attn) { /* z = block(y): dtop is dL/dz; the stack gets dL/dy */
        memset(e->dstack, 0, sizeof(float) * (size_t)T * B * e->D);
        self_attn_backward(e->attn, params, grads, dtop, e->dstack);
        dtop = e->dstack;
    }
    stack_backward(e->stack, params, grads, dtop, e->demb, e->x_emb, T, B, NULL, NULL);
    embed_rows_backward(grads + e->tab->t[e->i_emb].offset, e->demb, e->tokens, e->lens, T, B, E);
    params_report_ready(e->tab, &e->hooks, e->i_emb, e->i_emb);
}

#include "model/seq2seq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/kernels.h"
#include "model/rng.h"
#include "model/rnn_stack.h"
#include "model/self_attn.h"
#include "base/util.h"

/* Philox keys of the three dropout sites: the encoder's and the decoder's masks must differ. */
#define SEED_DEC   0x9E3779B97F4A7C15ull
#define SEED_HTILD 0x3C6EF372FE94F82Bull

struct seq2seq {
    model_desc_t d;
    param_table_t tab;
    int i_semb, i_temb, i_bw, i_bb, i_attn, i_comb, i_gw, i_gb; /* i_attn -1 for dot */
    rnn_stack_t *enc, *dec;
    self_attn_t *sattn; /* --self-attention over the encoder's outputs, or NULL */
    float *dstack;      /* [Ns, D] with sattn: the gradient of the encoder stack's outputs */
    int D, H, L, dirs, lstm;
    dropout_ctx_t drop;
    backward_hooks_t hooks;
    /* The last forward: its batch (the caller keeps the arrays alive), whether it dropped. */
    seq2seq_batch_t bt;
    int dropped;
    const float *enc_out; /* [Ts*B, D] encoder outputs (the stack's, or the self-attention's) */
    const float *keys;    /* [Ts*B, H] attn.weight h_i ("general", own buffer) or enc_out ("dot") */
    const float *dec_out; /* [Tt*B, H] decoder top states */
    /* Sources kept by seq2seq_encode for decoding steps. */
    int enc_B, enc_Ts;
    /* Two arenas, each grown to the largest batch seen (what they held is then lost): the
     * source side for Ns = Ts*B rows of B sources, kept by seq2seq_encode for the decoding
     * steps; the target side for Nt = Tt*B rows (N hypotheses when decoding) and the attention
     * weights, A = B*Tt*Ts (N*Ts), rewritten by every step. */
    size_t ns_cap, bs_cap, nt_cap, a_cap;
    float *src_arena, *tgt_arena;
    int *enc_lens;         /* [B] */
    uint32_t *targets;     /* [Nt] targets, UINT32_MAX past tgt_lens */
    float *x_src, *dx_src; /* [Ns, E] */
    float *x_tgt, *dx_tgt; /* [Nt, E] */
    float *enc_state;      /* [L*dirs*B*H] (x2 LSTM): zero start, final states after */
    float *denc_end;       /* same size: gradient of the final states (from the bridge) */
    float *hbar;           /* [L*B, D] final states per layer, directions concatenated */
    float *dhbar;          /* [L*B, D] */
    float *s0;             /* [L*B, H] bridge output = decoder start state */
    float *ds0;            /* [L*B, H] */
    float *dec_state;      /* [L*B, H] */
    float *keybuf;         /* [Ns, H] */
    float *dkeys;          /* [Ns, H] */
    float *alpha;          /* [A] attention weights, [B, Tt, Ts] */
    float *dalpha;         /* [A] */
    float *cat;            /* [Nt, D + H] [a_t; s_t] */
    float *dcat;           /* [Nt, D + H] */
    float *htilde;         /* [Nt, H] */
    float *hmask;          /* [Nt, H] dropout scale on htilde */
    float *hdrop;          /* [Nt, H] htilde after dropout */
    float *dh;             /* [Nt, H] */
    float *ddec;           /* [Nt, H] */
    float *denc;           /* [Ns, D] */
    float *probs;          /* [Nt, Vt] */
};

#define TAKE(n) (p += (n), p - (n))

/* (Re)builds the source-side arena for ns_cap rows of bs_cap sources. */
static void build_src(seq2seq_t *m) {
    const size_t N = m->ns_cap, B = m->bs_cap, D = m->D, H = m->H, E = m->d.embed, L = m->L;
    const size_t ns = (size_t)stack_state_size(m->enc) * B, nd = m->sattn ? N * D : 0;
    const size_t total =
        2 * N * E + 2 * ns + 2 * L * B * D + 3 * L * B * H + 2 * N * H + N * D + nd;
    free(m->src_arena), free(m->enc_lens);
    float *p = m->src_arena = drnn_calloc(total, sizeof(float));
    m->x_src = TAKE(N * E), m->dx_src = TAKE(N * E);
    m->enc_state = TAKE(ns), m->denc_end = TAKE(ns);
    m->hbar = TAKE(L * B * D), m->dhbar = TAKE(L * B * D);
    m->s0 = TAKE(L * B * H), m->ds0 = TAKE(L * B * H), m->dec_state = TAKE(L * B * H);
    m->keybuf = TAKE(N * H), m->dkeys = TAKE(N * H);
    m->denc = TAKE(N * D);
    m->dstack = m->sattn ? TAKE(nd) : NULL;
    DRNN_ASSERT((size_t)(p - m->src_arena) == total);
    m->enc_lens = drnn_calloc(B, sizeof(int));
}

/* (Re)builds the target-side arena for nt_cap rows and a_cap attention weights. */
static void build_tgt(seq2seq_t *m) {
    const size_t N = m->nt_cap, A = m->a_cap, D = m->D, H = m->H, E = m->d.embed;
    const size_t total = 2 * N * E + 2 * A + 2 * N * (D + H) + 5 * N * H + N * m->d.tgt_vocab;
    free(m->tgt_arena), free(m->targets);
    float *p = m->tgt_arena = drnn_calloc(total, sizeof(float));
    m->x_tgt = TAKE(N * E), m->dx_tgt = TAKE(N * E);
    m->alpha = TAKE(A), m->dalpha = TAKE(A);
    m->cat = TAKE(N * (D + H)), m->dcat = TAKE(N * (D + H));
    m->htilde = TAKE(N * H), m->hmask = TAKE(N * H), m->hdrop = TAKE(N * H);
    m->dh = TAKE(N * H), m->ddec = TAKE(N * H);
    m->probs = TAKE(N * m->d.tgt_vocab);
    DRNN_ASSERT((size_t)(p - m->tgt_arena) == total);
    m->targets = drnn_calloc(N, sizeof(uint32_t));
}
#undef TAKE

/* Grows the source side to Ns rows of B sources, the target side to Nt rows and A weights. */
static void reserve(seq2seq_t *m, size_t Ns, size_t B, size_t Nt, size_t A) {
    if (drnn_cap_raise(&m->ns_cap, Ns) | drnn_cap_raise(&m->bs_cap, B)) build_src(m);
    if (drnn_cap_raise(&m->nt_cap, Nt) | drnn_cap_raise(&m->a_cap, A)) build_tgt(m);
}

seq2seq_t *seq2seq_create(const model_desc_t *d, int Tmax, int Bmax) {
    DRNN_ASSERT(model_validate(&seq2seq_model_ops, d, "seq2seq_create", NULL, 0) == 0);
    DRNN_ASSERT(Tmax > 0 && Bmax > 0);
    seq2seq_t *m = drnn_calloc(1, sizeof *m);
    m->d = *d;
    m->H = d->hidden, m->L = d->layers, m->dirs = d->bidirectional ? 2 : 1;
    m->lstm = d->cell == CELL_LSTM;
    m->i_semb = params_add(&m->tab, "src_embedding.weight", 2, d->vocab, d->embed);
    m->i_temb = params_add(&m->tab, "tgt_embedding.weight", 2, d->tgt_vocab, d->embed);
    stack_config_t ec = {d->cell, d->embed, d->hidden, d->layers, d->bidirectional, d->residual};
    m->enc = stack_create(&ec, &m->tab, "encoder", Tmax, Bmax);
    if (d->self_attention > 0) /* z = LayerNorm(y + MHA(y)) over the encoder's outputs y */
        m->sattn =
            self_attn_create(stack_output_size(m->enc), d->self_attention, &m->tab, Tmax, Bmax);
    stack_config_t dc = {CELL_GRU, d->embed, d->hidden, d->layers, 0, d->residual};
    m->dec = stack_create(&dc, &m->tab, "decoder", Tmax, Bmax);
    m->D = stack_output_size(m->enc);
    const size_t D = m->D, H = m->H, Vt = d->tgt_vocab;
    m->i_bw = params_add(&m->tab, "bridge.weight", 2, H, D);
    m->i_bb = params_add(&m->tab, "bridge.bias", 1, H, 0);
    m->i_attn = d->attention == ATTN_GENERAL ? params_add(&m->tab, "attn.weight", 2, H, D) : -1;
    m->i_comb = params_add(&m->tab, "attn_combine.weight", 2, H, D + H);
    m->i_gw = params_add(&m->tab, "generator.weight", 2, Vt, H);
    m->i_gb = params_add(&m->tab, "generator.bias", 1, Vt, 0);

    const size_t N = (size_t)Tmax * Bmax;
    m->ns_cap = m->nt_cap = N, m->bs_cap = (size_t)Bmax, m->a_cap = N * (size_t)Tmax;
    build_src(m), build_tgt(m);
    return m;
}

void seq2seq_free(seq2seq_t *m) {
    if (!m) return;
    stack_free(m->enc), stack_free(m->dec);
    self_attn_free(m->sattn);
    free(m->src_arena), free(m->tgt_arena), free(m->enc_lens), free(m->targets);
    free(m);
}

const param_table_t *seq2seq_params(const seq2seq_t *m) {
    return &m->tab;
}

const model_desc_t *seq2seq_desc(const seq2seq_t *m) {
    return &m->d;
}

const float *seq2seq_attention(const seq2seq_t *m) {
    return m->alpha;
}

const float *seq2seq_probs(const seq2seq_t *m) {
    return m->probs;
}

int seq2seq_state_size(const seq2seq_t *m) {
    return m->L * m->H;
}

void seq2seq_init_params(const seq2seq_t *m, float *params, uint64_t seed) {
    const float kh = 1.0f / sqrtf((float)m->H), kd = 1.0f / sqrtf((float)m->D);
    const float kc = 1.0f / sqrtf((float)(m->D + m->H));
    for (int i = 0; i < m->tab.n; i++) {
        const param_tensor_t *t = &m->tab.t[i];
        if (m->sattn && i >= self_attn_first_tensor(m->sattn) &&
            i <= self_attn_last_tensor(m->sattn))
            continue; /* self_attn_init_params below */
        /* nn.Linear(fan_in, out): U(±1/sqrt(fan_in)) for weight and bias; recurrent U(±1/sqrt(H)).
         */
        float k = kh;
        if (i == m->i_bw || i == m->i_bb || i == m->i_attn) k = kd;
        if (i == m->i_comb) k = kc;
        if (i == m->i_semb || i == m->i_temb)
            rng_fill_normal(params + t->offset, t->size, 0.0f, 1.0f, seed, RNG_INIT, (uint32_t)i,
                            0);
        else
            rng_fill_uniform(params + t->offset, t->size, -k, k, seed, RNG_INIT, (uint32_t)i, 0);
    }
    if (m->sattn) self_attn_init_params(m->sattn, params, seed);
}

void seq2seq_set_dropout(seq2seq_t *m, float p, uint64_t seed, uint32_t step, uint32_t example0) {
    DRNN_ASSERT(p >= 0.0f && p < 1.0f);
    m->drop.p = p, m->drop.seed = seed, m->drop.step = step, m->drop.stream0 = example0;
    if (m->sattn) self_attn_set_dropout(m->sattn, p, seed, step, example0);
}

void seq2seq_set_backward_hooks(seq2seq_t *m, const backward_hooks_t *hooks) {
    if (hooks)
        m->hooks = *hooks;
    else
        memset(&m->hooks, 0, sizeof m->hooks);
    stack_set_hooks(m->enc, &m->hooks);
    stack_set_hooks(m->dec, &m->hooks);
    if (m->sattn) self_attn_set_hooks(m->sattn, &m->hooks);
}

#define P(idx)  (params + m->tab.t[(idx)].offset)
#define GR(idx) (grads + m->tab.t[(idx)].offset)

static void tensors_ready(const seq2seq_t *m, int first, int last) {
    params_report_ready(&m->tab, &m->hooks, first, last);
}

/* Encoder over B sources (x_src filled), then the attention keys, hbar and the bridge's s0. */
static void encode(seq2seq_t *m, const float *params, const int *src_lens, int Ts, int B,
                   const dropout_ctx_t *drop) {
    const int H = m->H, D = m->D, L = m->L;
    const size_t BH = (size_t)B * H;
    memset(m->enc_state, 0, sizeof(float) * (size_t)stack_state_size(m->enc) * B);
    m->enc_out = stack_forward(m->enc, params, m->x_src, src_lens, m->enc_state, Ts, B, drop);
    if (m->sattn) /* the decoder attends over z; the bridge reads the stack's final states */
        m->enc_out = self_attn_forward(m->sattn, params, m->enc_out, src_lens, Ts, B, drop != NULL);
    if (m->i_attn >= 0) {
        linear_forward(m->keybuf, m->enc_out, P(m->i_attn), NULL, Ts * B, H, D, 0);
        m->keys = m->keybuf;
    } else {
        m->keys = m->enc_out;
    }
    for (int k = 0; k < L; k++)
        for (int d = 0; d < m->dirs; d++)
            for (int b = 0; b < B; b++)
                memcpy(m->hbar + ((size_t)k * B + b) * D + (size_t)d * H,
                       m->enc_state + (size_t)(k * m->dirs + d) * BH + (size_t)b * H,
                       sizeof(float) * H);
    linear_forward(m->s0, m->hbar, P(m->i_bw), P(m->i_bb), L * B, H, D, 0);
    for (size_t i = 0; i < (size_t)L * BH; i++) m->s0[i] = tanhf(m->s0[i]);
}

/* Masked softmax of scores e [len] in place; the rest up to n is set to 0. */
static void attn_softmax(float *e, int len, int n) {
    float mx = e[0];
    for (int i = 1; i < len; i++) mx = e[i] > mx ? e[i] : mx;
    double sum = 0.0;
    for (int i = 0; i < len; i++) {
        e[i] = expf(e[i] - mx);
        sum += e[i];
    }
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < len; i++) e[i] *= inv;
    for (int i = len; i < n; i++) e[i] = 0.0f;
}

double seq2seq_forward(seq2seq_t *m, const float *params, const seq2seq_batch_t *bt, int train) {
    const int Ts = bt->Ts, Tt = bt->Tt, B = bt->B, H = m->H, D = m->D, E = m->d.embed;
    const int Vt = m->d.tgt_vocab, L = m->L, W = D + H;
    DRNN_ASSERT(Ts > 0 && Tt > 0 && B > 0);
    reserve(m, (size_t)Ts * B, (size_t)B, (size_t)Tt * B, (size_t)B * Tt * Ts);
    for (int b = 0; b < B; b++)
        DRNN_ASSERT(bt->src_lens[b] >= 1 && bt->src_lens[b] <= Ts && bt->tgt_lens[b] >= 1 &&
                    bt->tgt_lens[b] <= Tt);
    m->bt = *bt;
    m->dropped = train && m->drop.p > 0.0f;
    const dropout_ctx_t *drop = train ? &m->drop : NULL;
    embed_rows(m->x_src, P(m->i_semb), bt->src, bt->src_lens, Ts, B, m->d.vocab, E);
    embed_rows(m->x_tgt, P(m->i_temb), bt->tgt_in, bt->tgt_lens, Tt, B, Vt, E);
    encode(m, params, bt->src_lens, Ts, B, drop);
    memcpy(m->dec_state, m->s0, sizeof(float) * (size_t)L * B * H);
    dropout_ctx_t ddrop = m->drop;
    ddrop.seed ^= SEED_DEC;
    m->dec_out =
        stack_forward(m->dec, params, m->x_tgt, NULL, m->dec_state, Tt, B, train ? &ddrop : NULL);

    /* Attention, one source row at a time: its rows are every B-th row of the buffers. */
    const int ldk = m->i_attn >= 0 ? H : D;
    for (int b = 0; b < B; b++) {
        const int len = bt->src_lens[b];
        float *al = m->alpha + (size_t)b * Tt * Ts;
        gemm(0, 1, Tt, len, H, 1.0f, m->dec_out + (size_t)b * H, B * H, m->keys + (size_t)b * ldk,
             B * ldk, 0.0f, al, Ts);
        for (int t = 0; t < Tt; t++) attn_softmax(al + (size_t)t * Ts, len, Ts);
        gemm(0, 0, Tt, D, len, 1.0f, al, Ts, m->enc_out + (size_t)b * D, B * D, 0.0f,
             m->cat + (size_t)b * W, B * W);
    }
    const size_t M = (size_t)Tt * B;
    for (size_t r = 0; r < M; r++)
        memcpy(m->cat + r * W + D, m->dec_out + r * H, sizeof(float) * H);
    linear_forward(m->htilde, m->cat, P(m->i_comb), NULL, (int)M, H, W, 0);
    for (size_t i = 0; i < M * H; i++) m->htilde[i] = tanhf(m->htilde[i]);
    const float *hout = m->htilde;
    if (m->dropped) {
        const float keep = 1.0f / (1.0f - m->drop.p);
        for (int t = 0; t < Tt; t++)
            for (int b = 0; b < B; b++)
                for (int j = 0; j < H; j++) {
                    size_t i = ((size_t)t * B + b) * H + j;
                    float u = rng_uniform(m->drop.seed ^ SEED_HTILD, RNG_DROPOUT, m->drop.step,
                                          m->drop.stream0 + b, (uint64_t)t * H + j);
                    m->hmask[i] = u < m->drop.p ? 0.0f : keep;
                    m->hdrop[i] = m->htilde[i] * m->hmask[i];
                }
        hout = m->hdrop;
    }
    linear_forward(m->probs, hout, P(m->i_gw), P(m->i_gb), (int)M, Vt, H, 0);
    for (int t = 0; t < Tt; t++)
        for (int b = 0; b < B; b++) {
            size_t i = (size_t)t * B + b;
            m->targets[i] = t < bt->tgt_lens[b] ? bt->tgt_out[i] : UINT32_MAX;
            DRNN_ASSERT(m->targets[i] == UINT32_MAX || m->targets[i] < (uint32_t)Vt);
        }
    return softmax_xent_forward(m->probs, m->targets, (int)M, Vt);
}

void seq2seq_backward(seq2seq_t *m, const float *params, float *grads, float scale) {
    const seq2seq_batch_t *bt = &m->bt;
    const int Ts = bt->Ts, Tt = bt->Tt, B = bt->B, H = m->H, D = m->D, E = m->d.embed;
    const int Vt = m->d.tgt_vocab, L = m->L, W = D + H;
    const size_t M = (size_t)Tt * B, BH = (size_t)B * H;

    /* Generator and combine layer. */
    softmax_xent_backward(m->probs, m->targets, (int)M, Vt, scale); /* probs -> dlogits */
    const float *hout = m->dropped ? m->hdrop : m->htilde;
    linear_backward_params(GR(m->i_gw), GR(m->i_gb), m->probs, hout, (int)M, Vt, H);
    tensors_ready(m, m->i_gw, m->i_gb);
    linear_backward_input(m->dh, m->probs, P(m->i_gw), (int)M, Vt, H, 0);
    for (size_t i = 0; i < M * H; i++) {
        float g = m->dropped ? m->dh[i] * m->hmask[i] : m->dh[i];
        m->dh[i] = g * (1.0f - m->htilde[i] * m->htilde[i]);
    }
    linear_backward_params(GR(m->i_comb), NULL, m->dh, m->cat, (int)M, H, W);
    tensors_ready(m, m->i_comb, m->i_comb);
    linear_backward_input(m->dcat, m->dh, P(m->i_comb), (int)M, H, W, 0);

    /* Attention: d context -> d alpha -> d scores -> d decoder states, d keys, d encoder. */
    for (size_t r = 0; r < M; r++) memcpy(m->ddec + r * H, m->dcat + r * W + D, sizeof(float) * H);
    memset(m->denc, 0, sizeof(float) * (size_t)Ts * B * D);
    const int general = m->i_attn >= 0, ldk = general ? H : D;
    float *dk = general ? m->dkeys : m->denc;
    if (general) memset(m->dkeys, 0, sizeof(float) * (size_t)Ts * B * H);
    for (int b = 0; b < B; b++) {
        const int len = bt->src_lens[b];
        const float *al = m->alpha + (size_t)b * Tt * Ts, *dctx = m->dcat + (size_t)b * W;
        float *da = m->dalpha + (size_t)b * Tt * Ts;
        gemm(0, 1, Tt, len, D, 1.0f, dctx, B * W, m->enc_out + (size_t)b * D, B * D, 0.0f, da, Ts);
        gemm(1, 0, len, D, Tt, 1.0f, al, Ts, dctx, B * W, 1.0f, m->denc + (size_t)b * D, B * D);
        for (int t = 0; t < Tt; t++) {
            const float *a = al + (size_t)t * Ts;
            float *g = da + (size_t)t * Ts;
            double dot = 0.0;
            for (int i = 0; i < len; i++) dot += (double)a[i] * g[i];
            for (int i = 0; i < len; i++) g[i] = a[i] * (g[i] - (float)dot);
        }
        gemm(0, 0, Tt, H, len, 1.0f, da, Ts, m->keys + (size_t)b * ldk, B * ldk, 1.0f,
             m->ddec + (size_t)b * H, B * H);
        gemm(1, 0, len, H, Tt, 1.0f, da, Ts, m->dec_out + (size_t)b * H, B * H, 1.0f,
             dk + (size_t)b * ldk, B * ldk);
    }
    if (general) {
        linear_backward_params(GR(m->i_attn), NULL, m->dkeys, m->enc_out, Ts * B, H, D);
        tensors_ready(m, m->i_attn, m->i_attn);
        linear_backward_input(m->denc, m->dkeys, P(m->i_attn), Ts * B, H, D, 1);
    }

    /* Decoder (its layers report themselves), target embedding, bridge. */
    stack_backward(m->dec, params, grads, m->ddec, m->dx_tgt, m->x_tgt, Tt, B, NULL, m->ds0);
    embed_rows_backward(GR(m->i_temb), m->dx_tgt, bt->tgt_in, bt->tgt_lens, Tt, B, E);
    tensors_ready(m, m->i_temb, m->i_temb);
    for (size_t i = 0; i < (size_t)L * BH; i++) m->ds0[i] *= 1.0f - m->s0[i] * m->s0[i];
    linear_backward_params(GR(m->i_bw), GR(m->i_bb), m->ds0, m->hbar, L * B, H, D);
    tensors_ready(m, m->i_bw, m->i_bb);
    linear_backward_input(m->dhbar, m->ds0, P(m->i_bw), L * B, H, D, 0);

    /* Encoder, from its outputs' gradient and its final states' (the bridge's input). */
    memset(m->denc_end, 0, sizeof(float) * (size_t)stack_state_size(m->enc) * B);
    for (int k = 0; k < L; k++)
        for (int d = 0; d < m->dirs; d++)
            for (int b = 0; b < B; b++)
                memcpy(m->denc_end + (size_t)(k * m->dirs + d) * BH + (size_t)b * H,
                       m->dhbar + ((size_t)k * B + b) * D + (size_t)d * H, sizeof(float) * H);
    float *dy = m->denc;
    if (m->sattn) { /* denc is dL/dz: the block's backward gives the stack's dL/dy */
        memset(m->dstack, 0, sizeof(float) * (size_t)Ts * B * D);
        self_attn_backward(m->sattn, params, grads, m->denc, m->dstack);
        dy = m->dstack;
    }
    stack_backward(m->enc, params, grads, dy, m->dx_src, m->x_src, Ts, B, m->denc_end, NULL);
    embed_rows_backward(GR(m->i_semb), m->dx_src, bt->src, bt->src_lens, Ts, B, E);
    tensors_ready(m, m->i_semb, m->i_semb);
}

void seq2seq_report_ready(seq2seq_t *m) {
    tensors_ready(m, m->i_gw, m->i_gb);
    tensors_ready(m, m->i_comb, m->i_comb);
    tensors_ready(m, m->i_attn, m->i_attn);
    stack_report_ready(m->dec);
    tensors_ready(m, m->i_temb, m->i_temb);
    tensors_ready(m, m->i_bw, m->i_bb);
    if (m->sattn)
        tensors_ready(m, self_attn_first_tensor(m->sattn), self_attn_last_tensor(m->sattn));
    stack_report_ready(m->enc);
    tensors_ready(m, m->i_semb, m->i_semb);
}

/* ---- decoding ----------------------------------------------------------------------------- */

void seq2seq_encode(seq2seq_t *m, const float *params, const uint32_t *src, const int *src_lens,
                    int Ts, int B) {
    DRNN_ASSERT(Ts > 0 && B > 0);
    for (int b = 0; b < B; b++) DRNN_ASSERT(src_lens[b] >= 1 && src_lens[b] <= Ts);
    reserve(m, (size_t)Ts * B, (size_t)B, 0, 0);
    embed_rows(m->x_src, P(m->i_semb), src, src_lens, Ts, B, m->d.vocab, m->d.embed);
    encode(m, params, src_lens, Ts, B, NULL);
    memcpy(m->enc_lens, src_lens, sizeof(int) * (size_t)B);
    m->enc_B = B, m->enc_Ts = Ts;
}

void seq2seq_decoder_start(seq2seq_t *m, const float *params, const int *src_row, int N,
                           float *state) {
    (void)params;
    const int H = m->H;
    DRNN_ASSERT(N > 0);
    for (int k = 0; k < m->L; k++)
        for (int n = 0; n < N; n++) {
            DRNN_ASSERT(src_row[n] >= 0 && src_row[n] < m->enc_B);
            memcpy(state + ((size_t)k * N + n) * H, m->s0 + ((size_t)k * m->enc_B + src_row[n]) * H,
                   sizeof(float) * H);
        }
}

void seq2seq_decode_step(seq2seq_t *m, const float *params, const uint32_t *prev,
                         const int *src_row, int N, float *state, float *logp, float *attn) {
    const int H = m->H, D = m->D, W = D + H, Bs = m->enc_B, Ts = m->enc_Ts, Vt = m->d.tgt_vocab;
    DRNN_ASSERT(N > 0);
    reserve(m, 0, 0, (size_t)N, (size_t)N * Ts);
    embed_rows(m->x_tgt, P(m->i_temb), prev, NULL, 1, N, Vt, m->d.embed);
    const float *s = stack_forward(m->dec, params, m->x_tgt, NULL, state, 1, N, NULL);
    const int ldk = m->i_attn >= 0 ? H : D;
    /* The hypotheses of one source are consecutive rows: one product of their S queries with the
     * source's keys, one of their weights with its outputs. */
    for (int n0 = 0, n1; n0 < N; n0 = n1) {
        const int r = src_row[n0], len = m->enc_lens[r];
        for (n1 = n0 + 1; n1 < N && src_row[n1] == r;) n1++;
        const int S = n1 - n0;
        float *al = m->alpha + (size_t)n0 * Ts;
        gemm(0, 1, S, len, H, 1.0f, s + (size_t)n0 * H, H, m->keys + (size_t)r * ldk, Bs * ldk,
             0.0f, al, Ts);
        for (int q = 0; q < S; q++) attn_softmax(al + (size_t)q * Ts, len, Ts);
        gemm(0, 0, S, D, len, 1.0f, al, Ts, m->enc_out + (size_t)r * D, Bs * D, 0.0f,
             m->cat + (size_t)n0 * W, W);
    }
    for (int n = 0; n < N; n++)
        memcpy(m->cat + (size_t)n * W + D, s + (size_t)n * H, sizeof(float) * H);
    if (attn) memcpy(attn, m->alpha, sizeof(float) * (size_t)N * Ts);
    linear_forward(m->htilde, m->cat, P(m->i_comb), NULL, N, H, W, 0);
    vec_tanh(m->htilde, (size_t)N * H);
    linear_forward(logp, m->htilde, P(m->i_gw), P(m->i_gb), N, Vt, H, 0);
    log_softmax_rows(logp, N, Vt);
}

/* ---- the model layer's row (model/model.h) ---- */

static int s2s_validate(const model_desc_t *d, const char *where, char *err, size_t errlen) {
    if (d->vocab < 4 || d->tgt_vocab < 4)
        return drnn_errf(err, errlen, 65,
                         "%s: seq2seq vocabularies need <unk> <pad> <bos> <eos> at least (source "
                         "%d, target %d entries)",
                         where, d->vocab, d->tgt_vocab);
    if (d->attention != ATTN_DOT && d->attention != ATTN_GENERAL)
        return drnn_errf(err, errlen, 65, "%s: unknown attention (dot or general)", where);
    if (d->attention == ATTN_DOT && d->bidirectional)
        return drnn_errf(err, errlen, 65,
                         "%s: dot attention needs encoder states as wide as the decoder's; a "
                         "bidirectional encoder's are twice as wide: use --attention general",
                         where);
    return 0;
}
static void *s2s_op_create(const model_desc_t *d, int Tmax, int Bmax) {
    return seq2seq_create(d, Tmax, Bmax);
}
static void s2s_op_destroy(void *m) {
    seq2seq_free(m);
}
static const param_table_t *s2s_op_params(const void *m) {
    return seq2seq_params(m);
}
static void s2s_op_init(const void *m, float *params, uint64_t seed) {
    seq2seq_init_params(m, params, seed);
}
static void s2s_op_hooks(void *m, const backward_hooks_t *h) {
    seq2seq_set_backward_hooks(m, h);
}

const model_ops_t seq2seq_model_ops = {
    .uses = MODEL_USES_TARGET | MODEL_USES_SELF_ATTN,
    .validate = s2s_validate,
    .create = s2s_op_create,
    .destroy = s2s_op_destroy,
    .params = s2s_op_params,
    .init_params = s2s_op_init,
    .set_hooks = s2s_op_hooks,
};

#include "model/lm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/gru.h"
#include "model/kernels.h"
#include "model/rng.h"
#include "model/util.h"

/* Tensor indices of one recurrent layer in the table. */
typedef struct {
    int w_ih, w_hh, b_ih, b_hh;
} layer_idx_t;

struct lm {
    lm_config_t cfg;
    param_table_t tab;
    int i_emb, i_dec_w, i_dec_b;
    layer_idx_t *layer; /* [L] */
    int Tmax, Bmax;

    float *arena;
    float *x_emb;       /* [T*B, E] */
    gru_acts_t *acts;   /* [L] */
    float *tmp;         /* [B, 3H] */
    float *logits;      /* [T*B, V] */
    float *dbuf[2];     /* [T*B, max(E, H)] ping-pong gradients between layers */
    gru_scratch_t scr;
};

static const char *const cell_names[] = {"rnn", "rnn_relu", "gru", "lstm"};

int lm_cell_parse(const char *name) {
    for (int i = 0; i < 4; i++)
        if (strcmp(name, cell_names[i]) == 0) return i;
    return -1;
}

const char *lm_cell_name(int cell) { return cell >= 0 && cell < 4 ? cell_names[cell] : "?"; }

int lm_cell_supported(int cell) { return cell == CELL_GRU; }

static int cell_gates(int cell) { return cell == CELL_GRU ? 3 : cell == CELL_LSTM ? 4 : 1; }

static void build_table(lm_t *m) {
    const lm_config_t *c = &m->cfg;
    size_t G = (size_t)cell_gates(c->cell) * c->hidden;
    char name[PARAM_NAME_MAX];
    m->i_emb = params_add(&m->tab, "embedding.weight", 2, c->vocab, c->embed);
    for (int k = 0; k < c->layers; k++) {
        size_t in = k == 0 ? (size_t)c->embed : (size_t)c->hidden;
        snprintf(name, sizeof name, "rnn.weight_ih_l%d", k);
        m->layer[k].w_ih = params_add(&m->tab, name, 2, G, in);
        snprintf(name, sizeof name, "rnn.weight_hh_l%d", k);
        m->layer[k].w_hh = params_add(&m->tab, name, 2, G, c->hidden);
        snprintf(name, sizeof name, "rnn.bias_ih_l%d", k);
        m->layer[k].b_ih = params_add(&m->tab, name, 1, G, 0);
        snprintf(name, sizeof name, "rnn.bias_hh_l%d", k);
        m->layer[k].b_hh = params_add(&m->tab, name, 1, G, 0);
    }
    m->i_dec_w = params_add(&m->tab, "decoder.weight", 2, c->vocab, c->hidden);
    m->i_dec_b = params_add(&m->tab, "decoder.bias", 1, c->vocab, 0);
}

/* Carves the arena: every activation of a Tmax x Bmax window at a fixed offset. */
static void build_arena(lm_t *m) {
    const lm_config_t *c = &m->cfg;
    size_t N = (size_t)m->Tmax * m->Bmax, B = m->Bmax, H = c->hidden, E = c->embed, V = c->vocab;
    size_t D = E > H ? E : H;
    size_t per_layer = N * 3 * H * 2 + N * H + (N + B) * H;
    size_t total = N * E + c->layers * per_layer + B * 3 * H + N * V + 2 * N * D + 2 * N * 3 * H +
                   B * H;
    m->arena = model_calloc(total, sizeof(float));
    float *p = m->arena;
#define TAKE(n) (p += (n), p - (n))
    m->x_emb = TAKE(N * E);
    for (int k = 0; k < c->layers; k++) {
        m->acts[k].xproj = TAKE(N * 3 * H);
        m->acts[k].gates = TAKE(N * 3 * H);
        m->acts[k].hn = TAKE(N * H);
        m->acts[k].hs = TAKE((N + B) * H);
    }
    m->tmp = TAKE(B * 3 * H);
    m->logits = TAKE(N * V);
    m->dbuf[0] = TAKE(N * D);
    m->dbuf[1] = TAKE(N * D);
    m->scr.dxp = TAKE(N * 3 * H);
    m->scr.dhp = TAKE(N * 3 * H);
    m->scr.dh = TAKE(B * H);
#undef TAKE
    DRNN_ASSERT((size_t)(p - m->arena) == total);
}

lm_t *lm_create(const lm_config_t *cfg, int Tmax, int Bmax) {
    DRNN_ASSERT(lm_cell_supported(cfg->cell));
    DRNN_ASSERT(cfg->vocab > 0 && cfg->embed > 0 && cfg->hidden > 0 && cfg->layers > 0);
    DRNN_ASSERT(Tmax > 0 && Bmax > 0);
    lm_t *m = model_calloc(1, sizeof *m);
    m->cfg = *cfg;
    m->Tmax = Tmax, m->Bmax = Bmax;
    m->layer = model_calloc(cfg->layers, sizeof *m->layer);
    m->acts = model_calloc(cfg->layers, sizeof *m->acts);
    build_table(m);
    build_arena(m);
    return m;
}

void lm_free(lm_t *m) {
    if (!m) return;
    free(m->arena);
    free(m->layer);
    free(m->acts);
    free(m);
}

const param_table_t *lm_params(const lm_t *m) { return &m->tab; }
const lm_config_t *lm_config(const lm_t *m) { return &m->cfg; }
int lm_state_size(const lm_t *m) { return m->cfg.layers * m->cfg.hidden; }
const float *lm_logits(const lm_t *m) { return m->logits; }

void lm_init_params(const lm_t *m, float *params, uint64_t seed) {
    float k = 1.0f / sqrtf((float)m->cfg.hidden);
    for (int i = 0; i < m->tab.n; i++) {
        const param_tensor_t *t = &m->tab.t[i];
        if (i == m->i_emb)
            rng_fill_normal(params + t->offset, t->size, 0.0f, 1.0f, seed, RNG_INIT, (uint32_t)i, 0);
        else
            rng_fill_uniform(params + t->offset, t->size, -k, k, seed, RNG_INIT, (uint32_t)i, 0);
    }
}

#define P(idx) (params + m->tab.t[(idx)].offset)
#define GR(idx) (grads + m->tab.t[(idx)].offset)

double lm_forward(lm_t *m, const float *params, const uint32_t *inputs, const uint32_t *targets,
                  float *state, int T, int B) {
    const lm_config_t *c = &m->cfg;
    DRNN_ASSERT(T > 0 && T <= m->Tmax && B > 0 && B <= m->Bmax);
    const int N = T * B, E = c->embed, H = c->hidden, V = c->vocab;
    const float *emb = P(m->i_emb);
    for (int i = 0; i < N; i++) {
        DRNN_ASSERT(inputs[i] < (uint32_t)V);
        memcpy(m->x_emb + (size_t)i * E, emb + (size_t)inputs[i] * E, sizeof(float) * E);
    }
    const float *x = m->x_emb;
    int in = E;
    for (int k = 0; k < c->layers; k++) {
        gru_acts_t *a = &m->acts[k];
        const layer_idx_t *li = &m->layer[k];
        memcpy(a->hs, state + (size_t)k * B * H, sizeof(float) * B * H);
        gru_forward(a, m->tmp, x, P(li->w_ih), P(li->w_hh), P(li->b_ih), P(li->b_hh), T, B, in, H);
        memcpy(state + (size_t)k * B * H, a->hs + (size_t)T * B * H, sizeof(float) * B * H);
        x = a->hs + (size_t)B * H;
        in = H;
    }
    /* Output layer over all T*B positions in one sgemm. */
    linear_forward(m->logits, x, P(m->i_dec_w), P(m->i_dec_b), N, V, H, 0);
    return targets ? softmax_xent_forward(m->logits, targets, N, V) : 0.0;
}

void lm_backward(lm_t *m, const float *params, float *grads, const uint32_t *inputs,
                 const uint32_t *targets, int T, int B, float scale) {
    const lm_config_t *c = &m->cfg;
    const int N = T * B, E = c->embed, H = c->hidden, V = c->vocab, L = c->layers;
    softmax_xent_backward(m->logits, targets, N, V, scale);
    const float *top = m->acts[L - 1].hs + (size_t)B * H;
    linear_backward_params(GR(m->i_dec_w), GR(m->i_dec_b), m->logits, top, N, V, H);
    float *dy = m->dbuf[0], *dx = m->dbuf[1];
    linear_backward_input(dy, m->logits, P(m->i_dec_w), N, V, H, 0);
    for (int k = L - 1; k >= 0; k--) {
        const layer_idx_t *li = &m->layer[k];
        const float *x = k == 0 ? m->x_emb : m->acts[k - 1].hs + (size_t)B * H;
        int in = k == 0 ? E : H;
        gru_backward(dx, GR(li->w_ih), GR(li->w_hh), GR(li->b_ih), GR(li->b_hh), &m->scr, dy,
                     &m->acts[k], x, P(li->w_ih), P(li->w_hh), T, B, in, H);
        float *swap = dy;
        dy = dx, dx = swap;
    }
    /* dy now holds dL/d(embedded inputs): scatter-add into the embedding rows. */
    float *demb = GR(m->i_emb);
    for (int i = 0; i < N; i++) {
        float *row = demb + (size_t)inputs[i] * E;
        const float *g = dy + (size_t)i * E;
        for (int j = 0; j < E; j++) row[j] += g[j];
    }
}

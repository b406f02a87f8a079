#include "model/rnn_stack.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cells.h"
#include "model/rng.h"
#include "base/util.h"

/* One layer in one direction. */
typedef struct {
    int t_ih, t_hh, t_bih, t_bhh; /* tensor indices */
    cell_acts_t acts;
} unit_t;

struct rnn_stack {
    stack_config_t cfg;
    const param_table_t *tab;
    int dirs, G, D;
    size_t ncap, bcap; /* the arena holds ncap time rows (T*B) of bcap streams at most */
    unit_t *u;         /* [L * dirs], layer-major */
    float **out;       /* [L] layer outputs [T*B, D] (bidirectional only; else the hs rows) */
    float **xdrop;     /* [L] dropped input of layer k > 0, [T*B, D] */
    float **mask;      /* [L] dropout scale per element (0 or 1/(1-p)) */
    float **res;       /* [L] residual: layer k > 0's output y_k = RNN_k + y_{k-1}, [T*B, D] */
    float *dres;       /* [T*B, D] residual: dL/dy_k kept across layer k's backward */
    int drop_on;       /* dropout applied in the last forward */
    float *tmp;        /* [B, G] */
    cell_scratch_t scr;
    float *dbuf[2]; /* [T*B, D] ping-pong gradients between layers */
    float *arena;
    backward_hooks_t hooks; /* for backward: progress per time step, ready per layer */
    float *trace;           /* [L, T, B] for the next backward (stack_set_trace), or NULL */
};

static int layer_input(const rnn_stack_t *s, int k) {
    return k == 0 ? s->cfg.input : s->D;
}

static void add_tensors(rnn_stack_t *s, param_table_t *tab, const char *prefix) {
    char name[PARAM_NAME_MAX];
    size_t G = (size_t)s->G, H = s->cfg.hidden;
    for (int k = 0; k < s->cfg.layers; k++)
        for (int d = 0; d < s->dirs; d++) {
            unit_t *u = &s->u[k * s->dirs + d];
            const char *sfx = d ? "_reverse" : "";
            snprintf(name, sizeof name, "%s.weight_ih_l%d%s", prefix, k, sfx);
            u->t_ih = params_add(tab, name, 2, G, (size_t)layer_input(s, k));
            snprintf(name, sizeof name, "%s.weight_hh_l%d%s", prefix, k, sfx);
            u->t_hh = params_add(tab, name, 2, G, H);
            snprintf(name, sizeof name, "%s.bias_ih_l%d%s", prefix, k, sfx);
            u->t_bih = params_add(tab, name, 1, G, 0);
            snprintf(name, sizeof name, "%s.bias_hh_l%d%s", prefix, k, sfx);
            u->t_bhh = params_add(tab, name, 1, G, 0);
        }
}

/* (Re)builds the arena for s->ncap rows of s->bcap streams; what it held is not kept. */
static void build_arena(rnn_stack_t *s) {
    size_t N = s->ncap, B = s->bcap, H = s->cfg.hidden, G = s->G, D = s->D;
    size_t In = s->cfg.input, W = In > D ? In : D, L = s->cfg.layers;
    int lstm = s->cfg.cell == CELL_LSTM;
    size_t per_unit = 2 * N * G + N * H + (N + B) * H * (lstm ? 2 : 1);
    size_t nres = s->cfg.residual && L > 1 ? L * N * D : 0; /* res[1..L-1] and dres */
    size_t total = L * s->dirs * per_unit + (s->dirs == 2 ? L * N * D : 0) +
                   (L > 1 ? 2 * (L - 1) * N * D : 0) + 2 * B * G + 2 * N * G + 4 * B * H +
                   2 * N * W + nres;
    free(s->arena);
    s->arena = drnn_calloc(total, sizeof(float));
    float *p = s->arena;
#define TAKE(n) (p += (n), p - (n))
    for (size_t i = 0; i < L * s->dirs; i++) {
        cell_acts_t *a = &s->u[i].acts;
        a->xproj = TAKE(N * G);
        a->gates = TAKE(N * G);
        a->aux = TAKE(N * H);
        a->hs = TAKE((N + B) * H);
        a->cs = lstm ? TAKE((N + B) * H) : NULL;
    }
    for (size_t k = 0; k < L; k++) {
        s->out[k] = s->dirs == 2 ? TAKE(N * D) : NULL;
        s->xdrop[k] = k > 0 ? TAKE(N * D) : NULL;
        s->mask[k] = k > 0 ? TAKE(N * D) : NULL;
        s->res[k] = k > 0 && nres ? TAKE(N * D) : NULL;
    }
    s->dres = nres ? TAKE(N * D) : NULL;
    s->tmp = TAKE(2 * B * G);
    s->scr.dxp = TAKE(N * G);
    s->scr.dhp = TAKE(N * G);
    s->scr.dh = TAKE(B * H);
    s->scr.dc = TAKE(B * H);
    s->scr.keep_h = TAKE(B * H);
    s->scr.keep_c = TAKE(B * H);
    s->dbuf[0] = TAKE(N * W);
    s->dbuf[1] = TAKE(N * W);
#undef TAKE
    DRNN_ASSERT((size_t)(p - s->arena) == total);
}

rnn_stack_t *stack_create(const stack_config_t *cfg, param_table_t *tab, const char *prefix,
                          int Tmax, int Bmax) {
    DRNN_ASSERT(cfg->cell >= CELL_RNN_TANH && cfg->cell <= CELL_LSTM);
    DRNN_ASSERT(cfg->input > 0 && cfg->hidden > 0 && cfg->layers > 0 && Tmax > 0 && Bmax > 0);
    rnn_stack_t *s = drnn_calloc(1, sizeof *s);
    s->cfg = *cfg;
    s->tab = tab;
    s->dirs = cfg->bidirectional ? 2 : 1;
    s->G = cell_gates(cfg->cell) * cfg->hidden;
    s->D = s->dirs * cfg->hidden;
    s->ncap = (size_t)Tmax * Bmax, s->bcap = (size_t)Bmax;
    s->u = drnn_calloc((size_t)cfg->layers * s->dirs, sizeof *s->u);
    s->out = drnn_calloc(cfg->layers, sizeof *s->out);
    s->xdrop = drnn_calloc(cfg->layers, sizeof *s->xdrop);
    s->mask = drnn_calloc(cfg->layers, sizeof *s->mask);
    s->res = drnn_calloc(cfg->layers, sizeof *s->res);
    add_tensors(s, tab, prefix);
    build_arena(s);
    return s;
}

void stack_free(rnn_stack_t *s) {
    if (!s) return;
    free(s->arena), free(s->u), free(s->out), free(s->xdrop), free(s->mask), free(s->res);
    free(s);
}

int stack_output_size(const rnn_stack_t *s) {
    return s->D;
}

int stack_state_size(const rnn_stack_t *s) {
    return s->cfg.layers * s->dirs * s->cfg.hidden * (s->cfg.cell == CELL_LSTM ? 2 : 1);
}

void stack_tensors(const rnn_stack_t *s, int k, int dir, int idx[4]) {
    const unit_t *u = &s->u[k * s->dirs + dir];
    idx[0] = u->t_ih, idx[1] = u->t_hh, idx[2] = u->t_bih, idx[3] = u->t_bhh;
}

#define P(i) (params + s->tab->t[(i)].offset)

static cell_weights_t weights_of(const rnn_stack_t *s, const unit_t *u, const float *params) {
    cell_weights_t w = {P(u->t_ih), P(u->t_hh), P(u->t_bih), P(u->t_bhh)};
    return w;
}

/* Inverted dropout on layer k's input: xdrop = x * mask, mask in {0, 1/(1-p)}. */
static const float *apply_dropout(rnn_stack_t *s, int k, const float *x, int T, int B,
                                  const dropout_ctx_t *drop) {
    const int D = s->D;
    const float keep = 1.0f / (1.0f - drop->p);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            size_t row = (size_t)t * B + b;
            uint64_t base = (((uint64_t)k << 20) + (uint64_t)t) * (uint64_t)D; /* T <= 2^16 */
            for (int j = 0; j < D; j++) {
                float u =
                    rng_uniform(drop->seed, RNG_DROPOUT, drop->step, drop->stream0 + b, base + j);
                float m = u < drop->p ? 0.0f : keep;
                s->mask[k][row * D + j] = m;
                s->xdrop[k][row * D + j] = x[row * D + j] * m;
            }
        }
    return s->xdrop[k];
}

const float *stack_forward(rnn_stack_t *s, const float *params, const float *x, const int *lens,
                           float *state, int T, int B, const dropout_ctx_t *drop) {
    DRNN_ASSERT(T > 0 && B > 0);
    if (drnn_cap_raise(&s->ncap, (size_t)T * B) | drnn_cap_raise(&s->bcap, (size_t)B))
        build_arena(s);
    for (int b = 0; lens && b < B; b++) DRNN_ASSERT(lens[b] >= 1 && lens[b] <= T);
    const int H = s->cfg.hidden, L = s->cfg.layers, lstm = s->cfg.cell == CELL_LSTM;
    const size_t BH = (size_t)B * H, nh = (size_t)L * s->dirs * BH;
    s->drop_on = drop && drop->p > 0.0f && L > 1;
    const float *in = x;
    for (int k = 0; k < L; k++) {
        const float *y_prev = in; /* layer k's undropped input: the residual's other term */
        if (k > 0 && s->drop_on) in = apply_dropout(s, k, in, T, B, drop);
        for (int d = 0; d < s->dirs; d++) {
            unit_t *u = &s->u[k * s->dirs + d];
            size_t si = (size_t)(k * s->dirs + d) * BH;
            memcpy(u->acts.hs, state + si, sizeof(float) * BH);
            if (lstm) memcpy(u->acts.cs, state + nh + si, sizeof(float) * BH);
            cell_weights_t w = weights_of(s, u, params);
            u->acts.lens = lens;
            cell_forward(s->cfg.cell, &u->acts, s->tmp, in, &w, T, B, layer_input(s, k), H, d);
            memcpy(state + si, u->acts.hs + (size_t)T * BH, sizeof(float) * BH);
            if (lstm) memcpy(state + nh + si, u->acts.cs + (size_t)T * BH, sizeof(float) * BH);
        }
        if (s->dirs == 1) {
            in = s->u[k].acts.hs + BH; /* slots 1..T are time rows 0..T-1 */
        } else {
            for (int t = 0; t < T; t++)
                for (int d = 0; d < 2; d++) {
                    const float *src = cell_output_at(&s->u[k * 2 + d].acts, t, T, B, H, d);
                    for (int b = 0; b < B; b++)
                        memcpy(s->out[k] + ((size_t)t * B + b) * s->D + (size_t)d * H,
                               src + (size_t)b * H, sizeof(float) * H);
                }
            in = s->out[k];
        }
        if (s->res[k]) { /* y_k = RNN_k(drop(y_{k-1})) + y_{k-1} */
            const size_t n = (size_t)T * B * s->D;
            for (size_t i = 0; i < n; i++) s->res[k][i] = in[i] + y_prev[i];
            in = s->res[k];
        }
    }
    return in;
}

void stack_set_hooks(rnn_stack_t *s, const backward_hooks_t *hooks) {
    if (hooks)
        s->hooks = *hooks;
    else
        memset(&s->hooks, 0, sizeof s->hooks);
}

/* Tells the hooks that layer k's tensors are final: all its directions, one contiguous range. */
static void layer_ready(const rnn_stack_t *s, int k) {
    if (!s->hooks.ready) return;
    size_t first = SIZE_MAX, end = 0, total = 0;
    for (int d = 0; d < s->dirs; d++) {
        int idx[4];
        stack_tensors(s, k, d, idx);
        for (int j = 0; j < 4; j++) {
            const param_tensor_t *t = &s->tab->t[idx[j]];
            first = t->offset < first ? t->offset : first;
            end = t->offset + t->size > end ? t->offset + t->size : end;
            total += t->size;
        }
    }
    DRNN_ASSERT(end - first == total);
    s->hooks.ready(s->hooks.ctx, first, total);
}

void stack_set_trace(rnn_stack_t *s, float *dnorm) {
    s->trace = dnorm;
}

void stack_report_ready(const rnn_stack_t *s) {
    for (int k = s->cfg.layers - 1; k >= 0; k--) layer_ready(s, k);
}

void stack_backward(rnn_stack_t *s, const float *params, float *grads, float *dy, float *dx,
                    const float *x, int T, int B, const float *dend, float *dstart) {
    const int H = s->cfg.hidden, L = s->cfg.layers, D = s->D, lstm = s->cfg.cell == CELL_LSTM;
    const size_t BH = (size_t)B * H, nh = (size_t)L * s->dirs * BH;
    float *cur = dy;
    for (int k = L - 1; k >= 0; k--) {
        const float *in = k == 0          ? x
                          : s->drop_on    ? s->xdrop[k]
                          : s->res[k - 1] ? s->res[k - 1]
                          : s->dirs == 1  ? s->u[k - 1].acts.hs + (size_t)B * H
                                          : s->out[k - 1];
        /* Residual: dL/dy_{k-1} gets dL/dy_k as it is; keep it, the cells may overwrite cur. */
        if (s->res[k]) memcpy(s->dres, cur, sizeof(float) * (size_t)T * B * D);
        float *dxk = k == 0 ? dx : (cur == s->dbuf[0] ? s->dbuf[1] : s->dbuf[0]);
        for (int d = 0; d < s->dirs; d++) {
            unit_t *u = &s->u[k * s->dirs + d];
            cell_weights_t w = weights_of(s, u, params);
            cell_grads_t g = {grads + s->tab->t[u->t_ih].offset, grads + s->tab->t[u->t_hh].offset,
                              grads + s->tab->t[u->t_bih].offset,
                              grads + s->tab->t[u->t_bhh].offset};
            size_t si = (size_t)(k * s->dirs + d) * BH;
            cell_ends_t ends = {dend ? dend + si : NULL, dend && lstm ? dend + nh + si : NULL,
                                dstart ? dstart + si : NULL,
                                dstart && lstm ? dstart + nh + si : NULL,
                                s->trace && d == 0 ? s->trace + (size_t)k * T * B : NULL};
            cell_backward(s->cfg.cell, dxk, d > 0, &g, &s->scr, cur + (size_t)d * H, D, &u->acts,
                          in, &w, T, B, layer_input(s, k), H, d, &ends, &s->hooks);
        }
        layer_ready(s, k);
        if (k > 0 && s->drop_on) {
            const float *m = s->mask[k];
            for (size_t i = 0; i < (size_t)T * B * D; i++) dxk[i] *= m[i];
        }
        if (s->res[k])
            for (size_t i = 0; i < (size_t)T * B * D; i++) dxk[i] += s->dres[i];
        cur = dxk;
    }
    s->trace = NULL;
}

#include "model/cells.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "model/kernels.h"
#include "base/util.h"
#include "model/vecmath.h"

static const char *const cell_names[] = {"rnn", "rnn_relu", "gru", "lstm"};

int cell_parse(const char *name) {
    for (int i = 0; i < 4; i++)
        if (strcmp(name, cell_names[i]) == 0) return i;
    return -1;
}

const char *cell_name(int cell) {
    return cell >= 0 && cell < 4 ? cell_names[cell] : "?";
}

int cell_gates(int cell) {
    return cell == CELL_GRU ? 3 : cell == CELL_LSTM ? 4 : 1;
}

static inline float sigmoidf(float x) {
    return 1.0f / (1.0f + expf(-x));
}

/* ---- fused gate math for one step of B rows -------------------------------------------------
 * xp: this time row's input projections, hp: the recurrent product (neither has a bias yet). */

DRNN_VEC_CLONES static void rnn_step(float *restrict ho, const float *restrict xp,
                                     const float *restrict hp, const float *restrict b_ih,
                                     const float *restrict b_hh, int B, int H, int relu) {
    for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++) {
            float v = xp[(size_t)b * H + j] + b_ih[j] + hp[(size_t)b * H + j] + b_hh[j];
            ho[(size_t)b * H + j] = relu ? (v > 0.0f ? v : 0.0f) : tanhf(v);
        }
}

DRNN_VEC_CLONES static void gru_step(float *restrict ho, float *restrict g, float *restrict hn,
                                     const float *restrict xp, const float *restrict hp,
                                     const float *restrict hprev, const float *restrict b_ih,
                                     const float *restrict b_hh, int B, int H) {
    const int G = 3 * H;
    for (int b = 0; b < B; b++) {
        const float *x = xp + (size_t)b * G, *h = hp + (size_t)b * G, *hb = hprev + (size_t)b * H;
        float *gg = g + (size_t)b * G, *hnb = hn + (size_t)b * H, *o = ho + (size_t)b * H;
        for (int j = 0; j < H; j++) {
            float r = sigmoidf(x[j] + b_ih[j] + h[j] + b_hh[j]);
            float z = sigmoidf(x[H + j] + b_ih[H + j] + h[H + j] + b_hh[H + j]);
            float hnj = h[2 * H + j] + b_hh[2 * H + j];
            float n = tanhf(x[2 * H + j] + b_ih[2 * H + j] + r * hnj);
            gg[j] = r, gg[H + j] = z, gg[2 * H + j] = n, hnb[j] = hnj;
            o[j] = (1.0f - z) * n + z * hb[j];
        }
    }
}

DRNN_VEC_CLONES static void lstm_step(float *restrict ho, float *restrict co, float *restrict g,
                                      float *restrict tc, const float *restrict xp,
                                      const float *restrict hp, const float *restrict cprev,
                                      const float *restrict b_ih, const float *restrict b_hh, int B,
                                      int H) {
    const int G = 4 * H;
    for (int b = 0; b < B; b++) {
        const float *x = xp + (size_t)b * G, *h = hp + (size_t)b * G, *cb = cprev + (size_t)b * H;
        float *gg = g + (size_t)b * G, *tcb = tc + (size_t)b * H;
        float *o = ho + (size_t)b * H, *c = co + (size_t)b * H;
        for (int j = 0; j < H; j++) {
            float i = sigmoidf(x[j] + b_ih[j] + h[j] + b_hh[j]);
            float f = sigmoidf(x[H + j] + b_ih[H + j] + h[H + j] + b_hh[H + j]);
            float gc = tanhf(x[2 * H + j] + b_ih[2 * H + j] + h[2 * H + j] + b_hh[2 * H + j]);
            float og = sigmoidf(x[3 * H + j] + b_ih[3 * H + j] + h[3 * H + j] + b_hh[3 * H + j]);
            float cn = f * cb[j] + i * gc;
            float t = tanhf(cn);
            gg[j] = i, gg[H + j] = f, gg[2 * H + j] = gc, gg[3 * H + j] = og;
            c[j] = cn, tcb[j] = t, o[j] = og * t;
        }
    }
}

/* Padded rows (t >= lens[b]) keep the state they had: pack_padded_sequence semantics. */
static void hold_padded(const cell_acts_t *a, int k, int t, int B, int H) {
    const size_t BH = (size_t)B * H;
    for (int b = 0; b < B; b++) {
        if (t < a->lens[b]) continue;
        size_t o = (size_t)b * H;
        memcpy(a->hs + (k + 1) * BH + o, a->hs + k * BH + o, sizeof(float) * H);
        if (a->cs) memcpy(a->cs + (k + 1) * BH + o, a->cs + k * BH + o, sizeof(float) * H);
    }
}

void cell_forward(int cell, cell_acts_t *a, float *tmp, const float *x, const cell_weights_t *w,
                  int T, int B, int In, int H, int reverse) {
    const int G = cell_gates(cell) * H;
    /* x W_ih^T for every step at once; both biases join in the gate math. */
    linear_forward(a->xproj, x, w->w_ih, NULL, T * B, G, In, 0);
    for (int k = 0; k < T; k++) {
        int t = reverse ? T - 1 - k : k;
        size_t row = (size_t)t * B;
        const float *hprev = a->hs + (size_t)k * B * H;
        float *hout = a->hs + (size_t)(k + 1) * B * H;
        const float *xp = a->xproj + row * G;
        /* [B, G] = [B, H] x [G, H]^T, computed as its transpose W_hh h^T ([G, B], in tmp's
         * second half) and turned back: in OpenBLAS's column-major view W_hh is then the
         * right-hand operand, which it packs more cheaply (93 against 79 GFLOP/s at G 1536,
         * B 32). */
        gemm(0, 1, G, B, H, 1.0f, w->w_hh, H, hprev, H, 0.0f, tmp + (size_t)B * G, B);
        transpose(tmp, tmp + (size_t)B * G, G, B);
        switch (cell) {
        case CELL_RNN_TANH:
        case CELL_RNN_RELU:
            rnn_step(hout, xp, tmp, w->b_ih, w->b_hh, B, H, cell == CELL_RNN_RELU);
            break;
        case CELL_GRU:
            gru_step(hout, a->gates + row * G, a->aux + row * H, xp, tmp, hprev, w->b_ih, w->b_hh,
                     B, H);
            break;
        case CELL_LSTM:
            lstm_step(hout, a->cs + (size_t)(k + 1) * B * H, a->gates + row * G, a->aux + row * H,
                      xp, tmp, a->cs + (size_t)k * B * H, w->b_ih, w->b_hh, B, H);
            break;
        default:
            DRNN_ASSERT(!"unknown cell");
        }
        if (a->lens) hold_padded(a, k, t, B, H);
    }
}

/* ---- backward, one step: from d = dL/dh' (carry + output gradient) to the pre-activation
 * gradients dxp (seen by W_ih) and dhp (seen by W_hh), and the direct part of dL/dh. ---------- */

/* rnn: da = d f'(a), with f' = 1 − h'² (tanh) or [h' > 0] (relu). */
DRNN_VEC_CLONES static void rnn_step_back(float *restrict dxp, float *restrict dhp,
                                          float *restrict dh, const float *restrict dy, int ldy,
                                          const float *restrict ho, int B, int H, int relu) {
    for (int b = 0; b < B; b++) {
        const float *dyb = dy + (size_t)b * ldy, *hb = ho + (size_t)b * H;
        float *dhb = dh + (size_t)b * H, *dx = dxp + (size_t)b * H, *dr = dhp + (size_t)b * H;
        /* one loop per activation: no branch inside, so each vectorizes */
        if (relu)
            for (int j = 0; j < H; j++) {
                float d = dhb[j] + dyb[j];
                dx[j] = dr[j] = hb[j] > 0.0f ? d : 0.0f;
            }
        else
            for (int j = 0; j < H; j++) dx[j] = dr[j] = (dhb[j] + dyb[j]) * (1.0f - hb[j] * hb[j]);
        for (int j = 0; j < H; j++) dhb[j] = 0.0f; /* everything reaches h through W_hh */
    }
}

/* gru, derived from the forward line by line (a_* are pre-activations):
 *   dn = d (1 − z)          dz = d (h_prev − n)         dh_prev(direct) = d z
 *   da_n = dn (1 − n²)      dr = da_n hn                d(hn) = da_n r
 *   da_r = dr r (1 − r)     da_z = dz z (1 − z)
 * W_ih sees (da_r, da_z, da_n); W_hh sees (da_r, da_z, da_n r). */
DRNN_VEC_CLONES static void gru_step_back(float *restrict dxp, float *restrict dhp,
                                          float *restrict dh, const float *restrict dy, int ldy,
                                          const float *restrict g, const float *restrict hn,
                                          const float *restrict hprev, int B, int H) {
    const int G = 3 * H;
    for (int b = 0; b < B; b++) {
        const float *gg = g + (size_t)b * G, *hnb = hn + (size_t)b * H;
        const float *hb = hprev + (size_t)b * H, *dyb = dy + (size_t)b * ldy;
        float *dhb = dh + (size_t)b * H, *dx = dxp + (size_t)b * G, *dr = dhp + (size_t)b * G;
        for (int j = 0; j < H; j++) {
            float r = gg[j], z = gg[H + j], n = gg[2 * H + j];
            float d = dhb[j] + dyb[j];
            float dn = d * (1.0f - z), dz = d * (hb[j] - n);
            float dan = dn * (1.0f - n * n);
            float dar = dan * hnb[j] * r * (1.0f - r);
            float daz = dz * z * (1.0f - z);
            dx[j] = dar, dx[H + j] = daz, dx[2 * H + j] = dan;
            dr[j] = dar, dr[H + j] = daz, dr[2 * H + j] = dan * r;
            dhb[j] = d * z;
        }
    }
}

/* lstm: with tc = tanh(c'),
 *   dc = dc_carry + d o (1 − tc²)     do = d tc     di = dc g     dg = dc i     df = dc c_prev
 *   dc_prev = dc f; pre-activations: σ' = s (1 − s), tanh' = 1 − g².
 * One row; every gate its own pointer: with offsets H apart in one array GCC cannot tell the
 * stores apart and leaves the loop scalar. */
static inline void lstm_row_back(float *restrict xi, float *restrict xf, float *restrict xg,
                                 float *restrict xo, float *restrict ri, float *restrict rf,
                                 float *restrict rg, float *restrict ro, float *restrict dhb,
                                 float *restrict dcb, const float *restrict dyb,
                                 const float *restrict gi, const float *restrict gf,
                                 const float *restrict gc, const float *restrict go,
                                 const float *restrict tcb, const float *restrict cb, int H) {
    for (int j = 0; j < H; j++) {
        float in = gi[j], f = gf[j], c = gc[j], o = go[j], t = tcb[j];
        float d = dhb[j] + dyb[j];
        float dcn = dcb[j] + d * o * (1.0f - t * t);
        float dai = dcn * c * in * (1.0f - in);
        float daf = dcn * cb[j] * f * (1.0f - f);
        float dag = dcn * in * (1.0f - c * c);
        float dao = d * t * o * (1.0f - o);
        xi[j] = dai, ri[j] = dai;
        xf[j] = daf, rf[j] = daf;
        xg[j] = dag, rg[j] = dag;
        xo[j] = dao, ro[j] = dao;
        dcb[j] = dcn * f;
        dhb[j] = 0.0f;
    }
}

DRNN_VEC_CLONES static void lstm_step_back(float *dxp, float *dhp, float *dh, float *dc,
                                           const float *dy, int ldy, const float *g,
                                           const float *tc, const float *cprev, int B, int H) {
    const size_t G = 4 * (size_t)H, h = (size_t)H;
    for (int b = 0; b < B; b++) {
        float *dx = dxp + b * G, *dr = dhp + b * G;
        const float *gg = g + b * G;
        lstm_row_back(dx, dx + h, dx + 2 * h, dx + 3 * h, dr, dr + h, dr + 2 * h, dr + 3 * h,
                      dh + b * h, dc + b * h, dy + (size_t)b * ldy, gg, gg + h, gg + 2 * h,
                      gg + 3 * h, tc + b * h, cprev + b * h, H);
    }
}

void cell_backward(int cell, float *dx, int dx_accumulate, const cell_grads_t *g,
                   const cell_scratch_t *s, const float *dy, int ldy, const cell_acts_t *a,
                   const float *x, const cell_weights_t *w, int T, int B, int In, int H,
                   int reverse, const cell_ends_t *ends, const backward_hooks_t *hooks) {
    const int G = cell_gates(cell) * H;
    const size_t BH = (size_t)B * H;
    if (ends && ends->end_h)
        memcpy(s->dh, ends->end_h, sizeof(float) * BH);
    else
        memset(s->dh, 0, sizeof(float) * BH);
    if (cell == CELL_LSTM) {
        if (ends && ends->end_c)
            memcpy(s->dc, ends->end_c, sizeof(float) * BH);
        else
            memset(s->dc, 0, sizeof(float) * BH);
    }
    for (int k = T - 1; k >= 0; k--) {
        int t = reverse ? T - 1 - k : k;
        size_t row = (size_t)t * B, slot = (size_t)k * B;
        float *dxp = s->dxp + row * G, *dhp = s->dhp + slot * G;
        const float *dyt = dy + row * ldy;
        if (ends && ends->dnorm)
            for (int b = 0; b < B; b++) {
                double sq = 0.0;
                for (int j = 0; j < H; j++) {
                    double v = (double)s->dh[(size_t)b * H + j] + dyt[(size_t)b * ldy + j];
                    sq += v * v;
                }
                ends->dnorm[row + b] = (float)sqrt(sq);
            }
        /* A padded step was the identity h' = h (and c' = c): its carry passes through whole. */
        if (a->lens)
            for (int b = 0; b < B; b++) {
                if (t < a->lens[b]) continue;
                float *kh = s->keep_h + (size_t)b * H;
                const float *dyb = dyt + (size_t)b * ldy, *dhb = s->dh + (size_t)b * H;
                for (int j = 0; j < H; j++) kh[j] = dhb[j] + dyb[j];
                if (cell == CELL_LSTM)
                    memcpy(s->keep_c + (size_t)b * H, s->dc + (size_t)b * H, sizeof(float) * H);
            }
        switch (cell) {
        case CELL_RNN_TANH:
        case CELL_RNN_RELU:
            rnn_step_back(dxp, dhp, s->dh, dyt, ldy, a->hs + slot * H + (size_t)B * H, B, H,
                          cell == CELL_RNN_RELU);
            break;
        case CELL_GRU:
            gru_step_back(dxp, dhp, s->dh, dyt, ldy, a->gates + row * G, a->aux + row * H,
                          a->hs + slot * H, B, H);
            break;
        case CELL_LSTM:
            lstm_step_back(dxp, dhp, s->dh, s->dc, dyt, ldy, a->gates + row * G, a->aux + row * H,
                           a->cs + slot * H, B, H);
            break;
        default:
            DRNN_ASSERT(!"unknown cell");
        }
        if (a->lens)
            for (int b = 0; b < B; b++) {
                if (t < a->lens[b]) continue;
                memset(dxp + (size_t)b * G, 0, sizeof(float) * G);
                memset(dhp + (size_t)b * G, 0, sizeof(float) * G);
                memcpy(s->dh + (size_t)b * H, s->keep_h + (size_t)b * H, sizeof(float) * H);
                if (cell == CELL_LSTM)
                    memcpy(s->dc + (size_t)b * H, s->keep_c + (size_t)b * H, sizeof(float) * H);
            }
        if (k > 0 || (ends && ends->start_h)) /* dh_{k-1} += dhp_k W_hh: [B, G] x [G, H] */
            linear_backward_input(s->dh, dhp, w->w_hh, B, G, H, 1);
        /* Lets the caller's reductions of finished gradients move while BPTT runs. */
        if (hooks && hooks->progress) hooks->progress(hooks->ctx);
    }
    if (ends && ends->start_h) memcpy(ends->start_h, s->dh, sizeof(float) * BH);
    if (ends && ends->start_c && cell == CELL_LSTM)
        memcpy(ends->start_c, s->dc, sizeof(float) * BH);
    /* Weight gradients for all T steps at once: dhp rows pair with hs slots 0..T-1 (the state
     * each step read), dxp rows with the time rows of x. */
    linear_backward_params(g->w_hh, g->b_hh, s->dhp, a->hs, T * B, G, H);
    linear_backward_params(g->w_ih, g->b_ih, s->dxp, x, T * B, G, In);
    if (dx) linear_backward_input(dx, s->dxp, w->w_ih, T * B, G, In, dx_accumulate);
}

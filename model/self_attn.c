#include "model/self_attn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "model/kernels.h"
#include "model/rng.h"

#define LN_EPS 1e-5 /* nn.LayerNorm's default */

/* Dropout indices (model/self_attn.h): bit 63 marks this block; bit 62 tells the output's masks
 * from the attention weights'. Attention: head << 40 | query << 20 | key (heads < 2^22,
 * positions < 2^20); output: position << 32 | unit. */
#define DROP_BLOCK (1ull << 63)
#define DROP_OUT   (1ull << 62)

struct self_attn {
    param_table_t *tab;
    int D, H, dh;
    size_t ncap, ttcap, bttcap; /* buffers for ncap rows (T*B), T*T and B*T*T entries at most */
    int i_win, i_bin, i_wout, i_bout, i_g, i_beta; /* six consecutive tensors of tab */
    int T, B, drop_on;                             /* of the last forward */
    const int *lens;                               /* [B] of the last forward */
    float p;
    uint64_t seed;
    uint32_t step, example0;
    backward_hooks_t hooks;
    float *y;           /* [N, D] the input, padded rows zeroed (N = T*B) */
    float *qkv;         /* [N, 3D] q | k | v per row */
    float *ctx;         /* [N, D] heads' contexts side by side, zero at padded rows */
    float *xhat;        /* [N, D] normalized y + dropout(out) */
    float *rstd;        /* [N] 1 / sqrt(var + eps) */
    float *z;           /* [N, D] out_proj's output, then the block's output */
    float *probs;       /* [B, H, T, T] softmax over the real keys, 0 outside [len, len] */
    float *avg;         /* [B, T, T] the weights used, averaged over heads */
    float *blk, *dblk;  /* [T, T] scratch: dropped weights; their gradient, then the scores' */
    uint8_t *keep_attn; /* [B, H, T, T] 1: kept (dropout on) */
    uint8_t *keep_out;  /* [N, D] 1: kept (dropout on), 0 at padded rows */
    float *dqkv;        /* [N, 3D] */
    float *dctx, *dout; /* [N, D] */
};

#define P(i) (params + a->tab->t[(i)].offset)
#define G(i) (grads + a->tab->t[(i)].offset)

/* (Re)allocates the buffers for a->ncap rows, a->ttcap = T*T and a->bttcap = B*T*T entries;
 * what they held is not kept. */
static void alloc_buffers(self_attn_t *a) {
    float **f[] = {&a->y, &a->ctx, &a->xhat, &a->z, &a->dctx, &a->dout};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) free(*f[i]);
    free(a->qkv), free(a->dqkv), free(a->rstd), free(a->probs), free(a->avg), free(a->blk);
    free(a->dblk), free(a->keep_attn), free(a->keep_out);
    const size_t N = a->ncap, D = (size_t)a->D, TT = a->ttcap, BTT = a->bttcap;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) *f[i] = drnn_calloc(N * D, sizeof(float));
    a->qkv = drnn_calloc(N * 3 * D, sizeof(float));
    a->dqkv = drnn_calloc(N * 3 * D, sizeof(float));
    a->rstd = drnn_calloc(N, sizeof(float));
    a->probs = drnn_calloc(BTT * a->H, sizeof(float));
    a->avg = drnn_calloc(BTT, sizeof(float));
    a->blk = drnn_calloc(TT, sizeof(float));
    a->dblk = drnn_calloc(TT, sizeof(float));
    a->keep_attn = drnn_calloc(BTT * a->H, 1);
    a->keep_out = drnn_calloc(N * D, 1);
}

self_attn_t *self_attn_create(int D, int heads, param_table_t *tab, int Tmax, int Bmax) {
    DRNN_ASSERT(D > 0 && heads > 0 && heads < (1 << 22) && D % heads == 0);
    DRNN_ASSERT(Tmax > 0 && Tmax <= (1 << 20) && Bmax > 0);
    self_attn_t *a = drnn_calloc(1, sizeof *a);
    a->tab = tab, a->D = D, a->H = heads, a->dh = D / heads;
    a->i_win = params_add(tab, "self_attn.in_proj_weight", 2, 3 * (size_t)D, D);
    a->i_bin = params_add(tab, "self_attn.in_proj_bias", 1, 3 * (size_t)D, 0);
    a->i_wout = params_add(tab, "self_attn.out_proj.weight", 2, D, D);
    a->i_bout = params_add(tab, "self_attn.out_proj.bias", 1, D, 0);
    a->i_g = params_add(tab, "self_attn_norm.weight", 1, D, 0);
    a->i_beta = params_add(tab, "self_attn_norm.bias", 1, D, 0);
    a->ncap = (size_t)Tmax * Bmax, a->ttcap = (size_t)Tmax * Tmax;
    a->bttcap = a->ttcap * (size_t)Bmax;
    alloc_buffers(a);
    return a;
}

void self_attn_free(self_attn_t *a) {
    if (!a) return;
    free(a->y), free(a->qkv), free(a->ctx), free(a->xhat), free(a->rstd), free(a->z);
    free(a->probs), free(a->avg), free(a->blk), free(a->dblk), free(a->keep_attn);
    free(a->keep_out), free(a->dqkv), free(a->dctx), free(a->dout);
    free(a);
}

int self_attn_first_tensor(const self_attn_t *a) {
    return a->i_win;
}

int self_attn_last_tensor(const self_attn_t *a) {
    return a->i_beta;
}

void self_attn_init_params(const self_attn_t *a, float *params, uint64_t seed) {
    const param_tensor_t *t = a->tab->t;
    const float xavier = sqrtf(6.0f / (float)(a->D + 3 * a->D)), lin = 1.0f / sqrtf((float)a->D);
    rng_fill_uniform(P(a->i_win), t[a->i_win].size, -xavier, xavier, seed, RNG_INIT,
                     (uint32_t)a->i_win, 0);
    rng_fill_uniform(P(a->i_wout), t[a->i_wout].size, -lin, lin, seed, RNG_INIT,
                     (uint32_t)a->i_wout, 0);
    memset(P(a->i_bin), 0, sizeof(float) * t[a->i_bin].size);
    memset(P(a->i_bout), 0, sizeof(float) * t[a->i_bout].size);
    for (int j = 0; j < a->D; j++) P(a->i_g)[j] = 1.0f, P(a->i_beta)[j] = 0.0f;
}

void self_attn_set_dropout(self_attn_t *a, float p, uint64_t seed, uint32_t step,
                           uint32_t example0) {
    DRNN_ASSERT(p >= 0.0f && p < 1.0f);
    a->p = p, a->seed = seed, a->step = step, a->example0 = example0;
}

void self_attn_set_hooks(self_attn_t *a, const backward_hooks_t *hooks) {
    if (hooks)
        a->hooks = *hooks;
    else
        memset(&a->hooks, 0, sizeof a->hooks);
}

const float *self_attn_weights(const self_attn_t *a) {
    return a->avg;
}

/* ---- attention, one row of the batch at a time ---- */

/* s: [len, ld] scores -> softmax over each row's first len entries. Subtracting the row's
 * maximum keeps every exp in (0, 1] with one term exactly 1, so nothing overflows and the sum is
 * >= 1; the sum of at most T terms is taken in double, which costs nothing at these lengths and
 * leaves float's rounding of the exps as the only error. The masked keys (t >= len) are left
 * out of the sum: the same as PyTorch's -inf score, whose exp is exactly 0. */
static void softmax_rows(float *s, int len, int ld) {
    for (int i = 0; i < len; i++) {
        float *r = s + (size_t)i * ld, mx = r[0];
        for (int j = 1; j < len; j++) mx = r[j] > mx ? r[j] : mx;
        double sum = 0.0;
        for (int j = 0; j < len; j++) sum += r[j] = expf(r[j] - mx);
        const float inv = (float)(1.0 / sum);
        for (int j = 0; j < len; j++) r[j] *= inv;
    }
}

/* ds: [len, ld] holds dL/dP, P: [len, ld] the softmax -> ds = dL/dS:
 * dS_ij = P_ij (dP_ij - sum_k dP_ik P_ik) (the Jacobian diag(p) - p p^T applied to dP). */
static void softmax_rows_backward(float *ds, const float *P, int len, int ld) {
    for (int i = 0; i < len; i++) {
        float *d = ds + (size_t)i * ld;
        const float *p = P + (size_t)i * ld;
        double dot = 0.0;
        for (int j = 0; j < len; j++) dot += (double)d[j] * p[j];
        for (int j = 0; j < len; j++) d[j] = p[j] * (d[j] - (float)dot);
    }
}

/* Draws the keep mask [len, ld] of row b, head h: inverted dropout keeps with 1 - p. */
static void draw_attn_mask(const self_attn_t *a, uint8_t *keep, int b, int h, int len, int ld) {
    for (int i = 0; i < len; i++)
        for (int j = 0; j < len; j++) {
            uint64_t idx = DROP_BLOCK | (uint64_t)h << 40 | (uint64_t)i << 20 | (uint64_t)j;
            float u = rng_uniform(a->seed, RNG_DROPOUT, a->step, a->example0 + (uint32_t)b, idx);
            keep[(size_t)i * ld + j] = u >= a->p;
        }
}

/* w = P * keep / (1 - p) over [len, ld]: the weights that multiply V. */
static const float *dropped(float *w, const float *P, const uint8_t *keep, float p, int len,
                            int ld) {
    const float inv = 1.0f / (1.0f - p);
    for (int i = 0; i < len; i++)
        for (int j = 0; j < len; j++) {
            size_t k = (size_t)i * ld + j;
            w[k] = keep[k] ? P[k] * inv : 0.0f;
        }
    return w;
}

/* Row b's heads. Its positions are every B-th row of the time-major buffers, so each head's
 * Q, K, V [len, dh] are strided views of qkv (leading dimension 3D*B) and its context a strided
 * view of ctx (leading dimension D*B): S = scale Q K^T, P = softmax(S) over the real keys,
 * ctx = dropout(P) V. Only the len real queries are computed; padded ones get a zero context. */
static void attend_row(self_attn_t *a, int b, int len) {
    const int T = a->T, B = a->B, D = a->D, dh = a->dh, H = a->H, ldq = 3 * D * B;
    const size_t TT = (size_t)T * T;
    const float scale = 1.0f / sqrtf((float)dh);
    float *avg = a->avg + (size_t)b * TT;
    memset(avg, 0, sizeof(float) * TT);
    for (int t = len; t < T; t++) memset(a->ctx + ((size_t)t * B + b) * D, 0, sizeof(float) * D);
    for (int h = 0; h < H; h++) {
        const float *q = a->qkv + (size_t)b * 3 * D + (size_t)h * dh, *k = q + D, *v = q + 2 * D;
        float *Pb = a->probs + ((size_t)b * H + h) * TT;
        memset(Pb, 0, sizeof(float) * TT);
        gemm(0, 1, len, len, dh, scale, q, ldq, k, ldq, 0.0f, Pb, T);
        softmax_rows(Pb, len, T);
        const float *w = Pb;
        if (a->drop_on) {
            uint8_t *keep = a->keep_attn + ((size_t)b * H + h) * TT;
            draw_attn_mask(a, keep, b, h, len, T);
            w = dropped(a->blk, Pb, keep, a->p, len, T);
        }
        gemm(0, 0, len, dh, len, 1.0f, w, T, v, ldq, 0.0f, a->ctx + (size_t)b * D + h * dh, D * B);
        for (int i = 0; i < len; i++)
            for (int j = 0; j < len; j++) avg[(size_t)i * T + j] += w[(size_t)i * T + j];
    }
    /* torch's mean over heads: the sum, then / H. */
    for (int i = 0; i < len; i++)
        for (int j = 0; j < len; j++) avg[(size_t)i * T + j] /= (float)H;
}

/* attend_row backward for row b: dctx -> dqkv (rows t < len; padded rows zeroed). */
static void attend_row_backward(self_attn_t *a, int b, int len) {
    const int T = a->T, B = a->B, D = a->D, dh = a->dh, H = a->H, ldq = 3 * D * B, ldc = D * B;
    const size_t TT = (size_t)T * T;
    const float scale = 1.0f / sqrtf((float)dh);
    for (int t = len; t < T; t++)
        memset(a->dqkv + ((size_t)t * B + b) * 3 * D, 0, sizeof(float) * 3 * D);
    for (int h = 0; h < H; h++) {
        const size_t off = (size_t)b * 3 * D + (size_t)h * dh;
        const float *q = a->qkv + off, *k = q + D, *v = q + 2 * D;
        float *dq = a->dqkv + off, *dk = dq + D, *dv = dq + 2 * D, *ds = a->dblk;
        const float *dc = a->dctx + (size_t)b * D + h * dh,
                    *Pb = a->probs + ((size_t)b * H + h) * TT;
        const uint8_t *keep = a->keep_attn + ((size_t)b * H + h) * TT;
        const float *w = a->drop_on ? dropped(a->blk, Pb, keep, a->p, len, T) : Pb;
        /* ctx = w V: dw = dctx V^T, dV = w^T dctx. */
        gemm(0, 1, len, len, dh, 1.0f, dc, ldc, v, ldq, 0.0f, ds, T);
        gemm(1, 0, len, dh, len, 1.0f, w, T, dc, ldc, 0.0f, dv, ldq);
        /* w = P * keep / (1 - p): dP = dw * keep / (1 - p), the same mask. */
        if (a->drop_on) dropped(ds, ds, keep, a->p, len, T);
        softmax_rows_backward(ds, Pb, len, T);
        /* S = scale Q K^T: dQ = scale dS K, dK = scale dS^T Q. */
        gemm(0, 0, len, dh, len, scale, ds, T, k, ldq, 0.0f, dq, ldq);
        gemm(1, 0, len, dh, len, scale, ds, T, q, ldq, 0.0f, dk, ldq);
    }
}

/* ---- residual, dropout and LayerNorm ---- */

/* keep_out [T*B, D]: 1 where the MHA output is kept, 0 where dropped and at padded rows. */
static void draw_out_mask(self_attn_t *a) {
    const int D = a->D;
    for (int t = 0; t < a->T; t++)
        for (int b = 0; b < a->B; b++) {
            uint8_t *keep = a->keep_out + ((size_t)t * a->B + b) * D;
            for (int j = 0; j < D; j++) {
                uint64_t idx = DROP_BLOCK | DROP_OUT | (uint64_t)t << 32 | (uint64_t)j;
                keep[j] = t < a->lens[b] && rng_uniform(a->seed, RNG_DROPOUT, a->step,
                                                        a->example0 + (uint32_t)b, idx) >= a->p;
            }
        }
}

/* z holds out_proj's output o [N, D] -> x = y + dropout(o); z = LayerNorm(x) = xhat * g + beta
 * with xhat = (x - mean) * rstd, rstd = 1 / sqrt(biased var + eps) (statistics in double). */
static void norm_forward(self_attn_t *a, const float *params, int N) {
    const int D = a->D;
    const float *g = P(a->i_g), *beta = P(a->i_beta), inv = 1.0f / (1.0f - a->p);
    for (int i = 0; i < N; i++) {
        float *x = a->xhat + (size_t)i * D, *z = a->z + (size_t)i * D;
        const float *y = a->y + (size_t)i * D;
        const uint8_t *keep = a->keep_out + (size_t)i * D;
        double mean = 0.0, var = 0.0;
        for (int j = 0; j < D; j++) {
            x[j] = y[j] + (a->drop_on ? (keep[j] ? z[j] * inv : 0.0f) : z[j]);
            mean += x[j];
        }
        mean /= D;
        for (int j = 0; j < D; j++) var += (x[j] - mean) * (x[j] - mean);
        const float rstd = (float)(1.0 / sqrt(var / D + LN_EPS)), mu = (float)mean;
        a->rstd[i] = rstd;
        for (int j = 0; j < D; j++) {
            x[j] = (x[j] - mu) * rstd;
            z[j] = x[j] * g[j] + beta[j];
        }
    }
}

/* norm_forward backward over the real rows: dg += dz xhat, dbeta += dz; with dxhat = dz g,
 * dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)); dy += dx (the residual);
 * dout = dx * keep / (1 - p) (dropout). Padded rows: dout = 0. */
static void norm_backward(self_attn_t *a, const float *params, float *grads, const float *dz,
                          float *dy) {
    const int D = a->D, B = a->B;
    const float *g = P(a->i_g), inv = 1.0f / (1.0f - a->p);
    float *dg = G(a->i_g), *dbeta = G(a->i_beta);
    for (int i = 0; i < a->T * B; i++) {
        float *dout = a->dout + (size_t)i * D;
        if (i / B >= a->lens[i % B]) {
            memset(dout, 0, sizeof(float) * D);
            continue;
        }
        const float *d = dz + (size_t)i * D, *xh = a->xhat + (size_t)i * D;
        const uint8_t *keep = a->keep_out + (size_t)i * D;
        double m1 = 0.0, m2 = 0.0;
        for (int j = 0; j < D; j++) {
            dg[j] += d[j] * xh[j], dbeta[j] += d[j];
            m1 += (double)d[j] * g[j], m2 += (double)d[j] * g[j] * xh[j];
        }
        const float mean1 = (float)(m1 / D), mean2 = (float)(m2 / D), rstd = a->rstd[i];
        for (int j = 0; j < D; j++) {
            float dx = rstd * (d[j] * g[j] - mean1 - xh[j] * mean2);
            dy[(size_t)i * D + j] += dx;
            dout[j] = a->drop_on ? (keep[j] ? dx * inv : 0.0f) : dx;
        }
    }
}

/* ---- the block ---- */

const float *self_attn_forward(self_attn_t *a, const float *params, const float *y, const int *lens,
                               int T, int B, int train) {
    DRNN_ASSERT(T > 0 && T <= (1 << 20) && B > 0);
    for (int b = 0; b < B; b++) DRNN_ASSERT(lens[b] >= 1 && lens[b] <= T);
    const size_t TT = (size_t)T * T;
    if (drnn_cap_raise(&a->ncap, (size_t)T * B) | drnn_cap_raise(&a->ttcap, TT) |
        drnn_cap_raise(&a->bttcap, TT * B))
        alloc_buffers(a);
    const int D = a->D, N = T * B;
    a->T = T, a->B = B, a->lens = lens, a->drop_on = train && a->p > 0.0f;
    /* A copy with padded rows zeroed: whatever the caller left there stays out. */
    for (int i = 0; i < N; i++) {
        float *row = a->y + (size_t)i * D;
        if (i / B < lens[i % B])
            memcpy(row, y + (size_t)i * D, sizeof(float) * D);
        else
            memset(row, 0, sizeof(float) * D);
    }
    /* [q | k | v] = y W_in^T + b_in over every row: one sgemm. */
    linear_forward(a->qkv, a->y, P(a->i_win), P(a->i_bin), N, 3 * D, D, 0);
    for (int b = 0; b < B; b++) attend_row(a, b, lens[b]);
    /* o = ctx W_out^T + b_out: one sgemm (into z, which norm_forward turns into the output). */
    linear_forward(a->z, a->ctx, P(a->i_wout), P(a->i_bout), N, D, D, 0);
    if (a->drop_on) draw_out_mask(a);
    norm_forward(a, params, N);
    return a->z;
}

void self_attn_backward(self_attn_t *a, const float *params, float *grads, float *dz, float *dy) {
    const int D = a->D, N = a->T * a->B;
    norm_backward(a, params, grads, dz, dy);
    /* o = ctx W_out^T + b_out: dW_out += dout^T ctx, db_out += sum dout, dctx = dout W_out. */
    linear_backward_params(G(a->i_wout), G(a->i_bout), a->dout, a->ctx, N, D, D);
    linear_backward_input(a->dctx, a->dout, P(a->i_wout), N, D, D, 0);
    for (int b = 0; b < a->B; b++) attend_row_backward(a, b, a->lens[b]);
    /* qkv = y W_in^T + b_in: dW_in += dqkv^T y, db_in += sum dqkv, dy += dqkv W_in. */
    linear_backward_params(G(a->i_win), G(a->i_bin), a->dqkv, a->y, N, 3 * D, D);
    linear_backward_input(dy, a->dqkv, P(a->i_win), N, 3 * D, D, 1);
    params_report_ready(a->tab, &a->hooks, a->i_win, a->i_beta);
}

#include "model/gru.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "model/kernels.h"

static inline float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

void gru_forward(gru_acts_t *a, float *tmp, const float *x, const float *w_ih, const float *w_hh,
                 const float *b_ih, const float *b_hh, int T, int B, int In, int H) {
    const int G = 3 * H;
    linear_forward(a->xproj, x, w_ih, b_ih, T * B, G, In, 0);
    for (int t = 0; t < T; t++) {
        const float *hprev = a->hs + (size_t)t * B * H;
        float *hout = a->hs + (size_t)(t + 1) * B * H;
        linear_forward(tmp, hprev, w_hh, NULL, B, G, H, 0); /* [B, H] x [3H, H]^T -> [B, 3H] */
        for (int b = 0; b < B; b++) {
            size_t row = (size_t)t * B + b;
            const float *xp = a->xproj + row * G, *hp = tmp + (size_t)b * G;
            float *g = a->gates + row * G, *hn = a->hn + row * H;
            const float *hb = hprev + (size_t)b * H;
            float *ho = hout + (size_t)b * H;
            for (int j = 0; j < H; j++) {
                float r = sigmoidf(xp[j] + hp[j] + b_hh[j]);
                float z = sigmoidf(xp[H + j] + hp[H + j] + b_hh[H + j]);
                float hnj = hp[2 * H + j] + b_hh[2 * H + j];
                float n = tanhf(xp[2 * H + j] + r * hnj);
                g[j] = r, g[H + j] = z, g[2 * H + j] = n, hn[j] = hnj;
                ho[j] = (1.0f - z) * n + z * hb[j];
            }
        }
    }
}

/* Backward of one step, derived from the forward line by line (a_* are pre-activations):
 *   dn = dh (1 − z)          dz = dh (h_prev − n)        dh_prev(direct) = dh z
 *   da_n = dn (1 − n²)       dr = da_n hn                d(hn) = da_n r
 *   da_r = dr r (1 − r)      da_z = dz z (1 − z)
 * The input projection sees (da_r, da_z, da_n); the recurrent one sees (da_r, da_z, da_n r). */
void gru_backward(float *dx, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
                  const gru_scratch_t *s, const float *dy, const gru_acts_t *a, const float *x,
                  const float *w_ih, const float *w_hh, int T, int B, int In, int H) {
    const int G = 3 * H;
    memset(s->dh, 0, sizeof(float) * (size_t)B * H);
    for (int t = T - 1; t >= 0; t--) {
        const float *hprev = a->hs + (size_t)t * B * H;
        for (int b = 0; b < B; b++) {
            size_t row = (size_t)t * B + b;
            const float *g = a->gates + row * G, *hn = a->hn + row * H;
            const float *hb = hprev + (size_t)b * H, *dyr = dy + row * H;
            float *dh = s->dh + (size_t)b * H;
            float *dxp = s->dxp + row * G, *dhp = s->dhp + row * G;
            for (int j = 0; j < H; j++) {
                float r = g[j], z = g[H + j], n = g[2 * H + j];
                float d = dh[j] + dyr[j];
                float dn = d * (1.0f - z), dz = d * (hb[j] - n);
                float dan = dn * (1.0f - n * n);
                float dar = dan * hn[j] * r * (1.0f - r);
                float daz = dz * z * (1.0f - z);
                dxp[j] = dar, dxp[H + j] = daz, dxp[2 * H + j] = dan;
                dhp[j] = dar, dhp[H + j] = daz, dhp[2 * H + j] = dan * r;
                dh[j] = d * z; /* direct path; the recurrent product is added below */
            }
        }
        if (t > 0) /* dh_{t-1} += dhp_t W_hh: [B, 3H] x [3H, H] */
            linear_backward_input(s->dh, s->dhp + (size_t)t * B * G, w_hh, B, G, H, 1);
    }
    /* Weight gradients for all T steps at once: one sgemm each. */
    linear_backward_params(dw_hh, db_hh, s->dhp, a->hs, T * B, G, H);
    linear_backward_params(dw_ih, db_ih, s->dxp, x, T * B, G, In);
    if (dx) linear_backward_input(dx, s->dxp, w_ih, T * B, G, In, 0);
}

#include "trainer/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"sgd", "adam", "adamw"};

int optim_parse(const char *name) {
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return -1;
}

const char *optim_name(int kind) {
    return kind >= 0 && kind < 3 ? names[kind] : "?";
}

int optim_init(optim_t *o, const optim_cfg_t *c, size_t P) {
    memset(o, 0, sizeof *o);
    o->c = *c, o->P = P;
    o->nstate = c->kind == OPTIM_SGD ? (c->momentum > 0 ? 1 : 0) : 2;
    for (int i = 0; i < o->nstate; i++)
        if (!(o->state[i] = calloc(P ? P : 1, sizeof(float)))) return -1;
    return 0;
}

void optim_free(optim_t *o) {
    for (int i = 0; i < OPTIM_MAX_STATE; i++) free(o->state[i]);
    memset(o, 0, sizeof *o);
}

const char *optim_state_name(const optim_t *o, int i) {
    if (o->c.kind == OPTIM_SGD) return "momentum";
    return i == 0 ? "exp_avg" : "exp_avg_sq";
}

/* torch.optim.SGD: g += wd p; v = M v + g (v = g on the first step), p -= lr v. One loop per
 * case, so each vectorizes (this file is built with -ftree-vectorize, CMakeLists.txt). */
static void sgd(optim_t *o, float *restrict p, const float *restrict g, float coef, float lr) {
    const float M = (float)o->c.momentum, wd = (float)o->c.weight_decay;
    float *restrict v = o->state[0];
    const size_t P = o->P;
    if (!v && wd == 0.0f) {
        for (size_t i = 0; i < P; i++) p[i] -= lr * (g[i] * coef);
    } else if (!v) {
        for (size_t i = 0; i < P; i++) p[i] -= lr * (g[i] * coef + wd * p[i]);
    } else if (!o->have_state) {
        for (size_t i = 0; i < P; i++) {
            v[i] = g[i] * coef + wd * p[i];
            p[i] -= lr * v[i];
        }
    } else {
        for (size_t i = 0; i < P; i++) {
            v[i] = M * v[i] + (g[i] * coef + wd * p[i]);
            p[i] -= lr * v[i];
        }
    }
}

/* torch.optim.Adam / AdamW, _single_tensor_adam of PyTorch 1.13 / 2.x:
 *   (AdamW) p *= 1 - lr wd;  (Adam) g += wd p
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g g
 *   p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps) */
static void adam(optim_t *o, float *restrict p, const float *restrict g, float coef, double lr) {
    const optim_cfg_t *c = &o->c;
    const long t = o->steps + 1;
    /* 1 - beta in double, as PyTorch's Python scalars: (float)(1 - 0.999) != 1 - (float)0.999. */
    const float b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
    const float a1 = (float)(1.0 - c->beta1), a2 = (float)(1.0 - c->beta2);
    const float wd = (float)c->weight_decay, decay = (float)(1.0 - lr * c->weight_decay);
    const float step_size = (float)(lr / (1.0 - pow(c->beta1, (double)t)));
    const float bc2_sqrt = (float)sqrt(1.0 - pow(c->beta2, (double)t));
    float *restrict m = o->state[0], *restrict v = o->state[1];
    for (size_t i = 0; i < o->P; i++) {
        float d = g[i] * coef;
        if (c->kind == OPTIM_ADAMW)
            p[i] *= decay;
        else if (wd != 0.0f)
            d += wd * p[i];
        m[i] = m[i] * b1 + a1 * d;
        v[i] = v[i] * b2 + a2 * d * d;
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] += -step_size * (m[i] / denom);
    }
}

void optim_step(optim_t *o, float *params, const float *grads, float coef, double lr) {
    if (o->c.kind == OPTIM_SGD)
        sgd(o, params, grads, coef, (float)lr);
    else
        adam(o, params, grads, coef, lr);
    o->steps++;
    o->have_state = o->nstate > 0;
}

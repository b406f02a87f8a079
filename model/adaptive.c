#include "model/adaptive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/kernels.h"
#include "base/util.h"

struct adaptive_ws {
    int Nmax, max_proj, max_size;
    float *head;     /* [Nmax, c1 + n] head logits, then probabilities, then their gradient */
    float *x;        /* [Nmax, H] rows of x gathered cluster by cluster; then their gradient */
    float *proj;     /* cluster i's [cnt_i, P_i] at row off[i] of [Nmax, max_proj] */
    float *out;      /* cluster i's [cnt_i, size_i] at row off[i] of [Nmax, max_size] */
    uint32_t *ghead; /* [Nmax] head target of each row: its id, or c1 + its cluster */
    uint32_t *rel;   /* [Nmax] target - cut[i] of each gathered row */
    int *rows;       /* [Nmax] the row of x each gathered row came from */
    int off[MODEL_MAX_CLUSTERS + 1], cnt[MODEL_MAX_CLUSTERS];
};

void adaptive_add_params(adaptive_t *a, param_table_t *tab, const model_desc_t *d) {
    DRNN_ASSERT(d->softmax == SOFTMAX_ADAPTIVE && d->ncutoffs >= 1 &&
                d->ncutoffs <= MODEL_MAX_CLUSTERS);
    memset(a, 0, sizeof *a);
    a->V = d->vocab, a->H = d->hidden, a->n = d->ncutoffs;
    for (int i = 0; i < a->n; i++) a->cut[i] = d->cutoffs[i];
    a->cut[a->n] = a->V;
    a->i_head = params_add(tab, "decoder.head.weight", 2, (size_t)a->cut[0] + a->n, a->H);
    a->o_head = tab->t[a->i_head].offset;
    for (int i = 0; i < a->n; i++) {
        char name[PARAM_NAME_MAX];
        a->proj[i] = model_adaptive_proj(a->H, d->div_value, i);
        DRNN_ASSERT(a->proj[i] >= 1 && a->cut[i] < a->cut[i + 1]);
        snprintf(name, sizeof name, "decoder.tail.%d.0.weight", i);
        int k = params_add(tab, name, 2, a->proj[i], a->H);
        a->o_tail[i][0] = tab->t[k].offset;
        snprintf(name, sizeof name, "decoder.tail.%d.1.weight", i);
        a->i_last = params_add(tab, name, 2, (size_t)(a->cut[i + 1] - a->cut[i]), a->proj[i]);
        a->o_tail[i][1] = tab->t[a->i_last].offset;
    }
}

adaptive_ws_t *adaptive_ws_create(const adaptive_t *a, int Nmax) {
    DRNN_ASSERT(Nmax > 0);
    adaptive_ws_t *w = drnn_calloc(1, sizeof *w);
    w->Nmax = Nmax;
    for (int i = 0; i < a->n; i++) {
        w->max_proj = a->proj[i] > w->max_proj ? a->proj[i] : w->max_proj;
        int size = a->cut[i + 1] - a->cut[i];
        w->max_size = size > w->max_size ? size : w->max_size;
    }
    size_t N = (size_t)Nmax;
    w->head = drnn_calloc(N * (size_t)(a->cut[0] + a->n), sizeof(float));
    w->x = drnn_calloc(N * a->H, sizeof(float));
    w->proj = drnn_calloc(N * w->max_proj, sizeof(float));
    w->out = drnn_calloc(N * w->max_size, sizeof(float));
    w->ghead = drnn_calloc(N, sizeof(uint32_t));
    w->rel = drnn_calloc(N, sizeof(uint32_t));
    w->rows = drnn_calloc(N, sizeof(int));
    return w;
}

void adaptive_ws_free(adaptive_ws_t *w) {
    if (!w) return;
    free(w->head), free(w->x), free(w->proj), free(w->out);
    free(w->ghead), free(w->rel), free(w->rows);
    free(w);
}

/* The tail cluster of id t, or -1 for the head's shortlist. */
static int cluster_of(const adaptive_t *a, uint32_t t) {
    for (int i = a->n - 1; i >= 0; i--)
        if (t >= (uint32_t)a->cut[i]) return i;
    return -1;
}

/* Head targets of every row; the rows of each cluster gathered in row order (a counting sort),
 * with their targets relative to the cluster's first id. */
static void route(const adaptive_t *a, adaptive_ws_t *w, const float *x, const uint32_t *targets,
                  int N) {
    const int c1 = a->cut[0], H = a->H;
    int next[MODEL_MAX_CLUSTERS];
    memset(w->cnt, 0, sizeof w->cnt);
    for (int r = 0; r < N; r++) {
        DRNN_ASSERT(targets[r] < (uint32_t)a->V);
        int i = cluster_of(a, targets[r]);
        w->ghead[r] = i < 0 ? targets[r] : (uint32_t)(c1 + i);
        if (i >= 0) w->cnt[i]++;
    }
    w->off[0] = 0;
    for (int i = 0; i < a->n; i++) w->off[i + 1] = w->off[i] + w->cnt[i];
    memcpy(next, w->off, sizeof(int) * (size_t)a->n);
    for (int r = 0; r < N; r++) {
        int i = cluster_of(a, targets[r]);
        if (i < 0) continue;
        int s = next[i]++;
        w->rows[s] = r;
        w->rel[s] = targets[r] - (uint32_t)a->cut[i];
        memcpy(w->x + (size_t)s * H, x + (size_t)r * H, sizeof(float) * H);
    }
}

/* Cluster i's blocks in the workspace: gathered rows, projections, logits. */
static float *blk_x(const adaptive_t *a, const adaptive_ws_t *w, int i) {
    return w->x + (size_t)w->off[i] * a->H;
}
static float *blk_proj(const adaptive_ws_t *w, int i) {
    return w->proj + (size_t)w->off[i] * w->max_proj;
}
static float *blk_out(const adaptive_ws_t *w, int i) {
    return w->out + (size_t)w->off[i] * w->max_size;
}

double adaptive_forward(const adaptive_t *a, adaptive_ws_t *w, const float *params, const float *x,
                        const uint32_t *targets, int N) {
    DRNN_ASSERT(N > 0 && N <= w->Nmax);
    const int H = a->H, Hd = a->cut[0] + a->n;
    route(a, w, x, targets, N);
    /* x [N, H] -> head [N, c1 + n]: one sgemm over every row; -log p of each row's head entry
     * (its id, or its cluster's logit). */
    linear_forward(w->head, x, params + a->o_head, NULL, N, Hd, H, 0);
    double loss = softmax_xent_forward(w->head, w->ghead, N, Hd);
    /* Each cluster over its own rows only: [n_i, H] -> [n_i, P_i] -> [n_i, size_i]. */
    for (int i = 0; i < a->n; i++) {
        const int ni = w->cnt[i], size = a->cut[i + 1] - a->cut[i], P = a->proj[i];
        if (ni == 0) continue;
        float *proj = blk_proj(w, i), *out = blk_out(w, i);
        linear_forward(proj, blk_x(a, w, i), params + a->o_tail[i][0], NULL, ni, P, H, 0);
        linear_forward(out, proj, params + a->o_tail[i][1], NULL, ni, size, P, 0);
        loss += softmax_xent_forward(out, w->rel + w->off[i], ni, size);
    }
    return loss;
}

void adaptive_backward(const adaptive_t *a, adaptive_ws_t *w, const float *params, float *grads,
                       const float *x, int N, float scale, float *dx) {
    DRNN_ASSERT(N > 0 && N <= w->Nmax);
    const int H = a->H, Hd = a->cut[0] + a->n;
    /* head: dlogits = scale (p - onehot); dW_head += dlogits^T x; dx = dlogits W_head */
    softmax_xent_backward(w->head, w->ghead, N, Hd, scale);
    linear_backward_params(grads + a->o_head, NULL, w->head, x, N, Hd, H);
    linear_backward_input(dx, w->head, params + a->o_head, N, Hd, H, 0);
    for (int i = 0; i < a->n; i++) {
        const int ni = w->cnt[i], size = a->cut[i + 1] - a->cut[i], P = a->proj[i];
        if (ni == 0) continue;
        float *xi = blk_x(a, w, i), *proj = blk_proj(w, i), *out = blk_out(w, i);
        /* dout = scale (q - onehot); dW1 += dout^T proj; dproj = dout W1 (over proj, read) */
        softmax_xent_backward(out, w->rel + w->off[i], ni, size, scale);
        linear_backward_params(grads + a->o_tail[i][1], NULL, out, proj, ni, size, P);
        linear_backward_input(proj, out, params + a->o_tail[i][1], ni, size, P, 0);
        /* dW0 += dproj^T x_i; dx_i = dproj W0 (over the gathered rows), added to their rows */
        linear_backward_params(grads + a->o_tail[i][0], NULL, proj, xi, ni, P, H);
        linear_backward_input(xi, proj, params + a->o_tail[i][0], ni, P, H, 0);
        for (int s = 0; s < ni; s++) {
            float *row = dx + (size_t)w->rows[w->off[i] + s] * H;
            const float *g = xi + (size_t)s * H;
            for (int j = 0; j < H; j++) row[j] += g[j];
        }
    }
}

void adaptive_log_prob(const adaptive_t *a, adaptive_ws_t *w, const float *params, const float *x,
                       int N, float *out) {
    DRNN_ASSERT(N > 0 && N <= w->Nmax);
    const int H = a->H, V = a->V, c1 = a->cut[0], Hd = c1 + a->n;
    linear_forward(w->head, x, params + a->o_head, NULL, N, Hd, H, 0);
    log_softmax_rows(w->head, N, Hd);
    for (int r = 0; r < N; r++)
        memcpy(out + (size_t)r * V, w->head + (size_t)r * Hd, sizeof(float) * c1);
    /* Every row through every cluster: its logits straight into out's columns [cut_i, cut_i+1),
     * then log_softmax within the cluster plus the head's log p of the cluster. */
    for (int i = 0; i < a->n; i++) {
        const int size = a->cut[i + 1] - a->cut[i], P = a->proj[i];
        linear_forward(w->proj, x, params + a->o_tail[i][0], NULL, N, P, H, 0);
        gemm(0, 1, N, size, P, 1.0f, w->proj, P, params + a->o_tail[i][1], P, 0.0f, out + a->cut[i],
             V);
        for (int r = 0; r < N; r++) {
            float *row = out + (size_t)r * V + a->cut[i];
            const float lp = w->head[(size_t)r * Hd + c1 + i];
            log_softmax_rows(row, 1, size);
            for (int j = 0; j < size; j++) row[j] += lp;
        }
    }
}

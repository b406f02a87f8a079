/* model/adaptive.h — the adaptive softmax output layer of the LM (DESIGN §3, §4): PyTorch's
 * nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs, div_value, head_bias=False), on a vocabulary
 * sorted by frequency (ids below c1 are the most frequent).
 *
 *   head:       [c1 + n] logits = W_head h       the c1 shortlist ids, then one per tail cluster
 *   cluster i:  [c_{i+1} - c_i] logits = W1_i (W0_i h),  W0_i: [P_i, H], W1_i: [size_i, P_i],
 *               P_i = int(H // div^(i+1)), c_{n+1} = V
 *   log p(t) = log_softmax(head)[t]                                   for t < c1
 *            = log_softmax(head)[c1 + i] + log_softmax(cluster i)[t - c_i]   for t in cluster i
 *
 * Training rows go through the head (one sgemm over all rows) and only through their own
 * target's cluster: the rows of each cluster are gathered into a contiguous block and each
 * cluster costs two sgemms over its rows alone. The workspace is sized for Nmax rows when it is
 * made; forward and backward allocate nothing. No files, no MPI.
 */
#ifndef DRNN_MODEL_ADAPTIVE_H
#define DRNN_MODEL_ADAPTIVE_H

#include <stdint.h>

#include "model/desc.h"
#include "model/params.h"

/* The layer's shape and where its tensors sit in the parameter table. */
typedef struct {
    int V, H, n; /* vocabulary, input width, tail clusters */
    int cut[MODEL_MAX_CLUSTERS +
            1];                   /* cut[0] = c1 ... cut[n] = V: cluster i is [cut[i], cut[i+1]) */
    int proj[MODEL_MAX_CLUSTERS]; /* P_i */
    /* Tensor indices and offsets: decoder.head.weight [c1 + n, H], decoder.tail.{i}.0.weight
     * [P_i, H], decoder.tail.{i}.1.weight [size_i, P_i]; contiguous, head first. */
    int i_head, i_last;
    size_t o_head, o_tail[MODEL_MAX_CLUSTERS][2];
} adaptive_t;

/* Workspace for up to Nmax rows (what forward keeps for backward). */
typedef struct adaptive_ws adaptive_ws_t;

/* Appends decoder.head.weight and every decoder.tail.{i}.{0,1}.weight to tab, in PyTorch's
 * state_dict order, and fills *a from d (an LM with SOFTMAX_ADAPTIVE, validated). */
void adaptive_add_params(adaptive_t *a, param_table_t *tab, const model_desc_t *d);
adaptive_ws_t *adaptive_ws_create(const adaptive_t *a, int Nmax);
void adaptive_ws_free(adaptive_ws_t *w);

/* x: [N, H], targets: [N] ids < V. Returns sum over rows of -log p(target) in double and keeps
 * what adaptive_backward needs (until the next forward on w). */
double adaptive_forward(const adaptive_t *a, adaptive_ws_t *w, const float *params, const float *x,
                        const uint32_t *targets, int N);

/* After adaptive_forward on the same x, N: accumulates scale * d(loss sum)/d weights into grads
 * and writes dx: [N, H] = scale * d(loss sum)/dx. Consumes what forward kept. */
void adaptive_backward(const adaptive_t *a, adaptive_ws_t *w, const float *params, float *grads,
                       const float *x, int N, float scale, float *dx);

/* x: [N, H] -> out: [N, V] = log p of every id (PyTorch's log_prob; each row's exp sums to 1). */
void adaptive_log_prob(const adaptive_t *a, adaptive_ws_t *w, const float *params, const float *x,
                       int N, float *out);

#endif

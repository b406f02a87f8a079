/* model/gradcheck.h — central finite differences against an analytic backward, per tensor.
 *
 * Used by `drnn-train --selftest` and tests/test_gradcheck.c. For each tensor of a parameter
 * table up to `samples` entries are perturbed by ±eps in the float buffer and the loss (double)
 * re-evaluated; the figure per tensor is
 *   max_i |analytic_i − numeric_i| / max(|analytic_i| + |numeric_i|, 1e-3)
 * which is near 1e-3 for a correct float32 backward and O(1) for a wrong one.
 *
 * A loss with kinks (rnn_relu: relu' jumps at 0) defeats central differences whenever a ±eps step
 * moves some pre-activation across 0, which at eps 1e-2 happens in most tensors. With `kinked`
 * set, a sample whose central differences at eps and eps/2 disagree (figure above
 * GRADCHECK_KINK; a smooth loss gives agreement to O(eps^2)) is skipped, not compared, and a
 * tensor with more than half its samples skipped gets figure 1, a failure. Skipping depends
 * only on the forward, so a wrong backward cannot hide behind it.
 */
#ifndef DRNN_MODEL_GRADCHECK_H
#define DRNN_MODEL_GRADCHECK_H

#include <stdint.h>

#include "model/lm.h"
#include "model/params.h"

#define GRADCHECK_KINK 1e-3

/* Per tensor: the figure and how many samples were skipped as kinked. */
typedef void (*gradcheck_report_fn)(const char *tensor, double rel_err, int skipped, void *ctx);

/* The loss at params, evaluated from scratch (carried-in state restored by the callee). */
typedef double (*gradcheck_loss_fn)(const float *params, void *loss_ctx);

typedef struct {
    uint64_t seed; /* picks the sampled entries */
    int samples;   /* entries per tensor, at most (all of a tensor this small or smaller) */
    float eps;     /* the ± step */
    int kinked;    /* 1: skip samples that straddle a kink (above) */
} gradcheck_opts_t;

/* Compares grads [tab->total] (the analytic gradient of loss at params) with central differences
 * of loss, tensor by tensor. params is perturbed and restored bit for bit. Returns the worst figure
 * over all tensors; calls report (if not NULL) per tensor. */
double gradcheck_params(const param_table_t *tab, float *params, const float *grads,
                        gradcheck_loss_fn loss, void *loss_ctx, const gradcheck_opts_t *opt,
                        gradcheck_report_fn report, void *ctx);

/* The LM of cfg from lm_init_params(seed) on one window of random tokens from a random carried-in
 * state (so the h_0 path is exercised), loss = mean cross-entropy. dropout > 0 sets
 * lm_set_dropout(dropout, seed, step 1, stream 0): the masks are the same at every evaluation, so
 * finite differences still apply. rnn_relu is checked as kinked. Returns as gradcheck_params. */
double lm_gradcheck(const model_desc_t *cfg, int T, int B, uint64_t seed, int samples, float eps,
                    float dropout, gradcheck_report_fn report, void *ctx);

/* The classifier of d from classifier_init_params(seed) on a batch of B random rows of mixed
 * lengths (one of T tokens, one of 1), loss = mean cross-entropy over the rows; dropout as
 * lm_gradcheck. rnn_relu and pool max are checked as kinked. Returns as gradcheck_params. */
double classifier_gradcheck(const model_desc_t *d, int T, int B, uint64_t seed, int samples,
                            float eps, float dropout, gradcheck_report_fn report, void *ctx);

/* The seq2seq model of d from seq2seq_init_params(seed) on B random pairs of mixed source and
 * target lengths (both extremes present), loss = cross-entropy sum / target tokens; dropout p
 * (masks fixed by seed and step 1, so finite differences apply). Returns as gradcheck_params. */
double seq2seq_gradcheck(const model_desc_t *d, int Ts, int Tt, int B, uint64_t seed, int samples,
                         float eps, float dropout, gradcheck_report_fn report, void *ctx);

#endif

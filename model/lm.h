/* model/lm.h — recurrent language model: embedding → L stacked recurrent layers → decoder →
 * softmax cross-entropy (DESIGN §3, §4). The decoder is one linear layer and a softmax over the
 * vocabulary, or the adaptive softmax (model/adaptive.h) when the description says so.
 *
 * Parameters are one flat buffer laid out by the model's param_table_t with PyTorch names
 * (embedding.weight, rnn.weight_ih_l{k}, …, decoder.weight, decoder.bias; adaptive:
 * decoder.head.weight, decoder.tail.{i}.{0,1}.weight instead of the last two). Activations for a
 * window of up to Tmax steps and Bmax streams live in one arena allocated by lm_create; nothing
 * is allocated by forward or backward. The model holds no globals and touches no files.
 */
#ifndef DRNN_MODEL_LM_H
#define DRNN_MODEL_LM_H

#include <stddef.h>
#include <stdint.h>

#include "model/desc.h"
#include "model/model.h"
#include "model/params.h"

typedef struct lm lm_t;

/* Builds the parameter table and the activation arena for windows up to Tmax x Bmax from a
 * description of this kind (model/desc.h; cell, vocab, embed, hidden, layers and the softmax
 * fields are used).
 * Dies (model_assert) on an invalid description or out of memory. Free with lm_free. */
lm_t *lm_create(const model_desc_t *d, int Tmax, int Bmax);
void lm_free(lm_t *m);
const param_table_t *lm_params(const lm_t *m);
const model_desc_t *lm_desc(const lm_t *m);
/* Floats of carried state per stream: layers * hidden, twice that for LSTM. State buffers hold
 * [L, B, H] hidden states, then for LSTM [L, B, H] cell states (PyTorch's h_0, c_0). */
int lm_state_size(const lm_t *m);

/* Dropout p between stacked layers for the following training forwards (forwards without
 * targets never drop); masks are keyed by (seed, step, global stream id stream0 + b). p = 0: off.
 */
void lm_set_dropout(lm_t *m, float p, uint64_t seed, uint32_t step, uint32_t stream0);

/* PyTorch-default initialization from Philox keyed by seed: embedding N(0, 1), recurrent and
 * decoder tensors U(-1/sqrt(H), 1/sqrt(H)); adaptive softmax weights U(±1/sqrt(fan_in)).
 * params: [total]. */
void lm_init_params(const lm_t *m, float *params, uint64_t seed);

/* inputs, targets: [T*B] time-major token ids (targets may be NULL: no loss, raw logits kept).
 * state: [L, B, H] carried-in hidden state, overwritten with the state after step T.
 * Returns the sum over T*B positions of the cross-entropy in nats (double); 0 without targets. */
double lm_forward(lm_t *m, const float *params, const uint32_t *inputs, const uint32_t *targets,
                  float *state, int T, int B);

/* Callbacks for the following lm_backward calls (see backward_hooks_t in model/params.h; all may
 * be NULL): ready(ctx, offset, count) for the decoder's tensors right after the decoder,
 * for each recurrent layer's tensors as it finishes (top layer first), for embedding.weight last
 * — decreasing offsets; progress(ctx) once per BPTT time step. Numerics do not change. */
void lm_set_backward_hooks(lm_t *m, void (*ready)(void *ctx, size_t offset, size_t count),
                           void (*progress)(void *ctx), void *ctx);

/* After lm_forward with targets on the same T, B: accumulates scale * d(loss sum)/d params into
 * grads [total]. */
void lm_backward(lm_t *m, const float *params, float *grads, const uint32_t *inputs,
                 const uint32_t *targets, int T, int B, float scale);

/* The lecture's quantity, after lm_forward with targets and BEFORE lm_backward (which overwrites
 * what it needs): one extra backward of J = the cross-entropy of the window's last position
 * alone (each stream's own), giving dnorm [L, T, B] = ||dJ/dh_t|| of every layer's output at
 * every position t (t = T-1 is h_T, the state that predicts the last target). The training
 * gradients and the backward hooks are untouched: scratch [total params] receives this pass's
 * weight gradients. */
void lm_trace_bptt(lm_t *m, const float *params, const uint32_t *targets, int T, int B,
                   float *scratch, float *dnorm);

/* [T*B, V] rows of the last forward: softmax probabilities, or raw logits when targets was NULL.
 * Adaptive softmax: after a forward without targets, log-probabilities of every id (PyTorch's
 * log_prob; softmax of them is the model's distribution); nothing useful after one with. */
const float *lm_logits(const lm_t *m);

/* The model layer's row of this kind (model/model.h), named in kinds/kinds.c. */
extern const model_ops_t lm_model_ops;

#endif

/* model/classifier.h — sentence classifier (DESIGN §3, §4): embedding → (stacked, optionally
 * bidirectional) recurrent encoder over padded rows with per-row lengths → sentence vector
 * (pool last|mean|max) → classifier linear → softmax cross-entropy over C classes.
 *
 * Padding follows torch.nn.utils.rnn.pack_padded_sequence: positions t >= lens[b] change no state
 * and get no gradient; the reverse direction starts at each row's own last token. Pool "last":
 * the forward direction's state after row b's last token, concatenated (bidirectional) with the
 * reverse direction's state after position 0 — PyTorch's h_n of the top layer. "mean"/"max":
 * element-wise mean or max of the top layer's (concatenated) outputs over the row's real
 * positions.
 *
 * Parameters (one flat buffer, this order): embedding.weight [V,E], encoder.* (rnn_stack names),
 * classifier.weight [C,D], classifier.bias [C], D = H or 2H. Activations live in arenas made by
 * classifier_create for Tmax x Bmax; a forward of a larger batch (more padded positions T*B, or
 * more rows) grows them to it, and the largest seen is kept: memory follows the largest batch
 * actually given, not a bound fixed in advance. Otherwise forward and backward allocate nothing.
 */
#ifndef DRNN_MODEL_CLASSIFIER_H
#define DRNN_MODEL_CLASSIFIER_H

#include <stdint.h>

#include "model/desc.h"
#include "model/model.h"
#include "model/params.h"

typedef struct classifier classifier_t;

/* d validated by model_validate(&classifier_model_ops, ...). Dies on out of memory. */
classifier_t *classifier_create(const model_desc_t *d, int Tmax, int Bmax);
void classifier_free(classifier_t *m);
const param_table_t *classifier_params(const classifier_t *m);

/* PyTorch defaults from Philox keyed by seed: embedding N(0,1), encoder U(±1/sqrt(H)),
 * classifier as nn.Linear(D, C): U(±1/sqrt(D)) for weight and bias. params: [total]. */
void classifier_init_params(const classifier_t *m, float *params, uint64_t seed);

/* Dropout p between stacked encoder layers for the following training forwards; masks keyed by
 * (seed, step, global example slot example0 + b). p = 0: off. */
void classifier_set_dropout(classifier_t *m, float p, uint64_t seed, uint32_t step,
                            uint32_t example0);

/* Backward hooks as model/params.h: classifier.* first, then encoder layers top down, then the
 * embedding. */
void classifier_set_backward_hooks(classifier_t *m, const backward_hooks_t *hooks);

/* tokens: [T*B] time-major ids (entries at t >= lens[b] are ignored; any id < V); lens: [B], each
 * in [1, T]; labels: [B] class ids, or NULL (no loss; probabilities still computed).
 * Returns the sum over the B rows of the cross-entropy in nats (double); dropout only when
 * labels != NULL. */
double classifier_forward(classifier_t *m, const float *params, const uint32_t *tokens,
                          const int *lens, const uint32_t *labels, int T, int B);

/* After classifier_forward with labels on the same batch: accumulates scale * d(loss sum)/d params
 * into grads [total]. */
void classifier_backward(classifier_t *m, const float *params, float *grads, float scale);

/* [B, C] class probabilities of the last forward (valid until the next forward; a backward
 * overwrites them). */
const float *classifier_probs(const classifier_t *m);
/* The most probable class of row b of the last forward (the first of equal ones). */
int classifier_predict(const classifier_t *m, int b);

/* [B, T, T] self-attention weights of the last forward averaged over heads, or NULL without
 * the block (model/seq_encoder.h). */
const float *classifier_attention(const classifier_t *m);

/* The model layer's row of this kind (model/model.h), named in kinds/kinds.c. */
extern const model_ops_t classifier_model_ops;

#endif

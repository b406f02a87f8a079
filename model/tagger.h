/* model/tagger.h — sequence tagger (DESIGN §3, §4): embedding → (stacked, optionally
 * bidirectional) recurrent encoder over padded rows (model/seq_encoder.h) → tagger linear at
 * every position → softmax cross-entropy over C tags, summed over the real (non-padding)
 * positions. Padding follows pack_padded_sequence: it changes no state, no loss, no gradient.
 *
 * Parameters (one flat buffer, this order): embedding.weight [V,E], encoder.* (rnn_stack
 * names), tagger.weight [C,D], tagger.bias [C], D = H or 2H — the state_dict of
 * nn.Embedding + nn.GRU/LSTM/RNN(batch_first=False) + nn.Linear(D, C) named so. The output
 * layer is one sgemm over all T·B positions. Activations live in arenas made by tagger_create
 * for Tmax x Bmax; a forward of a larger batch grows them to it (the largest seen is kept), else
 * forward and backward allocate nothing.
 */
#ifndef DRNN_MODEL_TAGGER_H
#define DRNN_MODEL_TAGGER_H

#include <stdint.h>

#include "model/desc.h"
#include "model/model.h"
#include "model/params.h"

typedef struct tagger tagger_t;

/* d validated by model_validate(&tagger_model_ops, ...). Dies on out of memory. */
tagger_t *tagger_create(const model_desc_t *d, int Tmax, int Bmax);
void tagger_free(tagger_t *m);
const param_table_t *tagger_params(const tagger_t *m);

/* PyTorch defaults from Philox keyed by seed: the encoder's (model/seq_encoder.h), tagger as
 * nn.Linear(D, C): U(±1/sqrt(D)) for weight and bias. params: [total]. */
void tagger_init_params(const tagger_t *m, float *params, uint64_t seed);

/* Dropout p between stacked encoder layers for the following training forwards; masks keyed by
 * (seed, step, global example slot example0 + b). p = 0: off. */
void tagger_set_dropout(tagger_t *m, float p, uint64_t seed, uint32_t step, uint32_t example0);

/* Backward hooks as model/params.h: tagger.* first, then encoder layers top down, then the
 * embedding. */
void tagger_set_backward_hooks(tagger_t *m, const backward_hooks_t *hooks);

/* tokens, tags: [T*B] time-major ids (entries at t >= lens[b] are ignored; tokens < V, tags
 * < C); lens: [B], each in [1, T]; tags NULL: no loss (probabilities only, no dropout).
 * Returns the sum over the real positions of the cross-entropy in nats (double). */
double tagger_forward(tagger_t *m, const float *params, const uint32_t *tokens, const int *lens,
                      const uint32_t *tags, int T, int B);

/* After tagger_forward with tags on the same batch: accumulates scale * d(loss sum)/d params
 * into grads [total]. */
void tagger_backward(tagger_t *m, const float *params, float *grads, float scale);

/* [T*B, C] tag probabilities of the last forward, time-major (valid until the next forward; a
 * backward overwrites them). */
const float *tagger_probs(const tagger_t *m);
/* The most probable tag at position t of row b of the last forward (the first of equal
 * ones); t < lens[b]. */
int tagger_predict(const tagger_t *m, int t, int b);

/* [B, T, T] self-attention weights of the last forward averaged over heads, or NULL without
 * the block (model/seq_encoder.h). */
const float *tagger_attention(const tagger_t *m);

/* The model layer's row of this kind (model/model.h), named in kinds/kinds.c. */
extern const model_ops_t tagger_model_ops;

#endif

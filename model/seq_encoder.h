/* model/seq_encoder.h — the embedding and the stacked, optionally bidirectional recurrent
 * encoder over padded rows with per-row lengths that the classifier and the tagger share
 * (DESIGN §3): tokens [T*B] -> embedding rows -> rnn_stack (residual connections with
 * d->residual) -> [the self-attention block of model/self_attn.h with d->self_attention heads]
 * -> top outputs [T*B, D].
 *
 * Padding follows torch.nn.utils.rnn.pack_padded_sequence: positions t >= lens[b] change no
 * state and get no gradient; the reverse direction starts at each row's own last token.
 * Parameters, added to the caller's table in this order: embedding.weight [V,E], then
 * encoder.* (model/rnn_stack.h names), then self_attn.* and self_attn_norm.* when present.
 * Activations in buffers made for Tmax x Bmax at create; a forward of a larger batch (more rows
 * T*B, or more of them) grows them to it, the largest seen kept; else forward and backward allocate
 * nothing. No files, no MPI.
 */
#ifndef DRNN_MODEL_SEQ_ENCODER_H
#define DRNN_MODEL_SEQ_ENCODER_H

#include <stdint.h>

#include "model/desc.h"
#include "model/params.h"

typedef struct seq_encoder seq_encoder_t;

/* Adds the encoder's tensors to tab (which must outlive it) for d's vocab, embed, hidden,
 * layers, bidirectional and cell. Dies on out of memory. */
seq_encoder_t *seq_encoder_create(const model_desc_t *d, param_table_t *tab, int Tmax, int Bmax);
void seq_encoder_free(seq_encoder_t *e);
/* Output width D = H or 2H. */
int seq_encoder_width(const seq_encoder_t *e);
/* Index in the table of the encoder's last tensor (the embedding is its first; the
 * self-attention block's, when present, are its last). */
int seq_encoder_last_tensor(const seq_encoder_t *e);

/* PyTorch defaults from Philox keyed by (seed, tensor index): embedding N(0,1), recurrent
 * weights and biases U(±1/sqrt(H)), the self-attention block's as model/self_attn.h. */
void seq_encoder_init_params(const seq_encoder_t *e, float *params, uint64_t seed);

/* Dropout p between stacked layers for the following training forwards; masks keyed by
 * (seed, step, global example slot example0 + b). p = 0: off. */
void seq_encoder_set_dropout(seq_encoder_t *e, float p, uint64_t seed, uint32_t step,
                             uint32_t example0);
/* Backward hooks (model/params.h), copied: encoder layers top down, then the embedding. */
void seq_encoder_set_hooks(seq_encoder_t *e, const backward_hooks_t *hooks);

/* tokens: [T*B] time-major (entries at t >= lens[b] ignored); lens: [B] in [1, T], valid until
 * the matching backward; train: 1 applies dropout. Returns the top outputs [T*B, D], valid
 * until the next forward; rows at padded positions must not be used. With final (may be
 * NULL): [L*dirs, B, H] (x2 for LSTM) states after each row's last token, as PyTorch's h_n. */
const float *seq_encoder_forward(seq_encoder_t *e, const float *params, const uint32_t *tokens,
                                 const int *lens, int T, int B, int train);
/* [B, T, T] self-attention weights of the last forward averaged over heads, or NULL without
 * the block. */
const float *seq_encoder_attention(const seq_encoder_t *e);

/* The final states of the last forward: [L*dirs, B, H] hidden states, as model/rnn_stack.h. */
const float *seq_encoder_final(const seq_encoder_t *e);

/* dtop: [T*B, D] gradient of the top outputs of the last forward (overwritten; must be zero at
 * padded positions). Accumulates into grads: encoder, then embedding (reported ready in that
 * order). */
void seq_encoder_backward(seq_encoder_t *e, const float *params, float *grads, float *dtop);

#endif

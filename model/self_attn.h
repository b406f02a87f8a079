/* model/self_attn.h — the self-attention block over padded rows with per-row lengths:
 *
 *   z = LayerNorm(y + Dropout(MHA(y, y, y)))
 *
 * exactly PyTorch's nn.MultiheadAttention(D, heads, dropout=p) (batch_first=False, called with
 * key_padding_mask = (t >= lens[b]) and need_weights) followed by nn.LayerNorm(D) (eps 1e-5).
 * Parameters, added to the caller's table in this order under the state_dict names:
 *   self_attn.in_proj_weight [3D,D], self_attn.in_proj_bias [3D], self_attn.out_proj.weight
 *   [D,D], self_attn.out_proj.bias [D], self_attn_norm.weight [D], self_attn_norm.bias [D].
 * The in- and out-projections are one sgemm each over all T·B rows; scores and contexts are one
 * strided sgemm per (row, head). Activations live in buffers made at create for Tmax x Bmax;
 * a forward of a larger batch grows them to it (the largest seen is kept), else forward and
 * backward allocate nothing. No files, no MPI.
 *
 * Padding: a query at a real position attends over the real keys of its row only; padded
 * positions contribute nothing and get no gradient, whatever y holds there (the block reads a
 * copy of y with those rows zeroed, so even NaN there stays out).
 */
#ifndef DRNN_MODEL_SELF_ATTN_H
#define DRNN_MODEL_SELF_ATTN_H

#include <stdint.h>

#include "model/params.h"

typedef struct self_attn self_attn_t;

/* D % heads == 0 (caller checked). Adds the six tensors to tab (which outlives it); buffers
 * for Tmax x Bmax to start with (T <= 2^20 always); dies on OOM. */
self_attn_t *self_attn_create(int D, int heads, param_table_t *tab, int Tmax, int Bmax);
void self_attn_free(self_attn_t *a);
int self_attn_first_tensor(const self_attn_t *a); /* index in tab of in_proj_weight */
int self_attn_last_tensor(const self_attn_t *a);  /* index of self_attn_norm.bias */

/* PyTorch's init from Philox (keyed by (seed, RNG_INIT, tensor index)): in_proj_weight
 * xavier_uniform (U(±sqrt(6/(D+3D)))), in_proj_bias 0, out_proj.weight U(±1/sqrt(D))
 * (nn.Linear's), out_proj.bias 0, norm weight 1, bias 0. params: [tab->total]. */
void self_attn_init_params(const self_attn_t *a, float *params, uint64_t seed);

/* Dropout p in [0, 1) for following training forwards (p = 0: off) on the attention weights and
 * on the MHA output, masks from Philox keyed by (seed, RNG_DROPOUT, step, example0 + b, index)
 * with bit 63 of index set (model/rnn_stack.c's indices stay below 2^58), so the two never
 * share a value; the masks depend on the example and position, not on T, B or the rank count. */
void self_attn_set_dropout(self_attn_t *a, float p, uint64_t seed, uint32_t step,
                           uint32_t example0);

/* Backward hooks (model/params.h), copied (NULL: off): the six tensors are reported ready as
 * one contiguous range at the end of each backward, when their gradients are final. */
void self_attn_set_hooks(self_attn_t *a, const backward_hooks_t *hooks);

/* y: [T*B, D] time-major (row t*B+b); lens: [B] in [1, T] (valid until backward); train: 1
 * applies dropout. Returns z [T*B, D] valid until the next forward; rows at padded positions
 * hold finite values that must not be used. Queries at real positions attend over the real keys
 * of their row only. */
const float *self_attn_forward(self_attn_t *a, const float *params, const float *y, const int *lens,
                               int T, int B, int train);

/* [B, T, T] attention weights of the last forward averaged over heads (PyTorch's
 * average_attn_weights=True; after dropout in a training forward with p > 0, as PyTorch returns
 * them), row b's block [lens[b], lens[b]] meaningful (the rest is 0). Valid until the next
 * forward. */
const float *self_attn_weights(const self_attn_t *a);

/* dz: [T*B, D] gradient of z (zero at padded rows, which are not read; may be overwritten).
 * Accumulates (+=) the six tensors' gradients into grads [tab->total] and (+=) the gradient with
 * respect to y into dy [T*B, D] (the residual path included; nothing at padded rows). After
 * self_attn_forward; y itself need not stay valid. */
void self_attn_backward(self_attn_t *a, const float *params, float *grads, float *dz, float *dy);

#endif

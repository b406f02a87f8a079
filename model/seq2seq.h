/* model/seq2seq.h — sequence-to-sequence with Luong attention (DESIGN §3, §4), trained with
 * teacher forcing on padded batches, decoded greedily or by beam search (model/search.h).
 *
 * With D = H (unidirectional encoder) or 2H (bidirectional), L = --layers:
 *
 *   encoder   src_embedding (Vs x E) -> L stacked --cell layers ("encoder.*", as torch.nn.GRU /
 *             LSTM / RNN with bidirectional), pack_padded_sequence semantics over each row's
 *             source length; outputs h_i [D] at the real positions i < src_len.
 *   bridge    decoder layer k starts from s0_k = tanh(bridge.weight · hbar_k + bridge.bias), with
 *             hbar_k = encoder layer k's final hidden state (h_n[k] of a packed sequence,
 *             [h_n[2k]; h_n[2k+1]] when bidirectional; for LSTM the hidden state, not the cell).
 *             The encoder and the decoder have the same number of layers.
 *   decoder   tgt_embedding (Vt x E) -> L stacked GRU layers ("decoder.*", whatever --cell the
 *             encoder has), inputs <bos> y_1 … y_m, no packing (positions after a row's end are
 *             computed and never used); top-layer state s_t [H].
 *   attention e_ti = s_t · (attn.weight h_i) ("general", attn.weight [H, D]) or s_t · h_i ("dot",
 *             D = H, no tensor); alpha_t = softmax over i < src_len of e_ti (0 at padding);
 *             a_t = sum_i alpha_ti h_i.
 *   combine   htilde_t = tanh(attn_combine.weight · [a_t; s_t]), attn_combine.weight [H, D + H],
 *             no bias; context first, then the decoder state.
 *   generator logits_t = generator.weight · htilde_t + generator.bias, [Vt].
 *   loss      sum over real target positions (t < tgt_len) of the cross-entropy of y_t (targets
 *             y_1 … y_m <eos>), in nats, accumulated in double; the caller normalizes (backward's
 *             scale).
 *   dropout   p between stacked layers of the encoder and of the decoder (as torch.nn.GRU's
 *             dropout), and on htilde before the generator; training forwards only; masks from
 *             Philox keyed by (seed, step, global example id, …), independent of the rank count.
 *
 * Parameters, one flat buffer in this order (PyTorch state_dict keys): src_embedding.weight
 * [Vs, E], tgt_embedding.weight [Vt, E], encoder.* , decoder.*, bridge.weight [H, D],
 * bridge.bias [H], attn.weight [H, D] (general only), attn_combine.weight [H, D + H],
 * generator.weight [Vt, H], generator.bias [Vt].
 *
 * Rows are time-major: position (t, b) is row t*B + b, as for the other models. Activations live
 * in arenas made by seq2seq_create for Tmax x Bmax (sources and targets of Tmax tokens, Bmax
 * pairs or live hypotheses). A forward, an encode or a decoding step larger than any before
 * (more source or target rows, more pairs or hypotheses, more attention weights) grows them to
 * it, the largest seen kept: memory follows the largest batch actually given, not the longest
 * pair times the largest batch. Otherwise forward, backward and the decoding step allocate
 * nothing. No files, no MPI, no globals.
 */
#ifndef DRNN_MODEL_SEQ2SEQ_H
#define DRNN_MODEL_SEQ2SEQ_H

#include <stdint.h>

#include "model/desc.h"
#include "model/model.h"
#include "model/params.h"

typedef struct seq2seq seq2seq_t;

/* One padded batch of B pairs. */
typedef struct {
    const uint32_t *src;     /* [Ts*B] source ids; entries at t >= src_lens[b] are ignored */
    const int *src_lens;     /* [B], each in [1, Ts] */
    const uint32_t *tgt_in;  /* [Tt*B] decoder inputs <bos> y_1 … y_m (ignored past tgt_lens) */
    const uint32_t *tgt_out; /* [Tt*B] targets y_1 … y_m <eos> (ignored past tgt_lens) */
    const int *tgt_lens;     /* [B], each in [1, Tt]: m + 1 */
    int Ts, Tt, B;
} seq2seq_batch_t;

/* d validated by model_validate(&seq2seq_model_ops, ...). Dies on out of memory. */
seq2seq_t *seq2seq_create(const model_desc_t *d, int Tmax, int Bmax);
void seq2seq_free(seq2seq_t *m);
const param_table_t *seq2seq_params(const seq2seq_t *m);
const model_desc_t *seq2seq_desc(const seq2seq_t *m);

/* PyTorch defaults from Philox keyed by seed: embeddings N(0,1), encoder and decoder
 * U(±1/sqrt(H)), each linear as nn.Linear (U(±1/sqrt(fan_in)) for weight and bias). */
void seq2seq_init_params(const seq2seq_t *m, float *params, uint64_t seed);

/* Dropout p for the following training forwards, masks keyed by (seed, step, example0 + b). */
void seq2seq_set_dropout(seq2seq_t *m, float p, uint64_t seed, uint32_t step, uint32_t example0);

/* Backward hooks as model/params.h: generator, attn_combine, attn, decoder layers top down,
 * tgt_embedding, bridge, encoder layers top down, src_embedding — decreasing offsets except where
 * the table order forces otherwise; each range is reported once, when final. */
void seq2seq_set_backward_hooks(seq2seq_t *m, const backward_hooks_t *hooks);

/* Teacher-forced forward of a batch; returns the sum of the cross-entropy over its real target
 * positions (double). train != 0 applies dropout. */
double seq2seq_forward(seq2seq_t *m, const float *params, const seq2seq_batch_t *bt, int train);

/* After seq2seq_forward on the same batch (which must stay valid): accumulates
 * scale * d(loss sum)/d params into grads [total]. */
void seq2seq_backward(seq2seq_t *m, const float *params, float *grads, float scale);

/* For a rank with no pairs in a batch: the ready calls of a backward, in its order, and nothing
 * else (the gradients stay as they are, zero). */
void seq2seq_report_ready(seq2seq_t *m);

/* Attention weights of the last forward: [B, Tt, Ts], row b's matrix at b*Tt*Ts (0 at padded
 * source positions; rows past tgt_lens[b] are computed but meaningless). */
const float *seq2seq_attention(const seq2seq_t *m);
/* Probabilities [Tt*B, Vt] of the last forward (valid until a backward). */
const float *seq2seq_probs(const seq2seq_t *m);

/* ---- Decoding, one step at a time (used by model/search.h) --------------------------------- */

/* Runs the encoder on B sources (no dropout) and keeps its outputs for the decoding steps. */
void seq2seq_encode(seq2seq_t *m, const float *params, const uint32_t *src, const int *src_lens,
                    int Ts, int B);
/* Decoder state per hypothesis: L*H floats. Layout of a state buffer for N hypotheses: [L, N, H].
 */
int seq2seq_state_size(const seq2seq_t *m);
/* state [L, N, H] := the bridge's starting states of the encoded sources src_row[n]. */
void seq2seq_decoder_start(seq2seq_t *m, const float *params, const int *src_row, int N,
                           float *state);
/* One decoder step for N hypotheses: prev [N] the previous token of each (first
 * <bos>), src_row [N] the encoded source each one reads, state [L, N, H] in and out. Writes
 * logp [N, Vt] log-probabilities (log_softmax, float) and, unless NULL, attn [N, Ts] the attention
 * weights over the encoded sources' positions (0 past each source's length). Consecutive
 * hypotheses of the same source share one attention product (order them source by source). */
void seq2seq_decode_step(seq2seq_t *m, const float *params, const uint32_t *prev,
                         const int *src_row, int N, float *state, float *logp, float *attn);

/* The model layer's row of this kind (model/model.h), named in kinds/kinds.c. */
extern const model_ops_t seq2seq_model_ops;

#endif

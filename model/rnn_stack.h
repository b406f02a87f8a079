/* model/rnn_stack.h — L stacked recurrent layers, optionally bidirectional, with dropout between
 * layers (DESIGN §3). Used by the LM (unidirectional, prefix "rnn") and by encoders
 * ("encoder", bidirectional). Parameters are added to the caller's table under PyTorch's names:
 * PREFIX.weight_ih_l{k}[_reverse], PREFIX.weight_hh_l{k}[_reverse], PREFIX.bias_ih_l{k}[...],
 * PREFIX.bias_hh_l{k}[...], in torch.nn.GRU/LSTM/RNN's order (layer, then direction).
 *
 * With cfg.residual, layer k > 0 outputs RNN_k(drop(y_{k-1})) + y_{k-1} (GNMT's residual
 * connections; the widths agree from the second layer up); states are the RNNs' own.
 *
 * Carried state: [L*dirs, B, H] hidden states (then as many cell states for LSTM), as PyTorch's
 * h_0/c_0 with layer-major, direction-minor order. Dropout masks come from Philox keyed by
 * (seed, step, global stream id, layer, position, unit): they do not depend on the rank count.
 */
#ifndef DRNN_MODEL_RNN_STACK_H
#define DRNN_MODEL_RNN_STACK_H

#include <stdint.h>

#include "model/params.h"

typedef struct {
    int cell; /* cell_kind_t (model/cells.h) */
    int input, hidden, layers, bidirectional;
    /* 1: from the second layer up, a layer's output plus its (undropped) input goes on:
     * y_k = RNN_k(drop(y_{k-1})) + y_{k-1} (the first layer never has one). */
    int residual;
} stack_config_t;

/* Dropout for one forward pass: p = 0 (or a NULL context) turns it off, as at evaluation. */
typedef struct {
    float p;
    uint64_t seed;
    uint32_t step;    /* optimizer step: new masks every step */
    uint32_t stream0; /* global id of local stream 0 */
} dropout_ctx_t;

typedef struct rnn_stack rnn_stack_t;

/* Adds the stack's tensors to tab and allocates its arena for windows of Tmax x Bmax; a larger
 * window (more rows T*B, or more streams) grows it at stack_forward, to the largest seen. */
rnn_stack_t *stack_create(const stack_config_t *cfg, param_table_t *tab, const char *prefix,
                          int Tmax, int Bmax);
void stack_free(rnn_stack_t *s);
/* Output width D = H or 2H. */
int stack_output_size(const rnn_stack_t *s);
/* Floats of carried state per stream: L * dirs * H, times 2 for LSTM. */
int stack_state_size(const rnn_stack_t *s);
/* Indices in tab of layer k, direction dir: w_ih, w_hh, b_ih, b_hh (for initialization). */
void stack_tensors(const rnn_stack_t *s, int k, int dir, int idx[4]);

/* x: [T*B, input] time rows; lens: [B] per-row lengths in [1, T], or NULL (every row has T);
 * state: carried-in state (layout above), overwritten with the state after the window (for the
 * reverse direction: after processing position 0) — with lens, each row's state after its own
 * last token, as PyTorch's h_n over a packed sequence. Returns the outputs [T*B, D], valid until
 * the next forward; rows at padded positions (t >= lens[b]) hold the last real state and must
 * not be used. drop may be NULL. lens must stay valid until the matching backward. Allocates
 * only when the window is larger than any before (the arena grows; earlier outputs are lost). */
const float *stack_forward(rnn_stack_t *s, const float *params, const float *x, const int *lens,
                           float *state, int T, int B, const dropout_ctx_t *drop);

/* Callbacks for the following backwards (copied; NULL turns them off): progress once per time
 * step, ready for each layer's tensors (all its directions) as soon as that layer is done, top
 * layer first. */
void stack_set_hooks(rnn_stack_t *s, const backward_hooks_t *hooks);

/* For the next backward only: dnorm [L, T, B] gets ||dL/dh_t|| of every layer's output h_t
 * (forward direction), as cell_ends_t.dnorm; NULL: off. */
void stack_set_trace(rnn_stack_t *s, float *dnorm);

/* Makes the ready calls a backward would make (each layer, top first) without computing
 * anything: for a rank whose share of a batch is empty, so every rank reports the same ranges in
 * the same order. */
void stack_report_ready(const rnn_stack_t *s);

/* dy: [T*B, D] gradient of the outputs (may be overwritten; zero at padded positions). Accumulates
 * into grads; writes dx: [T*B, input] unless NULL. After stack_forward with the same x, T, B.
 * dend (may be NULL): the gradient with respect to the state stack_forward left in `state` (same
 * layout); dstart (may be NULL: truncated BPTT) is written with the gradient with respect to the
 * carried-in state. */
void stack_backward(rnn_stack_t *s, const float *params, float *grads, float *dy, float *dx,
                    const float *x, int T, int B, const float *dend, float *dstart);

#endif

/* model/cells.h — one recurrent layer, one direction, over a window of T steps and B streams
 * (DESIGN §3, PyTorch's math and gate order).
 *
 *   rnn       h' = tanh(W_ih x + b_ih + W_hh h + b_hh)            (rnn_relu: relu)      G = 1
 *   gru       r, z, n as torch.nn.GRU, h' = (1 − z) ∘ n + z ∘ h    gate order r, z, n    G = 3
 *   lstm      i, f, g, o as torch.nn.LSTM, c' = f c + i g, h' = o tanh(c')               G = 4
 *
 * Rows of x, xproj, gates, aux and dy are time rows: position (t, b) is row t*B + b. The state
 * buffers hs/cs are in processing order: slot 0 holds the carried-in state, slot k+1 the state
 * after step k, which is time t = k forward or t = T-1-k in reverse. The input projection for all
 * T steps is one sgemm, only the recurrent product runs per step, gate math is one fused pass.
 */
#ifndef DRNN_MODEL_CELLS_H
#define DRNN_MODEL_CELLS_H

#include <stddef.h>

#include "model/params.h"

typedef enum { CELL_RNN_TANH = 0, CELL_RNN_RELU, CELL_GRU, CELL_LSTM } cell_kind_t;

/* Cell name ("rnn", "rnn_relu", "gru", "lstm") to cell_kind_t, or -1. */
int cell_parse(const char *name);
const char *cell_name(int cell); /* "?" when unknown */

/* Number of stacked gates: 1, 3 or 4. */
int cell_gates(int cell);

typedef struct {
    const float *w_ih; /* [G*H, In] */
    const float *w_hh; /* [G*H, H]  */
    const float *b_ih; /* [G*H]     */
    const float *b_hh; /* [G*H]     */
} cell_weights_t;

typedef struct {
    float *w_ih, *w_hh, *b_ih, *b_hh; /* same shapes, accumulated into */
} cell_grads_t;

/* Activations kept for backward; all point into the caller's arena. */
typedef struct {
    float *xproj; /* [T*B, G*H] W_ih x (the biases are added in the gate math) */
    float *gates; /* [T*B, G*H] gates after their nonlinearities (unused by rnn) */
    float *aux;   /* [T*B, H]   gru: W_hn h + b_hn; lstm: tanh(c'); unused by rnn */
    float *hs;    /* [(T+1)*B, H] processing-order hidden states, slot 0 set by the caller */
    float *cs;    /* [(T+1)*B, H] lstm cell states, slot 0 set by the caller; else NULL */
    /* Per-row lengths [B] (NULL: every row has T steps). Steps at t >= lens[b] leave row b's
     * state unchanged and get no gradient (pack_padded_sequence semantics); the reverse direction
     * thus starts at each row's own last token. */
    const int *lens;
} cell_acts_t;

typedef struct {
    float *dxp;             /* [T*B, G*H] gradient of the pre-activations seen by W_ih, time rows */
    float *dhp;             /* [T*B, G*H] gradient seen by W_hh, processing-order rows */
    float *dh;              /* [B, H] */
    float *dc;              /* [B, H] (lstm) */
    float *keep_h, *keep_c; /* [B, H] each: carries of padded rows (used when lens is set) */
} cell_scratch_t;

/* x: [T*B, In]; tmp: 2 x [B, G*H] scratch (a step's recurrent product and its transpose). Fills
 * every field of a from hs/cs slot 0. */
void cell_forward(int cell, cell_acts_t *a, float *tmp, const float *x, const cell_weights_t *w,
                  int T, int B, int In, int H, int reverse);

/* Gradients at the two ends of the window, [B, H] each; any member may be NULL. end_h/end_c: of
 * the loss with respect to the state after the window (seeds the carry; NULL: zero). start_h/
 * start_c: written with the gradient with respect to the carried-in state (NULL: not computed —
 * truncated BPTT). */
typedef struct {
    const float *end_h, *end_c;
    float *start_h, *start_c;
    /* [T*B] time rows, written unless NULL: ||dL/dh_t|| of each row, the whole gradient that
     * reaches the output h_t (its own loss term plus what flows back from later steps). */
    float *dnorm;
} cell_ends_t;

/* dy: [T*B, ldy] time rows, columns [0, H) = dL/d(outputs) of this direction; ends (may be NULL)
 * as above. Accumulates into g; dx: [T*B, In] written (dx_accumulate = 0) or added to (1); dx may
 * be NULL. hooks (may be NULL): progress is called once per time step. */
void cell_backward(int cell, float *dx, int dx_accumulate, const cell_grads_t *g,
                   const cell_scratch_t *s, const float *dy, int ldy, const cell_acts_t *a,
                   const float *x, const cell_weights_t *w, int T, int B, int In, int H,
                   int reverse, const cell_ends_t *ends, const backward_hooks_t *hooks);

/* Row of the hidden state after time t: the output at time t. [B, H] */
static inline float *cell_output_at(const cell_acts_t *a, int t, int T, int B, int H, int reverse) {
    int slot = reverse ? T - t : t + 1;
    return a->hs + (size_t)slot * B * H;
}

#endif

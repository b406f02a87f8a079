/* model/search.h — greedy and beam-search decoding of a seq2seq model (model/seq2seq.h), a batch
 * of sources at a time.
 *
 * Lengths count generated tokens, <eos> included. A source of length n allows at most
 * max_len = max(1, floor(max_ratio * n)) of them; a hypothesis that reaches max_len without <eos>
 * ends there as it is.
 *
 * Greedy: at every step the most probable token (the lowest id among equal log-probabilities)
 * until <eos> or max_len. Score: the sum of the chosen tokens' log-probabilities divided by
 * lp(length).
 *
 * Beam (K >= 1), per source, with the GNMT length penalty lp(n) = ((5 + n) / 6)^alpha:
 *   - start: one live hypothesis (<bos>, raw score 0);
 *   - each step, every live hypothesis h (raw score s_h, n_h tokens) is extended by every token
 *     w: candidate (h, w) with raw score s_h + logp_h(w) (in double). Candidates are ranked by
 *     raw score, higher first, ties by the lower h * Vt + w (h in the order of the live beam);
 *   - walking that ranking, a candidate ending in <eos> is finished (normalized score = raw
 *     score / lp(n_h + 1)), any other becomes live, until K live hypotheses are taken or the
 *     ranking ends; the live beam keeps the ranking's order. A live hypothesis of max_len
 *     tokens is then finished as it is;
 *   - the search stops when no hypothesis is live, or when at least n_best are finished and the
 *     n_best-th best normalized score is >= the best live raw score / lp(max_len) — the best any
 *     live one could still reach, since raw scores only fall and lp grows with length (alpha >= 0);
 *   - result: the n_best finished hypotheses of highest normalized score (ties: the one finished
 *     first), best first.
 */
#ifndef DRNN_MODEL_SEARCH_H
#define DRNN_MODEL_SEARCH_H

#include <stdint.h>

#include "model/seq2seq.h"

typedef struct {
    int beam;             /* 0: greedy; K >= 1: beam search of width K */
    int n_best;           /* hypotheses returned per source, 1 <= n_best <= max(beam, 1) */
    float length_penalty; /* alpha >= 0 */
    float max_ratio;      /* > 0 */
    uint32_t bos, eos;    /* target ids */
    int attention;        /* keep each hypothesis's attention matrix */
} search_opts_t;

typedef struct {
    uint32_t *tokens; /* [len] generated ids, <eos> included when it ended with one */
    int len;
    double score; /* normalized: raw log-probability / lp(len) */
    float *attn;  /* [len, src_len] when attention was asked, else NULL */
} search_hyp_t;

typedef struct search search_t;

/* A searcher for batches of up to Bmax sources of up to Tmax tokens; it creates its own model
 * instance, whose activations grow with the sources and hypotheses actually decoded (at most
 * Bmax * max(beam, 1) hypotheses). Dies on out of memory. */
search_t *search_create(const model_desc_t *d, const search_opts_t *o, int Tmax, int Bmax);
void search_free(search_t *s);
/* Hypotheses per source in search_run's output. */
int search_n_best(const search_t *s);

/* Decodes B sources (time-major [Ts*B], lens [B] in [1, Ts]); out [B * n_best] gets source b's
 * hypotheses at b*n_best, owned by the searcher until the next call. Returns the number of
 * tokens generated for the best hypotheses. */
long search_run(search_t *s, const float *params, const uint32_t *src, const int *src_lens, int Ts,
                int B, search_hyp_t *out);

#endif

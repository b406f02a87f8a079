/* trainer/s2s_score.h — translation quality of (hypothesis, reference) pairs: exact match,
 * token edit rate and corpus BLEU as sacreBLEU reports it by default (DESIGN §8, issue 9).
 *
 * An accumulator adds up integer counts pair by pair; the figures are computed from the sums
 * only, so counts from several ranks can be all-reduced (MPI_UINT64_T, MPI_SUM) and finalized
 * once. No MPI, no HDF5, no files here.
 *
 * Tokens. s2s_score_add_ids takes token ids as they are (one id = one token). s2s_score_add_text
 * takes two lines of detokenized text and splits both with sacreBLEU's default tokenizer "13a"
 * (s2s_score_tok13a) first; exact match and edit distance are then on those tokens too. For BLEU
 * comparable with published figures, feed text (for a word vocabulary: the target strings joined
 * by spaces, without <bos>/<eos>). Feed one accumulator one kind only.
 *
 * Figures, with c = sum of hypothesis lengths, r = sum of reference lengths (in tokens):
 *   exact_match  pairs whose token sequences are equal / pairs (0 when there are none)
 *   edit_rate    sum of Levenshtein distances (unit cost insert, delete, substitute) / r
 *                (when r = 0: 1 if any edit, else 0 — as sacreBLEU's TER does)
 *   bleu         sacreBLEU's corpus_bleu with its defaults (smooth_method='exp', one reference,
 *                no lowercasing), on a 0–100 scale:
 *                  p_n = 100 * correct_n / total_n, n = 1..4, where correct_n sums each pair's
 *                  hypothesis n-gram counts clipped at the reference's count and total_n sums the
 *                  hypothesis n-grams; an order with correct_n = 0 gets 100 / (2^k * total_n),
 *                  k = 1, 2, … counting such orders from n = 1 up ("exp", NIST smoothing);
 *                  BLEU = bp * exp(mean of log p_n), bp = exp(1 - r/c) when c < r (0 if c = 0),
 *                  else 1. As in sacreBLEU: no matching n-gram of any order gives 0; an order
 *                  with total_n = 0 (every hypothesis shorter than n tokens) gives p_n = 0 for it
 *                  and every higher order, so BLEU = 0 (a corpus of 2-token pairs scores 0 even
 *                  when every pair matches).
 */
#ifndef DRNN_TRAINER_S2S_SCORE_H
#define DRNN_TRAINER_S2S_SCORE_H

#include <stddef.h>
#include <stdint.h>

#define S2S_SCORE_ORDER 4 /* BLEU's n-gram orders 1..4 */

/* Layout of the raw counts (the only state that matters for the figures). */
enum {
    S2S_SCORE_PAIRS = 0,                                   /* pairs added */
    S2S_SCORE_EXACT,                                       /* pairs with hyp == ref */
    S2S_SCORE_EDITS,                                       /* sum of edit distances */
    S2S_SCORE_HYP_LEN,                                     /* c: hypothesis tokens */
    S2S_SCORE_REF_LEN,                                     /* r: reference tokens */
    S2S_SCORE_CORRECT,                                     /* [4] clipped matches, n = 1..4 */
    S2S_SCORE_TOTAL = S2S_SCORE_CORRECT + S2S_SCORE_ORDER, /* [4] hypothesis n-grams */
    S2S_SCORE_NCOUNTS = S2S_SCORE_TOTAL + S2S_SCORE_ORDER  /* 13 */
};

typedef struct {
    double exact_match;                 /* [0, 1] */
    double edit_rate;                   /* edits / ref_len, >= 0 (may exceed 1) */
    double bleu;                        /* [0, 100] */
    double bp;                          /* brevity penalty, (0, 1] (0 when hyp_len = 0) */
    double precisions[S2S_SCORE_ORDER]; /* p_1..p_4 as above, 0–100 */
    uint64_t hyp_len, ref_len, pairs, edits;
} s2s_score_result_t;

typedef struct s2s_score s2s_score_t;

/* An empty accumulator; it owns scratch space that grows to the longest pair seen. Dies on out of
 * memory, as every function below. */
s2s_score_t *s2s_score_new(void);
void s2s_score_free(s2s_score_t *acc); /* NULL is fine */
void s2s_score_reset(s2s_score_t *acc);

/* Adds one pair of id sequences (hyp [hyp_len], ref [ref_len]; either may be empty, then its
 * pointer may be NULL). Cost O(hyp_len * ref_len) for the edit distance. */
void s2s_score_add_ids(s2s_score_t *acc, const uint32_t *hyp, size_t hyp_len, const uint32_t *ref,
                       size_t ref_len);

/* Adds one pair of text lines (NUL-terminated, UTF-8; a trailing newline is fine), both
 * tokenized by s2s_score_tok13a; tokens compare as byte strings. */
void s2s_score_add_text(s2s_score_t *acc, const char *hyp, const char *ref);

/* out := acc's raw counts in the layout above. */
void s2s_score_counts(const s2s_score_t *acc, uint64_t out[S2S_SCORE_NCOUNTS]);
/* acc's counts += counts (merging another accumulator's, or other ranks' sums, into acc). */
void s2s_score_add_counts(s2s_score_t *acc, const uint64_t counts[S2S_SCORE_NCOUNTS]);
/* The figures of summed counts (from s2s_score_counts, possibly all-reduced over ranks). */
void s2s_score_from_counts(s2s_score_result_t *out, const uint64_t counts[S2S_SCORE_NCOUNTS]);
/* The figures of acc alone: s2s_score_counts then s2s_score_from_counts. */
void s2s_score_result(const s2s_score_t *acc, s2s_score_result_t *out);

/* sacreBLEU's "13a" tokenization (mteval-v13a) of one line, as BLEU(tokenize='13a') applies it:
 *   trailing whitespace removed; "<skipped>" and "-\n" removed, "\n" -> " "; if the line has "&":
 *   &quot; &amp; &lt; &gt; replaced, in that order, one pass each; then, with a space added at
 *   both ends: each of  { | } ~ [ \ ] ^ _ ` ! " # $ % & ( ) * + : ; < = > ? @ /  gets a space on
 *   both sides; "." and "," get one on both sides unless a digit precedes them, then unless a
 *   digit follows them; "-" after a digit gets one on both sides (each rule one left-to-right
 *   pass without overlapping matches, as Python's re.sub); finally the whitespace runs become
 *   single spaces and the ends are trimmed. Whitespace is Python's str.isspace set in UTF-8
 *   (ASCII \t \n \v \f \r, 0x1C-0x1F, space; U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028,
 *   U+2029, U+202F, U+205F, U+3000); all other bytes pass through, so bytes that are not UTF-8
 *   are kept as they are (Python could not have decoded them).
 * Returns the tokens joined by single spaces, malloc'd and NUL-terminated (the caller frees it). */
char *s2s_score_tok13a(const char *line);

#endif

/* trainer/s2s_eval.h — the figures of a seq2seq model on a set of pairs, shared by training's
 * validation (trainer/kind_seq2seq.c, summed over ranks) and drnn-eval: teacher-forced loss per
 * target token, then decoding (greedy or beam, model/search.h) scored by exact match and token
 * edit rate on the target ids and by corpus BLEU on the detokenized text (sacreBLEU's defaults,
 * trainer/s2s_score.h). Counts are kept as doubles so a caller can add them over ranks.
 */
#ifndef DRNN_TRAINER_S2S_EVAL_H
#define DRNN_TRAINER_S2S_EVAL_H

#include <stdio.h>

#include "model/search.h"
#include "model/seq2seq.h"
#include "trainer/model_load.h"
#include "trainer/s2s_data.h"
#include "trainer/s2s_score.h"

/* Doubles of one evaluation: loss, target tokens, tokens, then the id-level and the text-level
 * s2s_score counts. */
#define S2S_EVAL_LOSS   0
#define S2S_EVAL_TGT    1
#define S2S_EVAL_TOKENS 2
#define S2S_EVAL_IDS    3
#define S2S_EVAL_TEXT   (S2S_EVAL_IDS + S2S_SCORE_NCOUNTS)
#define S2S_EVAL_N      (S2S_EVAL_TEXT + S2S_SCORE_NCOUNTS)

typedef struct {
    seq2seq_t *m;       /* teacher-forced loss */
    search_t *search;   /* decoding */
    s2s_batch_t *batch; /* Bmax pairs at a time */
    const char *const *tgt_vocab;
    int spaced;             /* word tokens: joined by spaces in the text */
    const tok_vocab_t *spm; /* spm: the target vocabulary, whose model detokenizes; else NULL */
    FILE *hyp, *ref;        /* when not NULL: each hypothesis / reference text as a line */
} s2s_eval_t;

/* Adds the figures of pairs [0, p->n) into sums [S2S_EVAL_N] (not zeroed). Returns 0, or 74 when
 * writing hyp/ref failed (nothing more is written after the first failure; errno tells why and
 * ferror which). */
int s2s_eval_pairs(const s2s_eval_t *e, const float *params, const s2s_pairs_t *p, double *sums);

/* drnn-eval for a seq2seq model: every pair of a split of the pair corpus DATA in batches of
 * `batch`, decoded with beam (<= 1: greedy). Prints the figures (json: one JSON object on
 * stdout, the rest on stderr); hyp_out: hypotheses to that file, references to hyp_out.ref, both
 * renamed into place from temporaries once both are complete (io/fsutil.h).
 * Returns 0; errors end the program through drnn_die (64, 65, 66, 74). */
typedef struct {
    const char *data;
    int split, batch, beam;
    double length_penalty, max_ratio;
    const char *hyp_out;
    int json;
} s2s_eval_opts_t;
int s2s_eval_run(const model_file_t *m, const s2s_eval_opts_t *o);

/* One figure of sums by name: "loss", "ppl", "bleu", "exact_match", "edit_rate" (NAN for
 * another name). */
double s2s_eval_figure(const double *sums, const char *name);

/* The figures of sums as text ("loss 1.2345 | ppl 3.44 | exact ... | BLEU ...") and JSON
 * members ("\"loss\": ..., \"bleu\": ..."). */
void s2s_eval_format(const double *sums, char *text, size_t tn, char *json, size_t jn);

#endif

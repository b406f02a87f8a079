/* tools/s2s_translate.h — drnn-sample for a seq2seq model: translates the lines of a file,
 * a batch of lines at a time, greedily or by beam search (model/search.h). Lines are read 16
 * batches ahead and sorted by length, longest first, before they are cut into batches (less
 * padding, hypotheses that end together); the output keeps the input's order. A line's
 * translation does not depend on which lines share its batch.
 *
 * Output on stdout, one line per input line: the best translation (the target tokens joined by
 * spaces for word vocabularies, concatenated otherwise; no <eos>). With n_best > 1, n_best lines
 * per input line instead: "LINE<TAB>SCORE<TAB>TEXT" (LINE counting from 1, SCORE the normalized
 * log-probability), best first. An empty input line gives an empty line (or no n-best lines).
 * With an attention file, one JSON object per translated line:
 *   {"line": N, "source": [tokens], "target": [tokens, "<eos>"], "attention": [[row per target
 *   token: weights over the source tokens]]}
 * Throughput (sentences/s, generated tokens/s) goes to stderr at the end.
 */
#ifndef DRNN_TRAINER_S2S_TRANSLATE_H
#define DRNN_TRAINER_S2S_TRANSLATE_H

#include "trainer/model_load.h"

typedef struct {
    const char *input;         /* plain, .gz or - for stdin */
    const char *attention_out; /* JSON lines file, or NULL */
    int beam;                  /* <= 1: greedy */
    int n_best;
    int batch; /* lines decoded together */
    double length_penalty, max_ratio;
} s2s_translate_opts_t;

/* Translates o->input with the loaded seq2seq model mf. Returns 0; errors end the program
 * through drnn_die with the design's exit codes (64 options, 65/66 input, 74 output). */
int s2s_translate(const s2s_translate_opts_t *o, const model_file_t *mf);

#endif

/* tools/attention_out.h — drnn-sample --attention-out: one JSON object per input line,
 * {"line": N, "source": [...], "target": [...], "attention": [[...], ...]} with one row of
 * weights over the source tokens per target token — seq2seq's attention over the source, or an
 * encoder's self-attention (target = source). jobs/plot_attention.py draws them. */
#ifndef DRNN_TOOLS_ATTENTION_OUT_H
#define DRNN_TOOLS_ATTENTION_OUT_H

#include <stdint.h>
#include <stdio.h>

/* Writes line LINENO's record: src [slen] ids named by sv, tgt [tlen] ids named by tv, att
 * [tlen, slen] row-major. Returns 0, or -1 when a write failed. */
int attention_out_line(FILE *f, uint64_t lineno, const char *const *sv, const uint32_t *src,
                       int slen, const char *const *tv, const uint32_t *tgt, int tlen,
                       const float *att);

/* --attention-out PATH of a model with an encoder's self-attention block of HEADS heads (0:
 * none): the opened file, or NULL when path is empty. Dies with 64 when the model (model_path)
 * has no block, 74 when the file cannot be created. */
FILE *attention_out_open_self(const char *path, int heads, const char *model_path);
/* Closes f (NULL: nothing), dying with 74 naming path when the data did not reach it. */
void attention_out_close(FILE *f, const char *path);

#endif

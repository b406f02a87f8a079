/* tools/attention_out.h — drnn-sample --attention-out: one JSON object per input line,
 * {"line": N, "source": [...], "target": [...], "attention": [[...], ...]} with one row of
 * weights over the source tokens per target token — seq2seq's attention over the source, or an
 * encoder's self-attention (target = source). jobs/plot_attention.py draws them.
 *
 * The file is written whole (io/fsutil.h): to a temporary beside PATH, renamed over PATH by
 * attention_out_commit once complete. Every failure dies with 74 naming the flag, the file and
 * why ("disk full"), and removes the temporary (drnn_die does when it ends the program midway):
 * an earlier PATH stays as it was.
 */
#ifndef DRNN_TOOLS_ATTENTION_OUT_H
#define DRNN_TOOLS_ATTENTION_OUT_H

#include <stdint.h>

typedef struct attention_out attention_out_t;

/* --attention-out PATH: the file being written, or NULL when path is NULL or empty. Dies with 74
 * when its temporary cannot be created. */
attention_out_t *attention_out_open(const char *path);
/* attention_out_open for a model with an encoder's self-attention block of HEADS heads (0: none):
 * dies with 64 when the model (model_path) has no block to draw. */
attention_out_t *attention_out_open_self(const char *path, int heads, const char *model_path);

/* Writes line LINENO's record: src [slen] ids named by sv, tgt [tlen] ids named by tv, att
 * [tlen, slen] row-major. a NULL: nothing. Dies with 74 when a write fails. */
void attention_out_line(attention_out_t *a, uint64_t lineno, const char *const *sv,
                        const uint32_t *src, int slen, const char *const *tv, const uint32_t *tgt,
                        int tlen, const float *att);

/* Completes a (NULL: nothing): flush, fsync, close, rename over PATH; frees a. Dies with 74 when
 * the data did not reach the file (then PATH is untouched and the temporary removed). */
void attention_out_commit(attention_out_t *a);

#endif

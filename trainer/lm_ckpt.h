/* trainer/lm_ckpt.h — the checkpoint protocol of drnn-train (DESIGN §7) on top of io/ckpt.h:
 * every rank writes its shard at the same time, all ranks agree, rank 0 commits; resume verifies,
 * checks options and corpus, and reassembles parameters, optimizer state and stream states for
 * any rank count that divides the batch. Collective: every function is called by all ranks.
 */
#ifndef DRNN_TRAINER_LM_CKPT_H
#define DRNN_TRAINER_LM_CKPT_H

#include <stddef.h>

#include "io/corpus.h"
#include "model/lm.h"
#include "trainer/lm_train.h"

typedef struct {
    const train_opts_t *o;
    corpus_t *corpus;
    const lm_t *lm;
    int rank, nranks, B, Bl;
    float *params;   /* [P] */
    float *momentum; /* [P] or NULL when --momentum is 0 */
    int *has_momentum;
    size_t P;
    float *state; /* [L*dirs, Bl, H] hidden states, then as many cell states for LSTM */
} lm_ckpt_ctx_t;

/* Refuses (64) a run folder that has checkpoints when --resume is not given. */
void lm_ckpt_guard(const train_opts_t *o);

/* With --resume: loads the checkpoint into the context's buffers on every rank and returns its
 * step (0 when --resume auto finds none). Dies with 64 (options differ, naming the option),
 * 65 (damaged, other corpus) or 66 (no such checkpoint). *tokens gets the tokens seen. */
long lm_ckpt_resume(const lm_ckpt_ctx_t *c, double *tokens);

/* Writes the checkpoint of `step` (the state after that many updates). Dies with 74 on a write
 * failure on any rank (nothing is committed then). */
void lm_ckpt_save(const lm_ckpt_ctx_t *c, long step, long epoch, double tokens);

/* Rank 0 after resuming: drops metrics.jsonl records past `step`. */
void lm_ckpt_trim_metrics(const char *run_dir, long step);

#endif

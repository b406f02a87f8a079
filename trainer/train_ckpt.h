/* trainer/train_ckpt.h — the checkpoint protocol of drnn-train (DESIGN §7) on top of io/ckpt.h,
 * for every model kind: every rank writes its shard at the same time, all ranks agree, rank 0
 * commits; resume verifies, checks options and corpus, and reassembles parameters, optimizer
 * state and the kind's carried state (trainer/kind.h) for any rank count that divides the
 * batch. Collective: every function but ckpt_guard's check is called by all ranks.
 */
#ifndef DRNN_TRAINER_TRAIN_CKPT_H
#define DRNN_TRAINER_TRAIN_CKPT_H

#include <stddef.h>

#include "comm/powersgd.h"
#include "io/corpus.h"
#include "trainer/kind.h"
#include "trainer/optim.h"
#include "trainer/train_opts.h"

/* What the loop carries from step to step besides parameters and optimizer state; saved in the
 * manifest so a resumed run goes on exactly (DESIGN §7). */
typedef struct {
    double lr_scale;    /* --lr-plateau's factor on the scheduled rate (1 until a plateau) */
    double best_metric; /* best validation figure so far (lower is better; accuracy negated) */
    long best_step;     /* its step; 0: no evaluation yet */
    long bad_evals;     /* evaluations since the best one */
    long skips;         /* non-finite steps skipped in a row */
} train_state_t;

typedef struct {
    const train_opts_t *o;
    corpus_t *corpus;
    const train_kind_t *kind;
    const model_ops_t *mops;
    kind_ctx_t *k;
    const model_desc_t *desc;
    int rank, nranks, B;
    float *params; /* [P] */
    optim_t *opt;  /* its state is saved and restored */
    train_state_t *state;
    size_t P;
    comm_psgd_t *psgd; /* --powersgd: its Q and error feedback are saved and restored; or NULL */
} train_ckpt_ctx_t;

/* One job per run folder (DESIGN §7). Rank 0 locks RUN/.lock (writing its host and pid into
 * it) and holds the lock until the process ends; the kernel releases it then, also on kill -9.
 * Collective. Called as soon as the options are read (created = 0: locks a folder that exists,
 * else does nothing) and again once the folder has been created (created = 1: locks it unless
 * held already, and refuses a folder that another job filled with checkpoints meanwhile). Dies
 * with 64 naming the holder when another job holds the lock, 74 when it cannot be taken. */
void ckpt_lock_run_dir(const train_opts_t *o, int rank, int created);

/* Refuses (64) a run folder that has checkpoints (ckpt/latest or any step-N folder) when
 * --resume is not given. */
void ckpt_guard(const train_opts_t *o);

/* With --resume: loads the checkpoint into the context's buffers on every rank and returns its
 * step. PowerSGD's state: on the rank count and rank R that wrote it, each rank reads its own
 * (bit for bit); on another rank count Q is kept and the ranks' error feedback summed onto rank
 * 0 (compression sees only the sum over ranks); with another R, or without --powersgd, it is
 * dropped with a note (the next compressed step starts afresh) (0 when --resume auto finds none;
 * step folders without ckpt/latest are refused with 64 naming the newest, for --resume PATH). Dies
 * with 64 (options differ, naming the option), 65 (damaged, other corpus) or 66 (no such
 * checkpoint). *tokens gets the tokens seen. */
long train_ckpt_resume(const train_ckpt_ctx_t *c, double *tokens);

/* Writes the checkpoint of `step` (the state after that many updates; data position: `epoch`
 * and `batch_in_epoch` batches of it taken). Dies with 74 on a write failure on any rank
 * (nothing is committed then). */
void train_ckpt_save(const train_ckpt_ctx_t *c, long step, long epoch, long batch_in_epoch,
                     double tokens);

/* Rank 0 after resuming: drops metrics.jsonl records past `step`. */
void ckpt_trim_metrics(const char *run_dir, long step);

#endif

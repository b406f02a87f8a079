/* trainer/lm_train.h — drnn-train for language models: options, the data-parallel training loop
 * (DESIGN §5), validation, progress and the end-of-run weights.
 */
#ifndef DRNN_TRAINER_LM_TRAIN_H
#define DRNN_TRAINER_LM_TRAIN_H

#include <stdint.h>

#include "trainer/config.h"

typedef struct {
    char data[4096], run_dir[4096], config[4096];
    char model[16], cell[16];
    int embed, hidden, layers, seq_len, batch;
    double lr, momentum, clip, dropout;
    long steps, epochs;
    int log_every, eval_every, threads;
    uint64_t seed;
    int selftest, help;
} train_opts_t;

extern const opt_spec_t train_opt_spec[];
extern const int train_opt_count;
extern const char *const train_opt_reserved[];

/* Runs training on every rank (after comm_init). Returns the exit code (0 on success); errors
 * that every rank sees end the job through comm_fail. */
int lm_train_run(const train_opts_t *o);

/* The built-in operator check (gradient check + tiny training run), one rank. 0 if all passed. */
int selftest_run(int verbose);

/* OpenBLAS threads for this rank: --threads if > 0, else the CPUs this rank may use divided by
 * the ranks sharing this node. Returns the count it set. */
int threads_configure(int requested);

#endif

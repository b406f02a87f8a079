/* trainer/train_psgd.h — --powersgd R in the training loop: which tensors comm/powersgd.h sees,
 * when a step is compressed, the initial Q, and the test dump (DRNN_TEST_POWERSGD_DUMP).
 *
 * Steps 1 .. --powersgd-start travel uncompressed; every later step is compressed. The first
 * compressed step of a run (or after the state was dropped: a resume on another rank count or
 * rank, a skipped non-finite step) starts with e = 0 and Q of matrix k drawn N(0, 1) from
 * Philox keyed by (seed, RNG_POWERSGD, k, step): every rank draws the same, nothing is sent.
 */
#ifndef DRNN_TRAINER_TRAIN_PSGD_H
#define DRNN_TRAINER_TRAIN_PSGD_H

#include <stdint.h>

#include "comm/powersgd.h"
#include "model/params.h"

/* A PowerSGD reduction of rank R over grads [tab->total] laid out as tab. Rank 0 prints what is
 * compressed. Collective. */
comm_psgd_t *train_psgd_create(float *grads, const param_table_t *tab, int R, size_t bucket_bytes,
                               comm_reduce_dtype_t dtype, int rank);

/* Before step `step`'s backward: compressed or not (step > start), and the initial state when a
 * compressed step finds none. Returns 1 when the step is compressed. */
int train_psgd_begin(comm_psgd_t *p, long step, long start, uint64_t seed, int rank);

/* After a compressed step's wait: the test dump, when DRNN_TEST_POWERSGD_DUMP is set (a failed
 * write ends the job, 74). */
void train_psgd_dump(comm_psgd_t *p, long step, int rank);

#endif

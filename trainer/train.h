/* trainer/train.h — drnn-train: options, the one data-parallel training loop for every model
 * kind (DESIGN §5; kinds plug in through trainer/kind.h), validation, progress, graceful stop;
 * checkpoints through trainer/train_ckpt.h.
 */
#ifndef DRNN_TRAINER_TRAIN_H
#define DRNN_TRAINER_TRAIN_H

#include <stdint.h>

#include "io/corpus.h"
#include "model/desc.h"
#include "model/params.h"
#include "base/config.h"
#include "trainer/train_opts.h"

/* Runs training on every rank (after comm_init). Returns the exit code (0 on success); errors
 * that every rank sees end the job through comm_fail. */
int train_run(const train_opts_t *o, const config_cli_t *cli);

/* --init-from (rank-local; the caller broadcasts): resolves o->init_from (a model.h5 or a run
 * folder), checks it in a child process, compares drnn attributes, if the file has them, with the
 * model the options describe (d: 64, naming the option) and the corpus c (tokenizer, vocabulary,
 * labels: 65), then reads every tensor of tab into params [tab->total], checking names, shapes,
 * dtypes, that no other tensor is in the file, and that all values are finite (65, naming the
 * file and the tensor). Returns 0, 64, 65, 66 or 70 with a one-line message in err. */
int init_from_file(float *params, const param_table_t *tab, const model_desc_t *d,
                   const train_opts_t *o, const corpus_t *c, char *err, size_t errlen);

/* The built-in operator check (gradient check + tiny training run), one rank. 0 if all passed. */
int selftest_run(int verbose);

#endif

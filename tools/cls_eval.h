/* tools/cls_eval.h — drnn-eval for a classifier: accuracy, macro-F1, loss and the confusion
 * matrix of a labelled split. A plain single process, no MPI. */
#ifndef DRNN_TRAINER_CLS_EVAL_H
#define DRNN_TRAINER_CLS_EVAL_H

#include "io/corpus.h"
#include "trainer/model_load.h"

/* Scores every example of SPLIT (CORPUS_VALID or CORPUS_TEST) of the labelled corpus DATA with the
 * classifier m in batches of `batch`, prints the figures (json: one JSON object on stdout,
 * the rest on stderr). Returns 0; errors end the program through drnn_die (64 usage, 65 bad
 * corpus or a vocabulary/labels that are not the model's, 66 missing). */
int cls_eval_run(const model_file_t *m, const char *data, int split, int batch, int json);

#endif

/* tools/confusion.h — what the classifier's and the tagger's drnn-eval share: opening a split of
 * example data for a model, and the figures of a confusion matrix (rows: the gold class,
 * columns: the prediction). */
#ifndef DRNN_TOOLS_CONFUSION_H
#define DRNN_TOOLS_CONFUSION_H

#include <stdint.h>

#include "io/corpus.h"
#include "trainer/cls_data.h"
#include "trainer/model_load.h"

/* Opens corpus DATA for model m, which is scored on WANT data ("labels", "tags"), and reads the
 * examples of SPLIT into ex. Dies with a message on every error: another data kind (65), a
 * vocabulary or labels not the model's (65), no such split (64). Returns the open corpus. */
corpus_t *confusion_open_split(const model_file_t *m, const char *data, int split, const char *want,
                               cls_examples_t *ex);

/* Class c of conf [C*C]: precision, recall and F1 (0 where undefined) and its gold count. */
void confusion_class(const uint64_t *conf, int C, int c, double *precision, double *recall,
                     double *f1, uint64_t *support);

/* Per-class F1 averaged over the classes that occur in the gold classes or the predictions. */
double confusion_macro_f1(const uint64_t *conf, int C);

#endif

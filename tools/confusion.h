/* tools/confusion.h — figures of a confusion matrix (rows: the gold class, columns: the
 * prediction), shared by the classifier's and the tagger's drnn-eval. */
#ifndef DRNN_TOOLS_CONFUSION_H
#define DRNN_TOOLS_CONFUSION_H

#include <stdint.h>

/* Class c of conf [C*C]: precision, recall and F1 (0 where undefined) and its gold count. */
void confusion_class(const uint64_t *conf, int C, int c, double *precision, double *recall,
                     double *f1, uint64_t *support);

/* Per-class F1 averaged over the classes that occur in the gold classes or the predictions. */
double confusion_macro_f1(const uint64_t *conf, int C);

#endif

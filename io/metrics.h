/* io/metrics.h — RUN/metrics.jsonl: one JSON object per line, floats with %.9g (DESIGN §10).
 *
 * Each record reaches the file whole or not at all: it goes out in one write, and a write that
 * fails part-way (a full disk) is cut back off, so a resumed run never appends to a torn line.
 */
#ifndef DRNN_IO_METRICS_H
#define DRNN_IO_METRICS_H

#include <stdio.h>

typedef struct {
    FILE *f; /* NULL: not open (ranks other than 0); records go through fileno(f) unbuffered */
    char path[4200];
} metrics_t;

/* Opens RUN/metrics.jsonl for appending. 0, or 74 with a message in err. */
int metrics_open(metrics_t *m, const char *run_dir, char *err, size_t errlen);
/* Closes it (nothing to do when not open). 0, or 74 with a message naming the file. */
int metrics_close(metrics_t *m, char *err, size_t errlen);

/* Each appends one record (nothing when not open): 0, or 74 with a message naming the file. */
int metrics_train(metrics_t *m, long step, double tokens, double loss, double lr, double grad_norm,
                  int clipped, double tok_per_s, double comm_frac, double time, char *err,
                  size_t errlen);
/* LM: loss, ppl, bpt. */
int metrics_eval(metrics_t *m, long step, const char *split, double loss, char *err, size_t errlen);
/* Classifier: loss and accuracy. */
int metrics_eval_accuracy(metrics_t *m, long step, const char *split, double loss, double accuracy,
                          char *err, size_t errlen);

#endif

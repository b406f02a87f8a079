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
/* extra (may be NULL): more members appended inside the object, starting with ", ". */
int metrics_train(metrics_t *m, long step, double tokens, double loss, double lr, double grad_norm,
                  int clipped, double tok_per_s, double comm_frac, double time, const char *extra,
                  char *err, size_t errlen);
/* One evaluation: {"step": STEP, "split": "SPLIT", FIELDS} with FIELDS the kind's JSON members
 * ("\"loss\": 1.25, \"ppl\": 3.49"). */
int metrics_eval_fields(metrics_t *m, long step, const char *split, const char *fields, char *err,
                        size_t errlen);
/* A step whose update was skipped: {"step", "skipped": "loss"|"gradient norm", "in_a_row"}. */
int metrics_skip(metrics_t *m, long step, const char *what, long in_a_row, char *err,
                 size_t errlen);

/* S as a JSON string literal, quotes included (", \ and control bytes escaped). Returns what
 * fprintf returns for the last piece (negative on a write error). */
int json_write_string(FILE *f, const char *s);

#endif

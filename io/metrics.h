/* io/metrics.h — RUN/metrics.jsonl: one JSON object per line, floats with %.9g (DESIGN §10). */
#ifndef DRNN_IO_METRICS_H
#define DRNN_IO_METRICS_H

#include <stdio.h>

typedef struct {
    FILE *f;
} metrics_t;

/* Opens RUN/metrics.jsonl for appending. 0, or 74 with a message in err. */
int metrics_open(metrics_t *m, const char *run_dir, char *err, size_t errlen);
void metrics_close(metrics_t *m);

void metrics_train(metrics_t *m, long step, double tokens, double loss, double lr, double grad_norm,
                   int clipped, double tok_per_s, double comm_frac, double time);
/* A step whose update was skipped: {"step", "skipped": "loss"|"gradient norm", "in_a_row"}. */
void metrics_skip(metrics_t *m, long step, const char *what, long in_a_row);

/* S as a JSON string literal, quotes included (", \ and control bytes escaped). Returns what
 * fprintf returns for the last piece (negative on a write error). */
int json_write_string(FILE *f, const char *s);

/* One evaluation: {"step": STEP, "split": "SPLIT", FIELDS} with FIELDS the kind's JSON members
 * ("\"loss\": 1.25, \"ppl\": 3.49"). */
void metrics_eval_fields(metrics_t *m, long step, const char *split, const char *fields);

#endif

#include "io/metrics.h"

#include <errno.h>
#include <math.h>
#include <string.h>

int metrics_open(metrics_t *m, const char *run_dir, char *err, size_t errlen) {
    char path[4096];
    snprintf(path, sizeof path, "%s/metrics.jsonl", run_dir);
    m->f = fopen(path, "a");
    if (!m->f) {
        snprintf(err, errlen, "%s: cannot open for writing: %s", path, strerror(errno));
        return 74;
    }
    return 0;
}

void metrics_close(metrics_t *m) {
    if (m->f) fclose(m->f);
    m->f = NULL;
}

void metrics_train(metrics_t *m, long step, double tokens, double loss, double lr, double grad_norm,
                   int clipped, double tok_per_s, double comm_frac, double time) {
    if (!m->f) return;
    fprintf(m->f,
            "{\"step\": %ld, \"tokens\": %.17g, \"loss\": %.9g, \"lr\": %.9g, \"grad_norm\": %.9g, "
            "\"clipped\": %s, \"tok_per_s\": %.9g, \"comm_frac\": %.9g, \"time\": %.9g}\n",
            step, tokens, loss, lr, grad_norm, clipped ? "true" : "false", tok_per_s, comm_frac,
            time);
    fflush(m->f);
}

void metrics_skip(metrics_t *m, long step, const char *what, long in_a_row) {
    if (!m->f) return;
    fprintf(m->f, "{\"step\": %ld, \"skipped\": \"%s\", \"in_a_row\": %ld}\n", step, what,
            in_a_row);
    fflush(m->f);
}

void metrics_eval_fields(metrics_t *m, long step, const char *split, const char *fields) {
    if (!m->f) return;
    fprintf(m->f, "{\"step\": %ld, \"split\": \"%s\", %s}\n", step, split, fields);
    fflush(m->f);
}

int json_write_string(FILE *f, const char *s) {
    int rc = fputc('"', f) == EOF ? -1 : 0;
    for (const unsigned char *q = (const unsigned char *)s; *q && rc >= 0; q++) {
        if (*q == '"' || *q == '\\')
            rc = fprintf(f, "\\%c", *q);
        else if (*q < 0x20)
            rc = fprintf(f, "\\u%04x", *q);
        else
            rc = fputc(*q, f) == EOF ? -1 : 0;
    }
    return rc < 0 ? rc : (fputc('"', f) == EOF ? -1 : 1);
}

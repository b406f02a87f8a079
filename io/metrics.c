#include "io/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

int metrics_open(metrics_t *m, const char *run_dir, char *err, size_t errlen) {
    snprintf(m->path, sizeof m->path, "%s/metrics.jsonl", run_dir);
    m->f = fopen(m->path, "a");
    if (!m->f)
        return drnn_errf(err, errlen, 74, "%s: cannot open for writing: %s", m->path,
                         strerror(errno));
    return 0;
}

int metrics_close(metrics_t *m, char *err, size_t errlen) {
    int rc = m->f && fclose(m->f) != 0 ? -1 : 0;
    m->f = NULL;
    if (rc) return drnn_errf(err, errlen, 74, "%s: cannot close: %s", m->path, strerror(errno));
    return 0;
}

/* Appends LINE [n] in one write (the file is in append mode); on a failure the file is cut back
 * to its length before. */
static int append(metrics_t *m, const char *line, int n, char *err, size_t errlen) {
    if (!m->f) return 0;
    if (n < 0) return drnn_errf(err, errlen, 74, "%s: cannot format a record", m->path);
    int fd = fileno(m->f);
    off_t end = lseek(fd, 0, SEEK_END);
    size_t done = 0;
    while (done < (size_t)n) {
        ssize_t w = write(fd, line + done, (size_t)n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            int cut = end >= 0 ? ftruncate(fd, end) : -1; /* the torn record goes; e is reported */
            (void)cut;
            return drnn_errf(err, errlen, 74, "%s: cannot write: %s", m->path, strerror(e));
        }
        done += (size_t)w;
    }
    return 0;
}

int metrics_train(metrics_t *m, long step, double tokens, double loss, double lr, double grad_norm,
                  int clipped, double tok_per_s, double comm_frac, double time, const char *extra,
                  char *err, size_t errlen) {
    const size_t cap = 512 + (extra ? strlen(extra) : 0);
    char *line = malloc(cap);
    if (!line) return drnn_errf(err, errlen, 70, "out of memory for a metrics record");
    int n = snprintf(line, cap,
                     "{\"step\": %ld, \"tokens\": %.17g, \"loss\": %.9g, \"lr\": %.9g, "
                     "\"grad_norm\": %.9g, \"clipped\": %s, \"tok_per_s\": %.9g, "
                     "\"comm_frac\": %.9g, \"time\": %.9g%s}\n",
                     step, tokens, loss, lr, grad_norm, clipped ? "true" : "false", tok_per_s,
                     comm_frac, time, extra ? extra : "");
    int rc = append(m, line, n >= 0 && (size_t)n < cap ? n : -1, err, errlen);
    free(line);
    return rc;
}

int metrics_skip(metrics_t *m, long step, const char *what, long in_a_row, char *err,
                 size_t errlen) {
    char line[256];
    int n = snprintf(line, sizeof line, "{\"step\": %ld, \"skipped\": \"%s\", \"in_a_row\": %ld}\n",
                     step, what, in_a_row);
    return append(m, line, n < (int)sizeof line ? n : -1, err, errlen);
}

int metrics_eval_fields(metrics_t *m, long step, const char *split, const char *fields, char *err,
                        size_t errlen) {
    char line[1536];
    int n = snprintf(line, sizeof line, "{\"step\": %ld, \"split\": \"%s\", %s}\n", step, split,
                     fields);
    return append(m, line, n < (int)sizeof line ? n : -1, err, errlen);
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

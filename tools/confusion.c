#include "tools/confusion.h"

#include <stddef.h>
#include <string.h>

#include "base/util.h"

corpus_t *confusion_open_split(const model_file_t *m, const char *data, int split, const char *want,
                               cls_examples_t *ex) {
    char err[8192];
    const char *split_name = corpus_split_names[split];
    corpus_t *c = NULL;
    int rc = corpus_open(&c, data, err, sizeof err);
    if (rc) drnn_die(rc, "%s", err);
    if (strcmp(corpus_data_kind(c), want) != 0)
        drnn_die(65, "--data %s holds %s data; %s is scored on %s data (drnn-prep --format %s)",
                 data, corpus_data_kind(c), m->path, want, want);
    if ((rc = model_info_match_corpus(&m->info, m->path, c, err, sizeof err)))
        drnn_die(rc, "%s", err);
    if ((rc = cls_examples_read(ex, c, split, err, sizeof err))) drnn_die(rc, "%s", err);
    if (ex->n == 0) drnn_die(64, "--split %s: %s has no %s split", split_name, data, split_name);
    return c;
}

void confusion_class(const uint64_t *conf, int C, int c, double *precision, double *recall,
                     double *f1, uint64_t *support) {
    uint64_t tp = conf[(size_t)c * C + c], row = 0, col = 0;
    for (int j = 0; j < C; j++) row += conf[(size_t)c * C + j], col += conf[(size_t)j * C + c];
    *precision = col ? (double)tp / (double)col : 0.0;
    *recall = row ? (double)tp / (double)row : 0.0;
    *f1 = row + col ? 2.0 * (double)tp / (double)(row + col) : 0.0;
    *support = row;
}

double confusion_macro_f1(const uint64_t *conf, int C) {
    double sum = 0.0;
    int n = 0;
    for (int c = 0; c < C; c++) {
        uint64_t tp = conf[(size_t)c * C + c], row = 0, col = 0;
        for (int j = 0; j < C; j++) row += conf[(size_t)c * C + j], col += conf[(size_t)j * C + c];
        if (row == 0 && col == 0) continue;
        sum += 2.0 * (double)tp / (double)(row + col);
        n++;
    }
    return n ? sum / n : 0.0;
}

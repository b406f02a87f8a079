#include "trainer/cls_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comm.h"
#include "io/metrics.h"
#include "model/classifier.h"
#include "model/util.h"
#include "trainer/cls_data.h"

/* Per-class F1 averaged over the classes that occur in the labels or the predictions. */
static double macro_f1(const uint64_t *conf, int C) {
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

int cls_eval_run(const model_file_t *m, const char *data, int split, int batch, int json) {
    char err[8192];
    const model_desc_t *d = &m->info.desc;
    const int C = d->classes;
    const char *split_name = corpus_split_names[split];
    corpus_t *c = NULL;
    int rc = corpus_open(&c, data, err, sizeof err);
    if (rc) drnn_die(rc, "%s", err);
    if (strcmp(corpus_data_kind(c), "labels") != 0)
        drnn_die(65,
                 "--data %s holds %s data; a classifier is scored on labelled data (drnn-prep "
                 "--format labels)",
                 data, corpus_data_kind(c));
    if ((rc = model_info_match_corpus(&m->info, m->path, c, err, sizeof err)))
        drnn_die(rc, "%s", err);
    cls_examples_t ex;
    if ((rc = cls_examples_read(&ex, c, split, err, sizeof err))) drnn_die(rc, "%s", err);
    const uint64_t n = ex.n;
    if (n == 0) drnn_die(64, "--split %s: %s has no %s split", split_name, data, split_name);
    classifier_t *cm = classifier_create(d, ex.longest, batch);
    cls_batch_t bt;
    cls_batch_alloc(&bt, ex.longest, batch);
    uint64_t *conf = model_calloc((size_t)C * C, sizeof *conf);
    double loss = 0.0;
    for (uint64_t i = 0; i < n; i += (uint64_t)batch) {
        int B = n - i < (uint64_t)batch ? (int)(n - i) : batch;
        if ((rc = cls_batch_read(&bt, c, &ex, NULL, i, B, err, sizeof err)))
            drnn_die(rc, "%s", err);
        loss += classifier_forward(cm, m->params, bt.tokens, bt.lens, bt.labels, bt.T, B);
        for (int b = 0; b < B; b++) conf[(size_t)bt.labels[b] * C + classifier_predict(cm, b)]++;
    }
    uint64_t right = 0;
    for (int k = 0; k < C; k++) right += conf[(size_t)k * C + k];
    double acc = (double)right / (double)n, f1 = macro_f1(conf, C);
    loss /= (double)n;
    if (!isfinite(loss)) drnn_die(70, "%s: non-finite loss on %s", m->path, data);
    FILE *h = json ? stderr : stdout;
    fprintf(h, "%s on %s %s: accuracy %.4f | macro-F1 %.4f | loss %.4f | %llu examples\n", m->path,
            data, split_name, acc, f1, loss, (unsigned long long)n);
    fprintf(h, "confusion matrix (rows: label, columns: prediction):\n");
    for (int k = 0; k < C; k++) {
        fprintf(h, "  %-16.16s", m->info.labels[k]);
        for (int j = 0; j < C; j++)
            fprintf(h, " %8llu", (unsigned long long)conf[(size_t)k * C + j]);
        fputc('\n', h);
    }
    if (json) {
        printf("{\"accuracy\": %.9g, \"macro_f1\": %.9g, \"loss\": %.9g, \"examples\": %llu, "
               "\"labels\": [",
               acc, f1, loss, (unsigned long long)n);
        for (int k = 0; k < C; k++) {
            printf("%s", k ? ", " : "");
            json_write_string(stdout, m->info.labels[k]);
        }
        printf("], \"confusion\": [");
        for (int k = 0; k < C; k++) {
            printf("%s[", k ? ", " : "");
            for (int j = 0; j < C; j++)
                printf("%s%llu", j ? ", " : "", (unsigned long long)conf[(size_t)k * C + j]);
            printf("]");
        }
        printf("]}\n");
    }
    free(conf);
    cls_batch_free(&bt);
    cls_examples_free(&ex);
    classifier_free(cm);
    corpus_close(c);
    return 0;
}

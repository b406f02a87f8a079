#include "tools/cls_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "io/textfile.h"
#include "io/tokenize.h"
#include "tools/attention_out.h"
#include "tools/confusion.h"
#include "tools/tools.h"
#include "io/metrics.h"
#include "model/classifier.h"
#include "trainer/cls_data.h"

/* S cut to its first W characters (whole UTF-8 sequences: a label may be any text), padded with
 * spaces to W columns, on the left when RIGHT (over a column of counts) or on the right. */
static void put_cell(FILE *h, const char *s, int w, int right) {
    size_t len = 0;
    int cols = 0;
    while (s[len] && cols < w) {
        len++, cols++;
        while (((unsigned char)s[len] & 0xC0) == 0x80) len++; /* the character's other bytes */
    }
    if (right) fprintf(h, "%*s", w - cols, "");
    fprintf(h, "%.*s", (int)len, s);
    if (!right) fprintf(h, "%*s", w - cols, "");
}

int cls_eval_run(const model_file_t *m, const char *data, int split, int batch, int json) {
    char err[8192];
    const model_desc_t *d = &m->info.desc;
    const int C = d->classes;
    const char *split_name = corpus_split_names[split];
    cls_examples_t ex;
    corpus_t *c = confusion_open_split(m, data, split, "labels", &ex);
    const uint64_t n = ex.n;
    int rc;
    classifier_t *cm = classifier_create(d, ex.longest, batch);
    cls_batch_t bt;
    cls_batch_alloc(&bt, ex.longest, batch);
    uint64_t *conf = drnn_calloc((size_t)C * C, sizeof *conf);
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
    double acc = (double)right / (double)n, f1 = confusion_macro_f1(conf, C);
    loss /= (double)n;
    if (!isfinite(loss)) drnn_die(70, "%s: non-finite loss on %s", m->path, data);
    FILE *h = json ? stderr : stdout;
    fprintf(h, "%s on %s %s: accuracy %.4f | macro-F1 %.4f | loss %.4f | %llu examples\n", m->path,
            data, split_name, acc, f1, loss, (unsigned long long)n);
    fprintf(h, "confusion matrix (rows: label, columns: prediction):\n  %16s", "");
    for (int j = 0; j < C; j++) fputc(' ', h), put_cell(h, m->info.labels[j], 8, 1);
    fputc('\n', h);
    for (int k = 0; k < C; k++) {
        fputs("  ", h), put_cell(h, m->info.labels[k], 16, 0);
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

/* What labelling one line needs. */
typedef struct {
    const sample_opts_t *o;
    const model_file_t *mf;
    const tok_vocab_t *tv;
    classifier_t *m;       /* its buffers grow with the longest line so far (model/classifier.h) */
    attention_out_t *attn; /* --attention-out, or NULL */
} labeller_t;

/* One input line: "LABEL<TAB>P" with the most probable label and its probability. */
static int label_line(void *arg, const char *line, size_t len, uint64_t lineno) {
    labeller_t *L = arg;
    if (len && line[len - 1] == '\r') len--;
    uint32_t *ids = NULL;
    size_t n = 0;
    if (tok_encode(L->tv, line, len, &ids, &n, NULL) != 0) drnn_die(70, "out of memory");
    if (n == 0)
        drnn_die(65, "--input %s:%llu: empty line; every line needs text to label", L->o->input,
                 (unsigned long long)lineno);
    int lens[1] = {(int)n};
    classifier_forward(L->m, L->mf->params, ids, lens, NULL, (int)n, 1);
    int best = classifier_predict(L->m, 0);
    printf("%s\t%.6f\n", L->mf->info.labels[best], classifier_probs(L->m)[best]);
    const char *const *v = (const char *const *)L->mf->info.vocab;
    attention_out_line(L->attn, lineno, v, ids, (int)n, v, ids, (int)n, classifier_attention(L->m));
    free(ids);
    return 0;
}

/* Labels every line of o->input (plain, .gz or - for stdin). Returns the exit code. */
static int label_lines(const sample_opts_t *o, const model_file_t *mf, const tok_vocab_t *tv) {
    char err[4400];
    labeller_t L = {o, mf, tv, classifier_create(&mf->info.desc, 1, 1), NULL};
    L.attn = attention_out_open_self(o->attention_out, mf->info.desc.self_attention, mf->path);
    int rc = textfile_lines(o->input, label_line, &L, NULL, err, sizeof err);
    classifier_free(L.m);
    if (rc) drnn_die(rc, "--input: %s", err);
    attention_out_commit(L.attn); /* complete: in place of an earlier file */
    if (fflush(stdout) != 0) drnn_die(74, "cannot write to stdout");
    return 0;
}

static int eval_classifier(const eval_opts_t *o, model_file_t *m) {
    if (!o->data[0])
        drnn_die(64,
                 "--text scores a stream of text; %s is a classifier: use --data CORPUS.h5 "
                 "(drnn-prep --format labels)",
                 m->path);
    return cls_eval_run(m, o->data, o->split_id, o->batch, o->json);
}

static int cls_sample(const sample_opts_t *o, const model_file_t *m, const tok_vocab_t *tv,
                      int kind) {
    (void)kind;
    if (!o->input[0])
        drnn_die(64, "%s is a classifier: give --input FILE (or - for stdin) with lines to label",
                 m->path);
    return label_lines(o, m, tv);
}

const tool_kind_t classifier_tools = {.noun = "classifier",
                                      .eval_options = "data split batch",
                                      .sample_options = "input attention-out",
                                      .eval = eval_classifier,
                                      .sample = cls_sample};

/* tools/tagger_tools.c — the inference tools' row of the sequence tagger (tools/tools.h).
 *
 * drnn-eval --data CORPUS [--split S]: every sentence of a tagged split (drnn-prep --format
 * tags) in batches of --batch: token accuracy, loss per token, and per tag precision, recall,
 * F1 and support, then macro-F1 over the tags that occur in the gold tags or the predictions.
 * drnn-sample --input FILE: one line out per line in, the predicted tag of every
 * whitespace-separated item, space-separated (an item must be one token of the model's
 * vocabulary: a word, or one character for a char model).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "io/metrics.h"
#include "io/textfile.h"
#include "io/tokenize.h"
#include "model/tagger.h"
#include "tools/attention_out.h"
#include "tools/confusion.h"
#include "tools/tools.h"
#include "trainer/cls_data.h"
#include "trainer/model_load.h"

/* The figures of one split: conf [C*C] (rows: gold tag), the loss sum, tokens. */
static void print_report(const eval_opts_t *o, const model_file_t *m, const uint64_t *conf,
                         double loss, uint64_t tokens, uint64_t sentences) {
    const int C = m->info.desc.classes;
    uint64_t right = 0;
    for (int c = 0; c < C; c++) right += conf[(size_t)c * C + c];
    const double acc = (double)right / (double)tokens, f1 = confusion_macro_f1(conf, C);
    FILE *h = o->json ? stderr : stdout;
    fprintf(h,
            "%s on %s %s: token accuracy %.4f | macro-F1 %.4f | loss %.4f | %llu tokens in %llu "
            "sentences\n",
            m->path, o->data, o->split, acc, f1, loss, (unsigned long long)tokens,
            (unsigned long long)sentences);
    fprintf(h, "  %-16s %9s %9s %9s %9s\n", "tag", "precision", "recall", "F1", "support");
    for (int c = 0; c < C; c++) {
        double p, r, f;
        uint64_t sup;
        confusion_class(conf, C, c, &p, &r, &f, &sup);
        fprintf(h, "  %-16.16s %9.4f %9.4f %9.4f %9llu\n", m->info.labels[c], p, r, f,
                (unsigned long long)sup);
    }
    if (!o->json) return;
    printf("{\"accuracy\": %.9g, \"macro_f1\": %.9g, \"loss\": %.9g, \"tokens\": %llu, "
           "\"sentences\": %llu, \"tags\": {",
           acc, f1, loss, (unsigned long long)tokens, (unsigned long long)sentences);
    for (int c = 0; c < C; c++) {
        double p, r, f;
        uint64_t sup;
        confusion_class(conf, C, c, &p, &r, &f, &sup);
        printf("%s", c ? ", " : "");
        json_write_string(stdout, m->info.labels[c]);
        printf(": {\"precision\": %.9g, \"recall\": %.9g, \"f1\": %.9g, \"support\": %llu}", p, r,
               f, (unsigned long long)sup);
    }
    printf("}}\n");
}

static int tagger_eval(const eval_opts_t *o, model_file_t *m) {
    char err[8192];
    if (!o->data[0])
        drnn_die(64,
                 "--text scores a stream of text; %s is a tagger: use --data CORPUS.h5 "
                 "(drnn-prep --format tags)",
                 m->path);
    const model_desc_t *d = &m->info.desc;
    const int C = d->classes;
    cls_examples_t ex;
    corpus_t *c = confusion_open_split(m, o->data, o->split_id, "tags", &ex);
    int rc;
    tagger_t *tm = tagger_create(d, ex.longest, o->batch);
    cls_batch_t bt;
    cls_batch_alloc(&bt, ex.longest, o->batch);
    uint64_t *conf = drnn_calloc((size_t)C * C, sizeof *conf), tokens = 0;
    double loss = 0.0;
    for (uint64_t i = 0; i < ex.n; i += (uint64_t)o->batch) {
        int B = ex.n - i < (uint64_t)o->batch ? (int)(ex.n - i) : o->batch;
        if ((rc = cls_batch_read(&bt, c, &ex, NULL, i, B, err, sizeof err)))
            drnn_die(rc, "%s", err);
        loss += tagger_forward(tm, m->params, bt.tokens, bt.lens, bt.tags, bt.T, B);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < bt.lens[b]; t++) {
                conf[(size_t)bt.tags[(size_t)t * B + b] * C + tagger_predict(tm, t, b)]++;
                tokens++;
            }
    }
    loss /= (double)tokens;
    if (!isfinite(loss)) drnn_die(70, "%s: non-finite loss on %s", m->path, o->data);
    print_report(o, m, conf, loss, tokens, ex.n);
    free(conf);
    cls_batch_free(&bt);
    cls_examples_free(&ex);
    tagger_free(tm);
    corpus_close(c);
    return 0;
}

/* What tagging one line needs. */
typedef struct {
    const sample_opts_t *o;
    const model_file_t *mf;
    const tok_vocab_t *tv;
    tagger_t *m; /* its buffers grow with the longest line so far (model/tagger.h) */
    uint32_t *ids;
    size_t cap;
    attention_out_t *attn; /* --attention-out, or NULL */
} line_tagger_t;

/* The ids of LINE's whitespace-separated items into L->ids; returns their count. */
static size_t line_items(line_tagger_t *L, const char *line, size_t len, uint64_t lineno) {
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
        size_t j = i;
        while (j < len && line[j] != ' ' && line[j] != '\t') j++;
        if (j == i) break;
        uint32_t *one = NULL;
        size_t k = 0;
        if (tok_encode(L->tv, line + i, j - i, &one, &k, NULL) != 0) drnn_die(70, "out of memory");
        if (k != 1)
            drnn_die(65,
                     "--input %s:%llu: '%.*s' is %zu tokens of this model's vocabulary; a tagger "
                     "tags whitespace-separated items of one token each (one character for a "
                     "char model)",
                     L->o->input, (unsigned long long)lineno, (int)(j - i), line + i, k);
        if (n == L->cap) {
            L->cap = L->cap ? 2 * L->cap : 64;
            L->ids = realloc(L->ids, L->cap * sizeof *L->ids);
            if (!L->ids) drnn_die(70, "out of memory");
        }
        L->ids[n++] = one[0];
        free(one);
        i = j;
    }
    return n;
}

/* One input line: the tag of each of its items, space-separated. */
static int tag_line(void *arg, const char *line, size_t len, uint64_t lineno) {
    line_tagger_t *L = arg;
    if (len && line[len - 1] == '\r') len--;
    size_t n = line_items(L, line, len, lineno);
    if (n == 0)
        drnn_die(65, "--input %s:%llu: empty line; every line needs items to tag", L->o->input,
                 (unsigned long long)lineno);
    int lens[1] = {(int)n};
    tagger_forward(L->m, L->mf->params, L->ids, lens, NULL, (int)n, 1);
    for (size_t t = 0; t < n; t++)
        printf("%s%s", t ? " " : "", L->mf->info.labels[tagger_predict(L->m, (int)t, 0)]);
    putchar('\n');
    const char *const *v = (const char *const *)L->mf->info.vocab;
    attention_out_line(L->attn, lineno, v, L->ids, (int)n, v, L->ids, (int)n,
                       tagger_attention(L->m));
    return 0;
}

static int tagger_sample(const sample_opts_t *o, const model_file_t *m, const tok_vocab_t *tv,
                         int kind) {
    (void)kind;
    if (!o->input[0])
        drnn_die(64, "%s is a tagger: give --input FILE (or - for stdin) with lines to tag",
                 m->path);
    char err[4400];
    line_tagger_t L = {o, m, tv, tagger_create(&m->info.desc, 1, 1), NULL, 0, NULL};
    L.attn = attention_out_open_self(o->attention_out, m->info.desc.self_attention, m->path);
    int rc = textfile_lines(o->input, tag_line, &L, NULL, err, sizeof err);
    tagger_free(L.m);
    free(L.ids);
    if (rc) drnn_die(rc, "--input: %s", err);
    attention_out_commit(L.attn); /* complete: in place of an earlier file */
    if (fflush(stdout) != 0) drnn_die(74, "cannot write to stdout");
    return 0;
}

const tool_kind_t tagger_tools = {.noun = "tagger",
                                  .eval_options = "data split batch",
                                  .sample_options = "input attention-out",
                                  .eval = tagger_eval,
                                  .sample = tagger_sample};

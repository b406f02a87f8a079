/* The sequence tagger on the training seam (trainer/kind.h, DESIGN §5).
 *
 * Data and order as the classifier's (trainer/cls_data.h): each epoch's batches from
 * cls_epoch_order, rank r taking slots [r·Bl, (r+1)·Bl) of each global batch of B sentences.
 * The loss is the mean over the real tokens of the global batch (every rank counts them from
 * the shared order), so N ranks equal one rank; the data position is a function of the step.
 * Validation: loss and token accuracy over the valid sentences sorted by length, rank r scoring
 * the slice [r·n/N, (r+1)·n/N).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "io/tokenize.h"
#include "model/tagger.h"
#include "trainer/cls_data.h"
#include "trainer/kind.h"

/* kind_sums_t: tokens tagged right, after loss, count (real tokens) and tokens. */
#define TAG_CORRECT 3
#define TAG_NSUMS   4

struct kind_ctx {
    kind_env_t env;
    tagger_t *m;
    cls_feed_t feed; /* sentences, their order, the loaded batch */
    double norm;     /* real tokens of the loaded global batch */
};

static int tag_describe(model_desc_t *d, const kind_opts_t *o, const corpus_t *c, char *err,
                        size_t errlen) {
    int rc = kind_describe_common(d, o, c, err, errlen);
    if (rc) return rc;
    d->classes = corpus_num_labels(c);
    if (d->classes < 2)
        return drnn_errf(err, errlen, 65, "--data %s has %d tag(s); a tagger needs at least 2",
                         o->data, d->classes);
    rc = kind_check_full_softmax(o, err, errlen);
    return rc ? rc : kind_check_layer_dropout(o, err, errlen);
}

static void tag_close(kind_ctx_t *k) {
    if (!k) return;
    tagger_free(k->m);
    cls_feed_close(&k->feed);
    free(k);
}

static int tag_open(kind_ctx_t **out, const model_desc_t *d, const kind_env_t *env, char *err,
                    size_t errlen) {
    int rc = kind_check_batch_ranks(env, err, errlen);
    if (rc) return rc;
    kind_ctx_t *k = drnn_calloc(1, sizeof *k);
    *out = k;
    k->env = *env;
    rc = cls_feed_open(&k->feed, env->corpus, env->o->data, "sentences", env->B, env->rank,
                       env->nranks, env->o->seed, err, errlen);
    if (rc) return rc;
    kind_report_truncated(env, cls_feed_cap(&k->feed, env->o->truncate));
    k->m = tagger_create(d, 1, env->Bl); /* its arenas grow with the batches */
    return 0;
}

static void *tag_model(kind_ctx_t *k) {
    return k->m;
}

static long tag_spe(const kind_ctx_t *k) {
    return k->feed.spe;
}

/* This rank's share of the batch, and the global batch's real tokens: the loss's divisor. */
static int tag_load_batch(kind_ctx_t *k, long step, char *err, size_t errlen) {
    const uint64_t *global;
    int rc = cls_feed_load(&k->feed, step, &global, err, errlen);
    k->norm = 0.0;
    for (int j = 0; j < k->env.B; j++) k->norm += cls_example_len(&k->feed.train, global[j]);
    return rc;
}

static double tag_batch_norm(const kind_ctx_t *k) {
    return k->norm;
}

/* Adds the loaded batch's real tokens and how many of them got their tag. */
static void tally(const kind_ctx_t *k, kind_sums_t *s) {
    const cls_batch_t *b = &k->feed.batch;
    for (int i = 0; i < b->n; i++) {
        for (int t = 0; t < b->lens[i]; t++)
            s->v[TAG_CORRECT] += tagger_predict(k->m, t, i) == (int)b->tags[(size_t)t * b->n + i];
        s->v[KIND_COUNT] += b->lens[i];
        s->v[KIND_TOKENS] += b->lens[i];
    }
}

static void tag_step(kind_ctx_t *k, const float *params, float *grads, long step, float scale,
                     kind_sums_t *s) {
    const kind_opts_t *o = k->env.o;
    tagger_set_dropout(k->m, (float)o->dropout, o->seed, (uint32_t)step,
                       (uint32_t)(k->env.rank * k->env.Bl));
    memset(s, 0, sizeof *s);
    const cls_batch_t *b = &k->feed.batch;
    s->v[KIND_LOSS] = tagger_forward(k->m, params, b->tokens, b->lens, b->tags, b->T, b->n);
    tally(k, s); /* before backward overwrites the probabilities */
    tagger_backward(k->m, params, grads, scale);
}

static int tag_has_valid(const kind_ctx_t *k) {
    return k->feed.valid.n > 0;
}

static int tag_evaluate(kind_ctx_t *k, const float *params, kind_sums_t *s, char *err,
                        size_t errlen) {
    uint64_t lo, hi;
    cls_feed_valid_slice(&k->feed, &lo, &hi);
    memset(s, 0, sizeof *s);
    for (uint64_t i = lo; i < hi; i += (uint64_t)k->env.Bl) {
        int m = hi - i < (uint64_t)k->env.Bl ? (int)(hi - i) : k->env.Bl;
        const cls_batch_t *b = &k->feed.batch;
        int rc = cls_feed_load_valid(&k->feed, i, m, err, errlen);
        if (rc) return rc;
        tagger_set_dropout(k->m, 0.0f, 0, 0, 0);
        s->v[KIND_LOSS] += tagger_forward(k->m, params, b->tokens, b->lens, b->tags, b->T, m);
        tally(k, s);
    }
    return 0;
}

static void tag_eval_report(const kind_sums_t *s, char *text, size_t tn, char *json, size_t jn) {
    const double n = s->v[KIND_COUNT], loss = s->v[KIND_LOSS] / n, acc = s->v[TAG_CORRECT] / n;
    snprintf(text, tn, "loss %.4f | accuracy %.4f (%.0f tokens)", loss, acc, n);
    snprintf(json, jn, "\"loss\": %.9g, \"accuracy\": %.9g", loss, acc);
}

static double tag_metric(const kind_sums_t *s, const char *name) {
    return s->v[strcmp(name, "loss") == 0 ? KIND_LOSS : TAG_CORRECT] / s->v[KIND_COUNT];
}

/* "  LABEL: T1 T2 ..." for the first 20 tags [n] of names. */
static void print_tags(const char *label, const char *const *names, const uint32_t *tags, int n) {
    printf("  %s:", label);
    for (int t = 0; t < n && t < 20; t++) printf(" %s", names[tags[t]]);
    printf("%s\n", n > 20 ? " ..." : "");
}

/* --sample-every: the first 3 validation sentences (file order), the tags the model predicts
 * next to the true ones. It reads them into the feed's batch, which the next step loads
 * afresh. */
static int tag_sample(kind_ctx_t *k, const float *params, long step, char *err, size_t errlen) {
    corpus_t *c = k->env.corpus;
    tok_vocab_t *tv = kind_sample_vocab(c, 0, err, errlen);
    if (!tv) return 65;
    const char *const *names = corpus_label_names(c);
    const cls_batch_t *b = &k->feed.batch;
    const int n = k->feed.valid.n < 3 ? (int)k->feed.valid.n : 3;
    printf("drnn-train: sample at step %ld (the first %d validation sentences):\n", step, n);
    uint32_t pred[20];
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        rc = cls_batch_read(&k->feed.batch, c, &k->feed.valid, NULL, (uint64_t)i, 1, err, errlen);
        if (rc) break;
        tagger_forward(k->m, params, b->tokens, b->lens, NULL, b->T, 1); /* no dropout */
        for (int t = 0; t < b->lens[0] && t < 20; t++)
            pred[t] = (uint32_t)tagger_predict(k->m, t, 0);
        kind_sample_line("  text     : ", tv, b->tokens, (size_t)b->lens[0]);
        print_tags("predicted", names, pred, b->lens[0]);
        print_tags("truth    ", names, b->tags, b->lens[0]);
    }
    tok_vocab_free(tv);
    return rc;
}

const train_kind_t tagger_train_kind = {
    .data = "tags",
    .options = "cell embed hidden layers bidirectional residual self-attention dropout truncate",
    .nsums = TAG_NSUMS,
    .describe = tag_describe,
    .open = tag_open,
    .close = tag_close,
    .model = tag_model,
    .steps_per_epoch = tag_spe,
    .load_batch = tag_load_batch,
    .batch_norm = tag_batch_norm,
    .forward_backward = tag_step,
    .step_report = kind_report_accuracy,
    .has_valid = tag_has_valid,
    .evaluate = tag_evaluate,
    .eval_report = tag_eval_report,
    .metrics = "accuracy loss",
    .higher_better = "accuracy",
    .metric = tag_metric,
    .sample = tag_sample,
};

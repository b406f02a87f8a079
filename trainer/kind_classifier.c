/* The sentence classifier on the training seam (trainer/kind.h, DESIGN §5).
 *
 * Epoch e's order is trainer/cls_data.h's cls_epoch_order: every rank computes the same order;
 * rank r takes slots [r·Bl, (r+1)·Bl) of each global batch of B. The loss is the mean over the B
 * examples of the global batch, so N ranks equal one rank. The data position is a function of
 * the step alone: a resumed run, on any rank count, continues with the very next batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/classifier.h"
#include "model/rng.h"
#include "base/util.h"
#include "io/tokenize.h"
#include "trainer/cls_data.h"
#include "trainer/kind.h"

/* kind_sums_t: predictions equal to the label, after loss, count and tokens. */
#define CLS_CORRECT 3
#define CLS_NSUMS   4

struct kind_ctx {
    kind_env_t env;
    classifier_t *m;
    cls_feed_t feed; /* examples, their order, the loaded batch */
};

static int cls_describe(model_desc_t *d, const kind_opts_t *o, const corpus_t *c, char *err,
                        size_t errlen) {
    int rc = kind_describe_common(d, o, c, err, errlen);
    if (rc) return rc;
    d->classes = corpus_num_labels(c);
    d->pool = model_pool_parse(o->pool);
    if (d->pool < 0)
        return drnn_errf(err, errlen, 64, "--pool %s: expected last, mean or max", o->pool);
    if (d->classes < 2)
        return drnn_errf(err, errlen, 65,
                         "--data %s has %d label(s); a classifier needs at least 2", o->data,
                         d->classes);
    rc = kind_check_full_softmax(o, err, errlen);
    return rc ? rc : kind_check_layer_dropout(o, err, errlen);
}

static void cls_close(kind_ctx_t *k) {
    if (!k) return;
    classifier_free(k->m);
    cls_feed_close(&k->feed);
    free(k);
}

static int cls_open(kind_ctx_t **out, const model_desc_t *d, const kind_env_t *env, char *err,
                    size_t errlen) {
    int rc = kind_check_batch_ranks(env, err, errlen);
    if (rc) return rc;
    kind_ctx_t *k = drnn_calloc(1, sizeof *k);
    *out = k;
    k->env = *env;
    rc = cls_feed_open(&k->feed, env->corpus, env->o->data, "examples", env->B, env->rank,
                       env->nranks, env->o->seed, err, errlen);
    if (rc) return rc;
    kind_report_truncated(env, cls_feed_cap(&k->feed, env->o->truncate));
    k->m = classifier_create(d, 1, env->Bl); /* its arenas grow with the batches */
    return 0;
}

static void *cls_model(kind_ctx_t *k) {
    return k->m;
}

static long cls_spe(const kind_ctx_t *k) {
    return k->feed.spe;
}

static int cls_load_batch(kind_ctx_t *k, long step, char *err, size_t errlen) {
    const uint64_t *global;
    return cls_feed_load(&k->feed, step, &global, err, errlen);
}

static double cls_batch_norm(const kind_ctx_t *k) {
    return (double)k->env.B;
}

/* Adds the loaded batch's token count and how many predictions equal the label. */
static void tally(const kind_ctx_t *k, kind_sums_t *s) {
    const cls_batch_t *b = &k->feed.batch;
    for (int i = 0; i < b->n; i++) {
        s->v[CLS_CORRECT] += classifier_predict(k->m, i) == (int)b->labels[i];
        s->v[KIND_TOKENS] += b->lens[i];
    }
    s->v[KIND_COUNT] += b->n;
}

static void cls_step(kind_ctx_t *k, const float *params, float *grads, long step, float scale,
                     kind_sums_t *s) {
    const kind_opts_t *o = k->env.o;
    const int Bl = k->env.Bl;
    classifier_set_dropout(k->m, (float)o->dropout, o->seed, (uint32_t)step,
                           (uint32_t)(k->env.rank * Bl));
    memset(s, 0, sizeof *s);
    const cls_batch_t *b = &k->feed.batch;
    s->v[KIND_LOSS] = classifier_forward(k->m, params, b->tokens, b->lens, b->labels, b->T, Bl);
    tally(k, s); /* before backward overwrites the probabilities */
    classifier_backward(k->m, params, grads, scale);
}

static int cls_has_valid(const kind_ctx_t *k) {
    return k->feed.valid.n > 0;
}

/* Rank r scores the contiguous slice [r·n/N, (r+1)·n/N) of the valid examples sorted by length,
 * in batches of Bl. */
static int cls_evaluate(kind_ctx_t *k, const float *params, kind_sums_t *s, char *err,
                        size_t errlen) {
    uint64_t lo, hi;
    cls_feed_valid_slice(&k->feed, &lo, &hi);
    memset(s, 0, sizeof *s);
    classifier_set_dropout(k->m, 0.0f, 0, 0, 0);
    for (uint64_t i = lo; i < hi; i += (uint64_t)k->env.Bl) {
        int m = hi - i < (uint64_t)k->env.Bl ? (int)(hi - i) : k->env.Bl;
        const cls_batch_t *b = &k->feed.batch;
        int rc = cls_feed_load_valid(&k->feed, i, m, err, errlen);
        if (rc) return rc;
        s->v[KIND_LOSS] += classifier_forward(k->m, params, b->tokens, b->lens, b->labels, b->T, m);
        tally(k, s);
    }
    return 0;
}

static void cls_eval_report(const kind_sums_t *s, char *text, size_t tn, char *json, size_t jn) {
    double loss = s->v[KIND_LOSS] / s->v[KIND_COUNT], acc = s->v[CLS_CORRECT] / s->v[KIND_COUNT];
    snprintf(text, tn, "loss %.4f | accuracy %.4f (%.0f examples)", loss, acc, s->v[KIND_COUNT]);
    snprintf(json, jn, "\"loss\": %.9g, \"accuracy\": %.9g", loss, acc);
}

static double cls_metric(const kind_sums_t *s, const char *name) {
    return s->v[strcmp(name, "loss") == 0 ? KIND_LOSS : CLS_CORRECT] / s->v[KIND_COUNT];
}

/* --sample-every: the first 3 validation examples (file order), the label the model predicts
 * next to the truth. It reads them into the feed's batch, which the next step loads afresh. */
static int cls_sample(kind_ctx_t *k, const float *params, long step, char *err, size_t errlen) {
    corpus_t *c = k->env.corpus;
    tok_vocab_t *tv = kind_sample_vocab(c, 0, err, errlen);
    if (!tv) return 65;
    const char *const *names = corpus_label_names(c);
    const cls_batch_t *b = &k->feed.batch;
    const int n = k->feed.valid.n < 3 ? (int)k->feed.valid.n : 3;
    printf("drnn-train: sample at step %ld (the first %d validation examples):\n", step, n);
    classifier_set_dropout(k->m, 0.0f, 0, 0, 0);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        rc = cls_batch_read(&k->feed.batch, c, &k->feed.valid, NULL, (uint64_t)i, 1, err, errlen);
        if (rc) break;
        classifier_forward(k->m, params, b->tokens, b->lens, NULL, b->T, 1);
        char prefix[256];
        snprintf(prefix, sizeof prefix, "  predicted %s | truth %s | ",
                 names[classifier_predict(k->m, 0)], names[b->labels[0]]);
        kind_sample_line(prefix, tv, b->tokens, (size_t)b->lens[0]);
    }
    tok_vocab_free(tv);
    return rc;
}

const train_kind_t classifier_train_kind = {
    .data = "labels",
    .options =
        "cell embed hidden layers bidirectional residual self-attention dropout pool truncate",
    .nsums = CLS_NSUMS,
    .step_report = kind_report_accuracy,
    .describe = cls_describe,
    .open = cls_open,
    .close = cls_close,
    .model = cls_model,
    .steps_per_epoch = cls_spe,
    .load_batch = cls_load_batch,
    .batch_norm = cls_batch_norm,
    .forward_backward = cls_step,
    .has_valid = cls_has_valid,
    .evaluate = cls_evaluate,
    .eval_report = cls_eval_report,
    .metrics = "accuracy loss",
    .higher_better = "accuracy",
    .metric = cls_metric,
    .sample = cls_sample,
};

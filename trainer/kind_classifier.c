/* The sentence classifier on the training seam (trainer/kind.h, DESIGN §5).
 *
 * Epoch e's order is a Philox permutation of the train examples keyed by (seed, e); the first
 * ⌊n/B⌋·B of it are cut into pools of CLS_POOL_BATCHES batches, each pool sorted by length
 * (stable) so a batch holds examples of similar length and padding stays small, and the batches
 * are then taken in an order drawn from (seed, e) too. Every rank computes the same order; rank
 * r takes slots [r·Bl, (r+1)·Bl) of each global batch of B. The loss is the mean over the B
 * examples of the global batch, so N ranks equal one rank. The data position is a function of
 * the step alone: a resumed run, on any rank count, continues with the very next batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/classifier.h"
#include "model/rng.h"
#include "model/util.h"
#include "trainer/kind.h"

#define CLS_POOL_BATCHES 50

typedef struct {
    uint64_t n, *off; /* examples, offsets [n+1] */
    uint32_t *labels; /* [n] */
} examples_t;

struct kind_ctx {
    kind_env_t env;
    classifier_t *m;
    int Tmax;
    long spe, epoch; /* steps per epoch; epoch whose order is in `order` (-1: none) */
    examples_t train, valid;
    uint64_t *order;  /* [spe * B] example ids of the current epoch, batch after batch */
    uint64_t *vorder; /* [valid.n] valid ids sorted by length */
    uint32_t *tokens, *labels, *row; /* [Tmax*Bl], [Bl], [Tmax] */
    int *lens, T;                    /* [Bl]; the loaded batch's longest row */
};

static int cls_describe(model_desc_t *d, const train_opts_t *o, const corpus_t *c, char *err,
                        size_t errlen) {
    memset(d, 0, sizeof *d);
    snprintf(d->kind, sizeof d->kind, "classifier");
    d->cell = cell_parse(o->cell);
    d->vocab = corpus_vocab_size(c);
    d->embed = o->embed, d->hidden = o->hidden, d->layers = o->layers;
    d->bidirectional = o->bidirectional;
    d->classes = corpus_num_labels(c);
    d->pool = model_pool_parse(o->pool);
    if (d->pool < 0)
        return drnn_errf(err, errlen, 64, "--pool %s: expected last, mean or max", o->pool);
    if (d->classes < 2)
        return drnn_errf(err, errlen, 65,
                         "--data %s has %d label(s); a classifier needs at least 2", o->data,
                         d->classes);
    return 0;
}

static void cls_close(kind_ctx_t *k) {
    if (!k) return;
    classifier_free(k->m);
    free(k->train.off), free(k->train.labels), free(k->valid.off), free(k->valid.labels);
    free(k->order), free(k->vorder), free(k->tokens), free(k->labels), free(k->row), free(k->lens);
    free(k);
}

static uint64_t ex_len(const examples_t *e, uint64_t i) {
    return e->off[i + 1] - e->off[i];
}

static int read_split(examples_t *e, corpus_t *c, int split, int *Tmax, char *err, size_t errlen) {
    e->n = corpus_split_examples(c, split);
    if (e->n == 0) return 0;
    e->off = malloc((e->n + 1) * sizeof *e->off);
    e->labels = malloc(e->n * sizeof *e->labels);
    if (!e->off || !e->labels) return drnn_errf(err, errlen, 70, "out of memory for the examples");
    int rc = corpus_read_examples(c, split, e->off, e->labels, err, errlen);
    for (uint64_t i = 0; !rc && i < e->n; i++) {
        uint64_t len = ex_len(e, i);
        if (len == 0 || len > (1u << 20))
            return drnn_errf(err, errlen, 65, "corpus %s: %s example %llu has %llu tokens",
                             corpus_path(c), corpus_split_names[split], (unsigned long long)i,
                             (unsigned long long)len);
        if ((int)len > *Tmax) *Tmax = (int)len;
    }
    return rc;
}

/* qsort context-free: sort pairs (length, position) so ties keep their order. */
typedef struct {
    uint64_t len, pos, id;
} keyed_t;
static int by_len(const void *a, const void *b) {
    const keyed_t *x = a, *y = b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The order of `epoch` into k->order (see the file comment). */
static void make_order(kind_ctx_t *k, long epoch) {
    const uint64_t n = k->train.n, B = (uint64_t)k->env.B, nb = (uint64_t)k->spe;
    const uint64_t seed = k->env.o->seed;
    uint64_t *perm = model_calloc(n, sizeof *perm);
    for (uint64_t i = 0; i < n; i++) perm[i] = i;
    for (uint64_t i = n - 1; i > 0; i--) { /* Fisher-Yates from Philox (seed, epoch) */
        uint64_t r = ((uint64_t)rng_u32(seed, RNG_SHUFFLE, (uint32_t)epoch, 0, 2 * i) << 32 |
                      rng_u32(seed, RNG_SHUFFLE, (uint32_t)epoch, 0, 2 * i + 1)) %
                     (i + 1);
        uint64_t t = perm[i];
        perm[i] = perm[r], perm[r] = t;
    }
    keyed_t *kv = model_calloc(nb * B, sizeof *kv);
    for (uint64_t i = 0; i < nb * B; i++) kv[i] = (keyed_t){ex_len(&k->train, perm[i]), i, perm[i]};
    for (uint64_t p = 0; p < nb * B; p += CLS_POOL_BATCHES * B) {
        uint64_t m = nb * B - p < CLS_POOL_BATCHES * B ? nb * B - p : CLS_POOL_BATCHES * B;
        qsort(kv + p, m, sizeof *kv, by_len);
    }
    uint64_t *bo = model_calloc(nb, sizeof *bo); /* batch order */
    for (uint64_t i = 0; i < nb; i++) bo[i] = i;
    for (uint64_t i = nb - 1; i > 0; i--) {
        uint64_t r = rng_u32(seed, RNG_SHUFFLE, (uint32_t)epoch, 1, i) % (i + 1);
        uint64_t t = bo[i];
        bo[i] = bo[r], bo[r] = t;
    }
    for (uint64_t b = 0; b < nb; b++)
        for (uint64_t j = 0; j < B; j++) k->order[b * B + j] = kv[bo[b] * B + j].id;
    free(perm), free(kv), free(bo);
    k->epoch = epoch;
}

static int cls_open(kind_ctx_t **out, const model_desc_t *d, const kind_env_t *env, char *err,
                    size_t errlen) {
    kind_ctx_t *k = model_calloc(1, sizeof *k);
    *out = k;
    k->env = *env, k->epoch = -1;
    int rc = read_split(&k->train, env->corpus, CORPUS_TRAIN, &k->Tmax, err, errlen);
    if (!rc) rc = read_split(&k->valid, env->corpus, CORPUS_VALID, &k->Tmax, err, errlen);
    if (rc) return rc;
    if (k->train.n < (uint64_t)env->B)
        return drnn_errf(err, errlen, 64,
                         "--data %s: the train split has %llu examples, fewer than --batch %d; "
                         "lower --batch",
                         env->o->data, (unsigned long long)k->train.n, env->B);
    k->spe = (long)(k->train.n / (uint64_t)env->B);
    k->order = model_calloc((size_t)k->spe * env->B, sizeof *k->order);
    k->vorder = model_calloc(k->valid.n + 1, sizeof *k->vorder);
    keyed_t *kv = model_calloc(k->valid.n + 1, sizeof *kv);
    for (uint64_t i = 0; i < k->valid.n; i++) kv[i] = (keyed_t){ex_len(&k->valid, i), i, i};
    qsort(kv, k->valid.n, sizeof *kv, by_len);
    for (uint64_t i = 0; i < k->valid.n; i++) k->vorder[i] = kv[i].id;
    free(kv);
    k->m = classifier_create(d, k->Tmax, env->Bl);
    k->tokens = model_calloc((size_t)k->Tmax * env->Bl, sizeof *k->tokens);
    k->labels = model_calloc((size_t)env->Bl, sizeof *k->labels);
    k->row = model_calloc((size_t)k->Tmax, sizeof *k->row);
    k->lens = model_calloc((size_t)env->Bl, sizeof *k->lens);
    return 0;
}

static void *cls_model(kind_ctx_t *k) {
    return k->m;
}

static long cls_spe(const kind_ctx_t *k) {
    return k->spe;
}

/* Examples ids[0..n) of split into tokens [T*n] time-major, lens, labels; k->T = longest. */
static int load_examples(kind_ctx_t *k, int split, const examples_t *e, const uint64_t *ids, int n,
                         char *err, size_t errlen) {
    int T = 0;
    for (int b = 0; b < n; b++) {
        k->lens[b] = (int)ex_len(e, ids[b]);
        k->labels[b] = e->labels[ids[b]];
        T = k->lens[b] > T ? k->lens[b] : T;
    }
    for (int b = 0; b < n; b++) {
        int rc = corpus_read(k->env.corpus, split, e->off[ids[b]], (uint64_t)k->lens[b], k->row,
                             err, errlen);
        if (rc) return rc;
        for (int t = 0; t < T; t++) k->tokens[(size_t)t * n + b] = t < k->lens[b] ? k->row[t] : 0;
    }
    k->T = T;
    return 0;
}

static int cls_load_batch(kind_ctx_t *k, long step, char *err, size_t errlen) {
    long epoch = (step - 1) / k->spe, i = (step - 1) % k->spe;
    if (epoch != k->epoch) make_order(k, epoch);
    const uint64_t *ids = k->order + (size_t)i * k->env.B + (size_t)k->env.rank * k->env.Bl;
    return load_examples(k, CORPUS_TRAIN, &k->train, ids, k->env.Bl, err, errlen);
}

static double cls_batch_norm(const kind_ctx_t *k) {
    return (double)k->env.B;
}

/* Adds the rows' token count and how many argmax predictions equal the label. */
static void tally(const kind_ctx_t *k, int n, kind_sums_t *s) {
    const float *p = classifier_probs(k->m);
    const int C = k->env.corpus ? corpus_num_labels(k->env.corpus) : 0;
    for (int b = 0; b < n; b++) {
        int best = 0;
        for (int c = 1; c < C; c++)
            if (p[(size_t)b * C + c] > p[(size_t)b * C + best]) best = c;
        s->correct += best == (int)k->labels[b];
        s->tokens += k->lens[b];
    }
    s->count += n;
}

static void cls_step(kind_ctx_t *k, const float *params, float *grads, long step, float scale,
                     kind_sums_t *s) {
    const train_opts_t *o = k->env.o;
    const int Bl = k->env.Bl;
    classifier_set_dropout(k->m, (float)o->dropout, o->seed, (uint32_t)step,
                           (uint32_t)(k->env.rank * Bl));
    memset(s, 0, sizeof *s);
    s->loss = classifier_forward(k->m, params, k->tokens, k->lens, k->labels, k->T, Bl);
    tally(k, Bl, s); /* before backward overwrites the probabilities */
    classifier_backward(k->m, params, grads, scale);
}

static int cls_has_valid(const kind_ctx_t *k) {
    return k->valid.n > 0;
}

/* Rank r scores the contiguous slice [r·n/N, (r+1)·n/N) of the valid examples sorted by length,
 * in batches of Bl. */
static int cls_evaluate(kind_ctx_t *k, const float *params, kind_sums_t *s, char *err,
                        size_t errlen) {
    const uint64_t n = k->valid.n, N = (uint64_t)k->env.nranks, r = (uint64_t)k->env.rank;
    uint64_t lo = n * r / N, hi = n * (r + 1) / N;
    memset(s, 0, sizeof *s);
    classifier_set_dropout(k->m, 0.0f, 0, 0, 0);
    for (uint64_t i = lo; i < hi; i += (uint64_t)k->env.Bl) {
        int m = hi - i < (uint64_t)k->env.Bl ? (int)(hi - i) : k->env.Bl;
        int rc = load_examples(k, CORPUS_VALID, &k->valid, k->vorder + i, m, err, errlen);
        if (rc) return rc;
        s->loss += classifier_forward(k->m, params, k->tokens, k->lens, k->labels, k->T, m);
        tally(k, m, s);
    }
    return 0;
}

static int cls_no_state(const kind_ctx_t *k) {
    (void)k;
    return 0;
}

const train_kind_t train_kind_classifier = {
    .name = "classifier",
    .data = "labels",
    .has_accuracy = 1,
    .uses_seq_len = 0,
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
    .state_items = cls_no_state,
    .state_floats = cls_no_state,
    .state_has_c = cls_no_state,
    .state_pack = NULL,
    .state_unpack = NULL,
};

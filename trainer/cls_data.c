#include "trainer/cls_data.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "model/rng.h"

int cls_examples_read(cls_examples_t *e, corpus_t *c, int split, char *err, size_t errlen) {
    memset(e, 0, sizeof *e);
    e->split = split;
    e->n = corpus_split_examples(c, split);
    if (e->n == 0) return 0;
    e->tagged = strcmp(corpus_data_kind(c), "tags") == 0;
    e->off = malloc((e->n + 1) * sizeof *e->off);
    e->labels = e->tagged ? NULL : malloc(e->n * sizeof *e->labels);
    if (!e->off || (!e->tagged && !e->labels))
        return drnn_errf(err, errlen, 70, "out of memory for %llu examples",
                         (unsigned long long)e->n);
    int rc = corpus_read_examples(c, split, e->off, e->labels, err, errlen);
    for (uint64_t i = 0; !rc && i < e->n; i++) {
        uint64_t len = e->off[i + 1] - e->off[i];
        if (len == 0 || len > (1u << 20))
            return drnn_errf(err, errlen, 65, "corpus %s: %s example %llu has %llu tokens",
                             corpus_path(c), corpus_split_names[split], (unsigned long long)i,
                             (unsigned long long)len);
        if ((int)len > e->longest) e->longest = (int)len;
    }
    return rc;
}

void cls_examples_cap(cls_examples_t *e, int cap) {
    if (cap <= 0) return;
    e->cap = cap, e->capped = 0, e->longest = 0;
    for (uint64_t i = 0; i < e->n; i++) {
        e->capped += e->off[i + 1] - e->off[i] > (uint64_t)cap;
        if (cls_example_len(e, i) > e->longest) e->longest = cls_example_len(e, i);
    }
}

int cls_example_len(const cls_examples_t *e, uint64_t i) {
    uint64_t len = e->off[i + 1] - e->off[i];
    return e->cap > 0 && len > (uint64_t)e->cap ? e->cap : (int)len;
}

void cls_examples_free(cls_examples_t *e) {
    free(e->off), free(e->labels);
    memset(e, 0, sizeof *e);
}

struct cls_span {
    uint64_t off;
    int row;
};

/* Grows b's buffers to `tokens` padded tokens and `rows` rows (cls_batch_read's sizes). */
static void batch_reserve(cls_batch_t *b, size_t tokens, size_t rows) {
    if (drnn_cap_raise(&b->ncap, tokens)) {
        free(b->tokens), free(b->tags), free(b->flat);
        b->tokens = drnn_calloc(b->ncap, sizeof *b->tokens);
        b->tags = drnn_calloc(b->ncap, sizeof *b->tags);
        b->flat = drnn_calloc(b->ncap, sizeof *b->flat);
    }
    if (drnn_cap_raise(&b->bcap, rows)) {
        free(b->labels), free(b->lens), free(b->spans), free(b->roff), free(b->rlen), free(b->at);
        b->labels = drnn_calloc(b->bcap, sizeof *b->labels);
        b->lens = drnn_calloc(b->bcap, sizeof *b->lens);
        b->spans = drnn_calloc(b->bcap, sizeof *b->spans);
        b->roff = drnn_calloc(b->bcap, sizeof *b->roff);
        b->rlen = drnn_calloc(b->bcap, sizeof *b->rlen);
        b->at = drnn_calloc(b->bcap, sizeof *b->at);
    }
}

void cls_batch_alloc(cls_batch_t *b, int Tmax, int Bmax) {
    memset(b, 0, sizeof *b);
    batch_reserve(b, (size_t)Tmax * Bmax, (size_t)Bmax);
}

void cls_batch_free(cls_batch_t *b) {
    free(b->tokens), free(b->labels), free(b->tags), free(b->lens);
    free(b->flat), free(b->spans), free(b->roff), free(b->rlen), free(b->at);
    memset(b, 0, sizeof *b);
}

static int by_off(const void *a, const void *b) {
    const struct cls_span *x = a, *y = b;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* The rows' token ranges sorted by offset and merged where they touch or overlap (an example
 * read twice, or one cut by the cap and its neighbour) into b->roff/rlen; b->at[i] is where row
 * i's tokens start among the merged ranges read one after another. Returns the range count. */
static int batch_ranges(cls_batch_t *b, const cls_examples_t *e, const uint64_t *ids,
                        uint64_t first, int n) {
    for (int i = 0; i < n; i++)
        b->spans[i] = (struct cls_span){e->off[ids ? ids[i] : first + (uint64_t)i], i};
    qsort(b->spans, (size_t)n, sizeof *b->spans, by_off);
    int nr = 0;
    size_t base = 0; /* start of the last range in the flat buffer */
    for (int j = 0; j < n; j++) {
        const uint64_t lo = b->spans[j].off, hi = lo + (uint64_t)b->lens[b->spans[j].row];
        if (nr > 0 && lo <= b->roff[nr - 1] + b->rlen[nr - 1]) {
            uint64_t end = b->roff[nr - 1] + b->rlen[nr - 1];
            b->rlen[nr - 1] = (hi > end ? hi : end) - b->roff[nr - 1];
        } else {
            if (nr > 0) base += b->rlen[nr - 1];
            b->roff[nr] = lo, b->rlen[nr] = hi - lo, nr++;
        }
        b->at[b->spans[j].row] = base + (size_t)(lo - b->roff[nr - 1]);
    }
    return nr;
}

int cls_batch_read(cls_batch_t *b, corpus_t *c, const cls_examples_t *e, const uint64_t *ids,
                   uint64_t first, int n, char *err, size_t errlen) {
    int T = 0;
    batch_reserve(b, 0, (size_t)n);
    for (int i = 0; i < n; i++) {
        uint64_t id = ids ? ids[i] : first + (uint64_t)i;
        b->lens[i] = cls_example_len(e, id);
        b->labels[i] = e->labels ? e->labels[id] : 0;
        T = b->lens[i] > T ? b->lens[i] : T;
    }
    batch_reserve(b, (size_t)T * n, (size_t)n); /* the merged ranges hold at most T*n too */
    const int nr = batch_ranges(b, e, ids, first, n);
    for (int pass = 0; pass <= e->tagged; pass++) { /* tokens, then the tags of tagged data */
        uint32_t *dst = pass ? b->tags : b->tokens;
        int rc = corpus_read_ranges(c, e->split, pass, nr, b->roff, b->rlen, b->flat, err, errlen);
        if (rc) return rc;
        for (int i = 0; i < n; i++) {
            const uint32_t *src = b->flat + b->at[i];
            for (int t = 0; t < T; t++) dst[(size_t)t * n + i] = t < b->lens[i] ? src[t] : 0;
        }
    }
    b->T = T, b->n = n;
    return 0;
}

static uint64_t ex_len(const cls_examples_t *e, uint64_t i) {
    return (uint64_t)cls_example_len(e, i);
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

void cls_epoch_order(uint64_t *order, const cls_examples_t *e, uint64_t B, uint64_t nb,
                     uint64_t seed, long epoch) {
    const uint64_t n = e->n;
    uint64_t *perm = drnn_calloc(n, sizeof *perm);
    for (uint64_t i = 0; i < n; i++) perm[i] = i;
    for (uint64_t i = n - 1; i > 0; i--) { /* Fisher-Yates from Philox (seed, epoch) */
        uint64_t r = ((uint64_t)rng_u32(seed, RNG_SHUFFLE, (uint32_t)epoch, 0, 2 * i) << 32 |
                      rng_u32(seed, RNG_SHUFFLE, (uint32_t)epoch, 0, 2 * i + 1)) %
                     (i + 1);
        uint64_t t = perm[i];
        perm[i] = perm[r], perm[r] = t;
    }
    keyed_t *kv = drnn_calloc(nb * B, sizeof *kv);
    for (uint64_t i = 0; i < nb * B; i++) kv[i] = (keyed_t){ex_len(e, perm[i]), i, perm[i]};
    for (uint64_t p = 0; p < nb * B; p += CLS_POOL_BATCHES * B) {
        uint64_t m = nb * B - p < CLS_POOL_BATCHES * B ? nb * B - p : CLS_POOL_BATCHES * B;
        qsort(kv + p, m, sizeof *kv, by_len);
    }
    uint64_t *bo = drnn_calloc(nb, sizeof *bo); /* batch order */
    for (uint64_t i = 0; i < nb; i++) bo[i] = i;
    for (uint64_t i = nb - 1; i > 0; i--) {
        uint64_t r = rng_u32(seed, RNG_SHUFFLE, (uint32_t)epoch, 1, i) % (i + 1);
        uint64_t t = bo[i];
        bo[i] = bo[r], bo[r] = t;
    }
    for (uint64_t b = 0; b < nb; b++)
        for (uint64_t j = 0; j < B; j++) order[b * B + j] = kv[bo[b] * B + j].id;
    free(perm), free(kv), free(bo);
}

void cls_sorted_ids(uint64_t *ids, const cls_examples_t *e) {
    keyed_t *kv = drnn_calloc(e->n + 1, sizeof *kv);
    for (uint64_t i = 0; i < e->n; i++) kv[i] = (keyed_t){ex_len(e, i), i, i};
    qsort(kv, e->n, sizeof *kv, by_len);
    for (uint64_t i = 0; i < e->n; i++) ids[i] = kv[i].id;
    free(kv);
}

int cls_feed_open(cls_feed_t *f, corpus_t *c, const char *data, const char *unit, int B, int rank,
                  int nranks, uint64_t seed, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    f->corpus = c, f->B = B, f->Bl = B / nranks, f->rank = rank, f->nranks = nranks;
    f->seed = seed, f->epoch = -1;
    int rc = cls_examples_read(&f->train, c, CORPUS_TRAIN, err, errlen);
    if (!rc) rc = cls_examples_read(&f->valid, c, CORPUS_VALID, err, errlen);
    if (rc) return rc;
    f->Tmax = f->train.longest > f->valid.longest ? f->train.longest : f->valid.longest;
    if (f->train.n < (uint64_t)B)
        return drnn_errf(err, errlen, 64,
                         "--data %s: the train split has %llu %s, fewer than --batch %d; lower "
                         "--batch",
                         data, (unsigned long long)f->train.n, unit, B);
    f->spe = (long)(f->train.n / (uint64_t)B);
    f->order = drnn_calloc((size_t)f->spe * B, sizeof *f->order);
    f->vorder = drnn_calloc(f->valid.n + 1, sizeof *f->vorder);
    cls_sorted_ids(f->vorder, &f->valid);
    cls_batch_alloc(&f->batch, 1, f->Bl); /* grown by each batch read */
    return 0;
}

uint64_t cls_feed_cap(cls_feed_t *f, int cap) {
    cls_examples_cap(&f->train, cap), cls_examples_cap(&f->valid, cap);
    f->Tmax = f->train.longest > f->valid.longest ? f->train.longest : f->valid.longest;
    return f->train.capped + f->valid.capped;
}

void cls_feed_close(cls_feed_t *f) {
    cls_examples_free(&f->train), cls_examples_free(&f->valid);
    cls_batch_free(&f->batch);
    free(f->order), free(f->vorder);
    memset(f, 0, sizeof *f);
}

int cls_feed_load(cls_feed_t *f, long step, const uint64_t **global, char *err, size_t errlen) {
    long epoch = (step - 1) / f->spe, i = (step - 1) % f->spe;
    if (epoch != f->epoch) {
        cls_epoch_order(f->order, &f->train, (uint64_t)f->B, (uint64_t)f->spe, f->seed, epoch);
        f->epoch = epoch;
    }
    *global = f->order + (size_t)i * f->B;
    return cls_batch_read(&f->batch, f->corpus, &f->train, *global + (size_t)f->rank * f->Bl, 0,
                          f->Bl, err, errlen);
}

void cls_feed_valid_slice(const cls_feed_t *f, uint64_t *lo, uint64_t *hi) {
    const uint64_t n = f->valid.n, N = (uint64_t)f->nranks, r = (uint64_t)f->rank;
    *lo = n * r / N, *hi = n * (r + 1) / N;
}

int cls_feed_load_valid(cls_feed_t *f, uint64_t i, int n, char *err, size_t errlen) {
    return cls_batch_read(&f->batch, f->corpus, &f->valid, f->vorder + i, 0, n, err, errlen);
}

#include "trainer/cls_data.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

int cls_examples_read(cls_examples_t *e, corpus_t *c, int split, char *err, size_t errlen) {
    memset(e, 0, sizeof *e);
    e->split = split;
    e->n = corpus_split_examples(c, split);
    if (e->n == 0) return 0;
    e->off = malloc((e->n + 1) * sizeof *e->off);
    e->labels = malloc(e->n * sizeof *e->labels);
    if (!e->off || !e->labels)
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

void cls_examples_free(cls_examples_t *e) {
    free(e->off), free(e->labels);
    memset(e, 0, sizeof *e);
}

void cls_batch_alloc(cls_batch_t *b, int Tmax, int Bmax) {
    memset(b, 0, sizeof *b);
    b->tokens = drnn_calloc((size_t)Tmax * Bmax, sizeof *b->tokens);
    b->labels = drnn_calloc((size_t)Bmax, sizeof *b->labels);
    b->row = drnn_calloc((size_t)Tmax, sizeof *b->row);
    b->lens = drnn_calloc((size_t)Bmax, sizeof *b->lens);
}

void cls_batch_free(cls_batch_t *b) {
    free(b->tokens), free(b->labels), free(b->row), free(b->lens);
    memset(b, 0, sizeof *b);
}

int cls_batch_read(cls_batch_t *b, corpus_t *c, const cls_examples_t *e, const uint64_t *ids,
                   uint64_t first, int n, char *err, size_t errlen) {
    int T = 0;
    for (int i = 0; i < n; i++) {
        uint64_t id = ids ? ids[i] : first + (uint64_t)i;
        b->lens[i] = (int)(e->off[id + 1] - e->off[id]);
        b->labels[i] = e->labels[id];
        T = b->lens[i] > T ? b->lens[i] : T;
    }
    for (int i = 0; i < n; i++) {
        uint64_t id = ids ? ids[i] : first + (uint64_t)i;
        int rc = corpus_read(c, e->split, e->off[id], (uint64_t)b->lens[i], b->row, err, errlen);
        if (rc) return rc;
        for (int t = 0; t < T; t++) b->tokens[(size_t)t * n + i] = t < b->lens[i] ? b->row[t] : 0;
    }
    b->T = T, b->n = n;
    return 0;
}

/* trainer/cls_data.h — labelled examples of a corpus split, read into padded batches: shared by
 * the classifier's training kind (trainer/kind_classifier.c) and drnn-eval (trainer/cls_eval.c),
 * so both read, check and pad examples the same way. No MPI. */
#ifndef DRNN_TRAINER_CLS_DATA_H
#define DRNN_TRAINER_CLS_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "io/corpus.h"

/* The examples of one split: example i is tokens [off[i], off[i+1]) with label labels[i]. */
typedef struct {
    int split;
    uint64_t n, *off; /* examples, offsets [n+1] */
    uint32_t *labels; /* [n] */
    int longest;      /* tokens of the longest example (0 when n is 0) */
} cls_examples_t;

/* Reads the offsets and labels of SPLIT (n = 0 when it is absent) and checks that every example
 * has 1 to 2^20 tokens. 0, or 65 (damaged) / 70 (out of memory) with a message naming the file.
 * Free with cls_examples_free (also after a failure). */
int cls_examples_read(cls_examples_t *e, corpus_t *c, int split, char *err, size_t errlen);
void cls_examples_free(cls_examples_t *e);

/* A padded batch: tokens [T*n] time-major (0 at padded positions), lens [n], labels [n]. The
 * buffers hold at least Tmax*Bmax, Bmax, Bmax and (row) Tmax entries. */
typedef struct {
    uint32_t *tokens, *labels, *row;
    int *lens;
    int T, n; /* longest row, rows */
} cls_batch_t;

/* Buffers for up to Bmax examples of up to Tmax tokens (dies on out of memory). */
void cls_batch_alloc(cls_batch_t *b, int Tmax, int Bmax);
void cls_batch_free(cls_batch_t *b);

/* Examples ids[0..n) of e into b (ids NULL: examples first .. first+n-1). 0, or 65 with err. */
int cls_batch_read(cls_batch_t *b, corpus_t *c, const cls_examples_t *e, const uint64_t *ids,
                   uint64_t first, int n, char *err, size_t errlen);

#endif

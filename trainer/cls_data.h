/* trainer/cls_data.h — examples of a corpus split (labelled sentences, or tagged sentences with
 * one tag per token), read into padded batches, and the order training takes them in: shared by
 * the classifier's and the tagger's training rows (trainer/kind_classifier.c,
 * trainer/kind_tagger.c) and their drnn-eval (tools/), so all read, check, pad and order
 * examples the same way. No MPI. */
#ifndef DRNN_TRAINER_CLS_DATA_H
#define DRNN_TRAINER_CLS_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "io/corpus.h"

/* The examples of one split: example i is tokens [off[i], off[i+1]) with label labels[i]
 * (labelled data) or with the tags of the same tokens (tagged data: labels NULL). */
typedef struct {
    int split;
    int tagged;       /* corpus data "tags": a tag per token, read with the tokens */
    uint64_t n, *off; /* examples, offsets [n+1] */
    uint32_t *labels; /* [n], NULL for tagged data */
    int longest;      /* tokens of the longest example as read (0 when n is 0) */
    int cap;          /* > 0: an example is read as its first `cap` tokens (cls_examples_cap) */
    uint64_t capped;  /* examples longer than cap */
} cls_examples_t;

/* Reads the offsets and labels of SPLIT (n = 0 when it is absent) and checks that every example
 * has 1 to 2^20 tokens. 0, or 65 (damaged) / 70 (out of memory) with a message naming the file.
 * Free with cls_examples_free (also after a failure). */
int cls_examples_read(cls_examples_t *e, corpus_t *c, int split, char *err, size_t errlen);
void cls_examples_free(cls_examples_t *e);
/* From now on, e's examples longer than CAP tokens are read as their first CAP (their tags
 * too); counts them into e->capped and lowers e->longest. CAP 0: no change. */
void cls_examples_cap(cls_examples_t *e, int cap);
/* Tokens of example i as read (after the cap). */
int cls_example_len(const cls_examples_t *e, uint64_t i);

/* A padded batch: tokens [T*n] time-major (0 at padded positions), lens [n], labels [n] (of
 * labelled data) or tags [T*n] time-major (of tagged data, 0 at padded positions). The buffers
 * hold ncap padded tokens and bcap rows, grown by cls_batch_read to the largest batch read; the
 * rest is its scratch (its examples' token ranges in file order, merged where they touch, and
 * what was read). */
struct cls_span;
typedef struct {
    uint32_t *tokens, *labels, *tags;
    int *lens;
    int T, n;               /* longest row, rows */
    uint32_t *flat;         /* [ncap] the ranges' ids, one range after another */
    struct cls_span *spans; /* [bcap] rows by file offset */
    uint64_t *roff, *rlen;  /* [bcap] merged ranges */
    size_t *at;             /* [bcap] where each row starts in flat */
    size_t ncap, bcap;      /* padded tokens and rows the buffers hold */
} cls_batch_t;

/* Buffers for Bmax examples of Tmax tokens to start with; a larger batch grows them (dies on
 * out of memory). */
void cls_batch_alloc(cls_batch_t *b, int Tmax, int Bmax);
void cls_batch_free(cls_batch_t *b);

/* Examples ids[0..n) of e into b (ids NULL: examples first .. first+n-1), with one corpus read
 * for the tokens (and one for the tags) of all of them (corpus_read_ranges). 0, or 65 with err. */
int cls_batch_read(cls_batch_t *b, corpus_t *c, const cls_examples_t *e, const uint64_t *ids,
                   uint64_t first, int n, char *err, size_t errlen);

/* The order training takes the B-example global batches of epoch `epoch` in, into order
 * [nb * B] (nb = n / B batches): a Philox permutation of the examples keyed by (seed, epoch);
 * its first nb·B cut into pools of CLS_POOL_BATCHES batches, each pool sorted by length
 * (stable) so a batch holds examples of similar length; the batches then taken in an order
 * drawn from (seed, epoch) too. The same on every rank and for every rank count. */
#define CLS_POOL_BATCHES 50
void cls_epoch_order(uint64_t *order, const cls_examples_t *e, uint64_t B, uint64_t nb,
                     uint64_t seed, long epoch);

/* ids [n] = the examples of e sorted by length (ties by id): the validation order, so that a
 * rank's slice of it pads little. */
void cls_sorted_ids(uint64_t *ids, const cls_examples_t *e);

/* One rank's feed of a training run on example data: the train and valid examples, the epoch
 * order training takes them in (cls_epoch_order) and a batch buffer for this rank's share. */
typedef struct {
    corpus_t *corpus;
    cls_examples_t train, valid;
    int B, Bl, rank, nranks, Tmax; /* global batch, this rank's share; longest example */
    uint64_t seed;
    long spe, epoch;   /* steps per epoch; epoch whose order is in `order` (-1: none) */
    uint64_t *order;   /* [spe * B] example ids of the current epoch, batch after batch */
    uint64_t *vorder;  /* [valid.n] valid ids sorted by length */
    cls_batch_t batch; /* the loaded batch (Bl rows at most; its buffers grow with the batches) */
} cls_feed_t;

/* Reads the train and valid splits of c (data: --data, for messages; unit: "examples",
 * "sentences") for rank `rank` of `nranks` taking Bl of each global batch of B. 0, or 64 (fewer
 * train examples than B), 65, 70 with err. Close with cls_feed_close (also after a failure). */
int cls_feed_open(cls_feed_t *f, corpus_t *c, const char *data, const char *unit, int B, int rank,
                  int nranks, uint64_t seed, char *err, size_t errlen);
/* Caps both splits at CAP tokens an example (cls_examples_cap; before the first load) and
 * returns how many train and valid examples it cuts. */
uint64_t cls_feed_cap(cls_feed_t *f, int cap);
void cls_feed_close(cls_feed_t *f);
/* The B example ids of global batch `step` (1-based) into *global, and this rank's share of
 * them read into f->batch. 0, or 65 with err. */
int cls_feed_load(cls_feed_t *f, long step, const uint64_t **global, char *err, size_t errlen);
/* This rank's part [*lo, *hi) of the valid examples in length order (cls_feed_load_valid). */
void cls_feed_valid_slice(const cls_feed_t *f, uint64_t *lo, uint64_t *hi);
/* Valid examples [i, i + n) of the length order into f->batch (n <= Bl). 0, or 65 with err. */
int cls_feed_load_valid(cls_feed_t *f, uint64_t i, int n, char *err, size_t errlen);

#endif

/* io/corpus_data.h — the open corpus as io/corpus.c (opening, checks, attributes) and
 * io/corpus_read.c (examples, pairs, ids, the stream reader) share it. Private to those two. */
#ifndef DRNN_IO_CORPUS_DATA_H
#define DRNN_IO_CORPUS_DATA_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/util.h"
#include "io/corpus_splits.h"

/* A string table as read: n pointers into one buffer of NUL-terminated entries. */
typedef struct {
    char *bytes;
    char **s;
} table_t;

struct corpus {
    char *path;
    hid_t file;
    hid_t dset[CORPUS_NSPLITS]; /* -1 when the split is absent */
    uint64_t tokens[CORPUS_NSPLITS];
    uint64_t chars[CORPUS_NSPLITS]; /* text: <split>_chars, 0 when absent */
    uint32_t crc[CORPUS_NSPLITS];
    char tokenizer[16];
    char uuid[64];
    int vocab_size;
    table_t vocab;
    char data[16]; /* "text", "labels", "pairs" or "tags" */
    /* labelled and tagged data (DESIGN §6); num_labels == 0 otherwise */
    int num_labels; /* labels or tags */
    table_t labels; /* [num_labels] */
    uint64_t examples[CORPUS_NSPLITS];
    hid_t offsets[CORPUS_NSPLITS];   /* -1 when absent or text (pairs: the source's) */
    hid_t label_ids[CORPUS_NSPLITS]; /* -1 when absent or not labels */
    hid_t tag_ids[CORPUS_NSPLITS];   /* -1 when absent or not tags: a tag id per token */
    /* pair data; tgt_vocab_size == 0 otherwise (dset and offsets hold the source side) */
    int tgt_vocab_size, shared_vocab;
    table_t tgt_vocab; /* [tgt_vocab_size] */
    uint64_t tgt_tokens[CORPUS_NSPLITS];
    hid_t tgt_dset[CORPUS_NSPLITS];    /* -1 when absent or not pairs */
    hid_t tgt_offsets[CORPUS_NSPLITS]; /* -1 when absent or not pairs */
    void *spm[2]; /* tokenizer spm: the SentencePiece models (/spm_model, /tgt_spm_model) */
    size_t spm_len[2];
};

static inline int corpus_is_pairs(const struct corpus *c) {
    return c->tgt_vocab_size > 0;
}

static inline int corpus_is_tags(const struct corpus *c) {
    return strcmp(c->data, "tags") == 0;
}

/* 65: "corpus PATH: WHAT (damaged file?); re-create it with drnn-prep". */
static inline int corpus_damaged(const struct corpus *c, const char *what, char *err,
                                 size_t errlen) {
    return drnn_errf(err, errlen, 65, "corpus %s: %s (damaged file?); re-create it with drnn-prep",
                     c->path, what);
}

#endif

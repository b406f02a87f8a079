/* io/corpus_write_kinds.c — what each kind of data adds to a corpus being written
 * (io/corpus_write.h): labels, tags, pairs and SentencePiece models, examples, tagged sentences
 * and pairs, and the per-split counters. */
#include "io/corpus_write.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/util.h"
#include "io/corpus.h"
#include "io/corpus_write_data.h"
#include "io/h5util.h"

/* Makes W's data KIND (labels, pairs): only once, before the first token. */
static int set_data(corpus_writer_t *w, int kind, char *err, size_t errlen) {
    int used = 0;
    for (int k = 0; k < CORPUS_NSPLITS; k++) used |= w->split[k].group >= 0;
    if (w->data != DATA_TEXT || used)
        return drnn_errf(err, errlen, 70, "internal error: %s set twice or after tokens",
                         cw_data_names[kind]);
    w->data = kind;
    return 0;
}

int corpus_writer_set_labels(corpus_writer_t *w, const char *const *names, size_t n, char *err,
                             size_t errlen) {
    if (n < 1 || n > INT32_MAX) return drnn_errf(err, errlen, 64, "%zu labels is out of range", n);
    int rc = set_data(w, DATA_LABELS, err, errlen);
    if (rc == 0) rc = cw_write_strings(w, TABLE_LABELS, names, n, err, errlen);
    if (rc == 0) w->num_labels = (uint32_t)n;
    return rc;
}

int corpus_writer_set_tags(corpus_writer_t *w, const char *const *names, size_t n, char *err,
                           size_t errlen) {
    if (n < 1 || n > INT32_MAX) return drnn_errf(err, errlen, 64, "%zu tags is out of range", n);
    int rc = set_data(w, DATA_TAGS, err, errlen);
    if (rc == 0) rc = cw_write_strings(w, TABLE_LABELS, names, n, err, errlen);
    if (rc) return rc;
    w->num_labels = (uint32_t)n;
    for (int k = 0; k < CORPUS_NSPLITS; k++)
        cw_column_set_width(&w->split[k].col[COL_TAGS], cw_id_width(n));
    return 0;
}

int corpus_writer_set_spm(corpus_writer_t *w, int side, const void *bytes, size_t len, char *err,
                          size_t errlen) {
    if (h5_write_bytes(w->file, side ? "tgt_spm_model" : "spm_model", bytes, len) != 0)
        return drnn_errf(err, errlen, 74,
                         "%s: cannot write the SentencePiece model; check free "
                         "space",
                         w->tmp);
    return 0;
}

int corpus_writer_set_pairs(corpus_writer_t *w, const char *const *tgt_vocab, size_t tgt_size,
                            int shared, char *err, size_t errlen) {
    if (tgt_size < 1 || tgt_size > INT32_MAX)
        return drnn_errf(err, errlen, 64, "target vocabulary size %zu is out of range", tgt_size);
    int rc = set_data(w, DATA_PAIRS, err, errlen);
    if (rc == 0) rc = cw_write_strings(w, TABLE_TGT_VOCAB, tgt_vocab, tgt_size, err, errlen);
    if (rc) return rc;
    w->tgt_vocab_size = (uint32_t)tgt_size;
    w->shared_vocab = shared != 0;
    for (int k = 0; k < CORPUS_NSPLITS; k++)
        cw_column_set_width(&w->split[k].col[COL_TGT_TOKENS], cw_id_width(tgt_size));
    return 0;
}

static int check_split(const corpus_writer_t *w, int split, int kind, char *err, size_t errlen) {
    if (split < 0 || split >= CORPUS_NSPLITS)
        return drnn_errf(err, errlen, 70, "internal error: split %d does not exist", split);
    if (kind != w->data)
        return drnn_errf(err, errlen, 70, "internal error: %s data appended to a %s corpus",
                         cw_data_names[kind], cw_data_names[w->data]);
    return 0;
}

int corpus_writer_append(corpus_writer_t *w, int split, const uint32_t *ids, size_t n, char *err,
                         size_t errlen) {
    int rc = check_split(w, split, DATA_TEXT, err, errlen);
    if (rc == 0 && n > 0 && w->split[split].group < 0) rc = cw_split_create(w, split, err, errlen);
    return rc ? rc : cw_tokens_append(w, split, COL_TOKENS, ids, n, err, errlen);
}

int corpus_writer_append_mapped(corpus_writer_t *w, int split, const unsigned char *syms, size_t n,
                                const uint32_t *map, uint64_t *zeros, char *err, size_t errlen) {
    int rc = check_split(w, split, DATA_TEXT, err, errlen);
    for (int b = 0; rc == 0 && b < 256; b++)
        if (map[b] >= w->vocab_size)
            rc = drnn_errf(err, errlen, 70, "internal error: token id %u >= vocabulary size %u",
                           map[b], w->vocab_size);
    if (rc == 0 && n > 0 && w->split[split].group < 0) rc = cw_split_create(w, split, err, errlen);
    if (rc) return rc;
    column_t *c = &w->split[split].col[COL_TOKENS];
    unsigned char packed[256][4]; /* each byte's id as stored */
    unsigned char narrow[256];    /* the same for one-byte ids: a denser table */
    for (int b = 0; b < 256; b++) {
        cw_pack_u64(packed[b], map[b], c->width);
        narrow[b] = packed[b][0];
    }
    uint64_t nzero = 0;
    while (n > 0 && rc == 0) {
        size_t take = CORPUS_WRITE_CHUNK - c->fill;
        if (take > n) take = n;
        unsigned char *dst = c->buf + c->fill * (size_t)c->width;
        if (c->width == 1) {
            for (size_t i = 0; i < take; i++) dst[i] = narrow[syms[i]];
            /* a separate loop: the lookups above do not vectorize, this count does */
            for (size_t i = 0; zeros && i < take; i++) nzero += dst[i] == 0;
        } else {
            for (size_t i = 0; i < take; i++) {
                memcpy(dst + i * (size_t)c->width, packed[syms[i]], (size_t)c->width);
                nzero += zeros && map[syms[i]] == 0;
            }
        }
        c->fill += take, syms += take, n -= take;
        if (c->fill == CORPUS_WRITE_CHUNK) rc = cw_column_flush(w, c, err, errlen);
    }
    if (zeros) *zeros += nzero;
    return rc;
}

/* The split's group on its first example, with the leading 0 of its offsets columns. */
static int example_split(corpus_writer_t *w, int split, char *err, size_t errlen) {
    split_out_t *s = &w->split[split];
    int rc = 0;
    if (s->group >= 0) return 0;
    if ((rc = cw_split_create(w, split, err, errlen)) != 0) return rc;
    rc = cw_column_push(w, &s->col[COL_OFFSETS], 0, err, errlen);
    if (rc == 0 && w->data == DATA_PAIRS)
        rc = cw_column_push(w, &s->col[COL_TGT_OFFSETS], 0, err, errlen);
    return rc;
}

static uint64_t column_count(const column_t *c) {
    return c->n + c->fill;
}

/* ids[0..n) to the token column COL of SPLIT, then its end to the offsets column after it. */
static int sequence_append(corpus_writer_t *w, int split, int col, const uint32_t *ids, size_t n,
                           char *err, size_t errlen) {
    column_t *c = w->split[split].col;
    int rc = cw_tokens_append(w, split, col, ids, n, err, errlen);
    return rc ? rc : cw_column_push(w, &c[col + 1], column_count(&c[col]), err, errlen);
}

int corpus_writer_append_example(corpus_writer_t *w, int split, const uint32_t *ids, size_t n,
                                 uint32_t label, char *err, size_t errlen) {
    int rc = check_split(w, split, DATA_LABELS, err, errlen);
    if (rc) return rc;
    if (label >= w->num_labels)
        return drnn_errf(err, errlen, 70, "internal error: label %u >= number of labels %u", label,
                         w->num_labels);
    if ((rc = example_split(w, split, err, errlen)) != 0) return rc;
    if ((rc = sequence_append(w, split, COL_TOKENS, ids, n, err, errlen)) != 0) return rc;
    return cw_column_push(w, &w->split[split].col[COL_LABELS], label, err, errlen);
}

int corpus_writer_append_tagged(corpus_writer_t *w, int split, const uint32_t *ids,
                                const uint32_t *tags, size_t n, char *err, size_t errlen) {
    int rc = check_split(w, split, DATA_TAGS, err, errlen);
    if (rc) return rc;
    if (n == 0) return drnn_errf(err, errlen, 70, "internal error: a tagged sequence of no tokens");
    if ((rc = example_split(w, split, err, errlen)) != 0) return rc;
    if ((rc = sequence_append(w, split, COL_TOKENS, ids, n, err, errlen)) != 0) return rc;
    return cw_tokens_append(w, split, COL_TAGS, tags, n, err, errlen);
}

int corpus_writer_append_pair(corpus_writer_t *w, int split, const uint32_t *src, size_t nsrc,
                              const uint32_t *tgt, size_t ntgt, char *err, size_t errlen) {
    int rc = check_split(w, split, DATA_PAIRS, err, errlen);
    if (rc) return rc;
    if (nsrc == 0 || ntgt == 0)
        return drnn_errf(err, errlen, 70, "internal error: a pair with an empty %s",
                         nsrc ? "target" : "source");
    if ((rc = example_split(w, split, err, errlen)) != 0) return rc;
    if ((rc = sequence_append(w, split, COL_TOKENS, src, nsrc, err, errlen)) != 0) return rc;
    return sequence_append(w, split, COL_TGT_TOKENS, tgt, ntgt, err, errlen);
}

void corpus_writer_add_chars(corpus_writer_t *w, int split, uint64_t n) {
    w->split[split].chars += n;
}

uint64_t corpus_writer_tokens(const corpus_writer_t *w, int split) {
    return column_count(&w->split[split].col[COL_TOKENS]);
}

uint64_t corpus_writer_tgt_tokens(const corpus_writer_t *w, int split) {
    return column_count(&w->split[split].col[COL_TGT_TOKENS]);
}

uint64_t corpus_writer_examples(const corpus_writer_t *w, int split) {
    uint64_t n = column_count(&w->split[split].col[COL_OFFSETS]); /* the leading 0 and the ends */
    return n ? n - 1 : 0;
}

/* The CRC of column C continued after CRC (all of C's elements, as stored). */
static uLong crc_then(uLong crc, const column_t *c) {
    return crc32_combine(crc, cw_column_crc(c), (z_off_t)(column_count(c) * (uint64_t)c->width));
}

/* Text: the CRC of the ids as stored. Labels: continued over the offsets, then the labels; tags
 * over the offsets, then the tags. Pairs: the source ids, then the target ids. */
uint32_t corpus_writer_crc32(const corpus_writer_t *w, int split) {
    const column_t *c = w->split[split].col;
    uLong crc = cw_column_crc(&c[COL_TOKENS]);
    if (w->data == DATA_LABELS || w->data == DATA_TAGS) crc = crc_then(crc, &c[COL_OFFSETS]);
    if (w->data == DATA_LABELS) crc = crc_then(crc, &c[COL_LABELS]);
    if (w->data == DATA_TAGS) crc = crc_then(crc, &c[COL_TAGS]);
    if (w->data == DATA_PAIRS) crc = crc_then(crc, &c[COL_TGT_TOKENS]);
    return (uint32_t)crc;
}

int corpus_writer_width(const corpus_writer_t *w) {
    return w->width;
}
const char *corpus_writer_uuid(const corpus_writer_t *w) {
    return w->uuid;
}

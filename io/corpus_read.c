/* io/corpus_read.c — reading an open corpus (io/corpus.h): examples, pair offsets, token ids of
 * one range or many, and the per-stream reader with read-ahead. */
#include "io/corpus.h"

#include <stdlib.h>
#include <string.h>

#include "io/corpus_data.h"
#include "io/h5util.h"

/* Reads the whole 1-D dataset D as MTYPE into DST. */
static int read_all(const corpus_t *c, hid_t d, hid_t mtype, void *dst, const char *what, int split,
                    char *err, size_t errlen) {
    char msg[64];
    if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) >= 0) return 0;
    H5Eclear2(H5E_DEFAULT);
    snprintf(msg, sizeof msg, "cannot read /%s/%s", corpus_split_names[split], what);
    return corpus_damaged(c, msg, err, errlen);
}

/* 65 for a corpus that does not hold the data WANT ("labels", "pairs"). */
static int not_data(const corpus_t *c, const char *want, char *err, size_t errlen) {
    return drnn_errf(err, errlen, 65,
                     "corpus %s: holds %s data, not %s; make one with drnn-prep --format %s",
                     c->path, c->data, want, want);
}

/* Reads NAME (the n+1 offsets of split s, dataset D) into OFF and checks them: they run from 0 to
 * END (the attribute <split>_ATTR) and every example spans at least MIN tokens. */
static int read_offsets(const corpus_t *c, hid_t d, int s, const char *name, const char *attr,
                        uint64_t end, uint64_t min, uint64_t *off, char *err, size_t errlen) {
    const char *sn = corpus_split_names[s], *unit = corpus_is_pairs(c) ? "pair" : "example";
    uint64_t n = c->examples[s];
    int rc = read_all(c, d, H5T_NATIVE_UINT64, off, name, s, err, errlen);
    if (rc) return rc;
    if (off[0] != 0 || off[n] != end)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: /%s/%s do not run from 0 to %s_%s=%llu (damaged file?); "
                         "re-create it with drnn-prep",
                         c->path, sn, name, sn, attr, (unsigned long long)end);
    for (uint64_t i = 0; i < n; i++) {
        if (off[i + 1] < off[i])
            return drnn_errf(err, errlen, 65,
                             "corpus %s: /%s/%s decrease at %s %llu (damaged file?)", c->path, sn,
                             name, unit, (unsigned long long)i);
        if (off[i + 1] - off[i] < min)
            return drnn_errf(err, errlen, 65,
                             "corpus %s: /%s/%s leave %s %llu empty (damaged file?)", c->path, sn,
                             name, unit, (unsigned long long)i);
    }
    return 0;
}

int corpus_read_examples(corpus_t *c, int split, uint64_t *offsets, uint32_t *labels, char *err,
                         size_t errlen) {
    uint64_t n = c->examples[split];
    if (!c->num_labels) return not_data(c, "labels", err, errlen);
    offsets[0] = 0;
    if (n == 0) return 0; /* the split is absent */
    /* a tagged sequence has at least one token */
    int rc = read_offsets(c, c->offsets[split], split, "offsets", "tokens", c->tokens[split],
                          corpus_is_tags(c) ? 1 : 0, offsets, err, errlen);
    if (rc || !labels || corpus_is_tags(c)) return rc;
    rc = read_all(c, c->label_ids[split], H5T_NATIVE_UINT32, labels, "labels", split, err, errlen);
    for (uint64_t i = 0; rc == 0 && i < n; i++)
        if (labels[i] >= (uint32_t)c->num_labels)
            return drnn_errf(err, errlen, 65,
                             "corpus %s: label id %u of %s example %llu >= num_labels %d", c->path,
                             labels[i], corpus_split_names[split], (unsigned long long)i,
                             c->num_labels);
    return rc;
}

int corpus_read_pair_offsets(corpus_t *c, int split, uint64_t *src_off, uint64_t *tgt_off,
                             char *err, size_t errlen) {
    if (!corpus_is_pairs(c)) return not_data(c, "pairs", err, errlen);
    src_off[0] = tgt_off[0] = 0;
    if (c->examples[split] == 0) return 0; /* the split is absent */
    int rc = read_offsets(c, c->offsets[split], split, "src_offsets", "tokens", c->tokens[split], 1,
                          src_off, err, errlen);
    if (rc) return rc;
    return read_offsets(c, c->tgt_offsets[split], split, "tgt_offsets", "tgt_tokens",
                        c->tgt_tokens[split], 1, tgt_off, err, errlen);
}

/* The id at position i of ids stored WIDTH bytes each (native unsigned integers). */
static inline uint32_t id_at(const void *ids, int width, uint64_t i) {
    return width == 1   ? ((const uint8_t *)ids)[i]
           : width == 2 ? ((const uint16_t *)ids)[i]
                        : ((const uint32_t *)ids)[i];
}

/* The ids of NR ranges of split s's token dataset D (NAME, TOTAL ids, a vocabulary of VSIZE
 * entries named VATTR), range k being [off[k], off[k] + len[k]) (sorted, not overlapping), into
 * DST one after another as native unsigned integers of WIDTH bytes (1, 2 or 4; no narrower than
 * the file's), each checked < VSIZE. One H5Dread over the union of the ranges: libhdf5 sets up
 * one read and visits each chunk once, however many ranges fall in it. The same for the tags
 * (NAME "tags", VSIZE the number of tags). */
static int read_ids(corpus_t *c, hid_t d, int s, const char *name, uint64_t total, int vsize,
                    const char *vattr, int nr, const uint64_t *off, const uint64_t *len, void *dst,
                    int width, char *err, size_t errlen) {
    uint64_t n = 0, prev = 0; /* ids so far; end of the range before */
    for (int k = 0; k < nr; prev = off[k] + len[k], k++) {
        uint64_t end = off[k] + len[k];
        if (d < 0 || end > total || end < off[k] || off[k] < prev)
            return drnn_errf(err, errlen, 65,
                             "corpus %s: read of /%s/%s [%llu, %llu) out of range or order",
                             c->path, corpus_split_names[s], name, (unsigned long long)off[k],
                             (unsigned long long)end);
        n += len[k];
    }
    if (n == 0) return 0;
    hsize_t count[1] = {n};
    hid_t mtype = width == 1   ? H5T_NATIVE_UINT8
                  : width == 2 ? H5T_NATIVE_UINT16
                               : H5T_NATIVE_UINT32;
    hid_t fsp = H5Dget_space(d);
    hid_t msp = H5Screate_simple(1, count, NULL);
    int ok = fsp >= 0 && msp >= 0 && H5Sselect_none(fsp) >= 0;
    for (int k = 0; ok && k < nr; k++) {
        hsize_t start[1] = {off[k]}, cnt[1] = {len[k]};
        ok = len[k] == 0 || H5Sselect_hyperslab(fsp, H5S_SELECT_OR, start, NULL, cnt, NULL) >= 0;
    }
    ok = ok && H5Dread(d, mtype, msp, fsp, H5P_DEFAULT, dst) >= 0;
    if (msp >= 0) H5Sclose(msp);
    if (fsp >= 0) H5Sclose(fsp);
    if (!ok) {
        char msg[64];
        H5Eclear2(H5E_DEFAULT);
        snprintf(msg, sizeof msg, "cannot read /%s/%s", corpus_split_names[s], name);
        return corpus_damaged(c, msg, err, errlen);
    }
    uint32_t most = 0; /* a maximum first: the common case is one vectorized pass */
    for (uint64_t i = 0; i < n; i++)
        most = id_at(dst, width, i) > most ? id_at(dst, width, i) : most;
    for (uint64_t i = 0, k = 0, at = 0; most >= (uint32_t)vsize && i < n; i++, at++) {
        while (at == len[k]) k++, at = 0; /* i is position at of range k */
        if (id_at(dst, width, i) >= (uint32_t)vsize)
            return drnn_errf(
                err, errlen, 65, "corpus %s: %s id %u at /%s/%s position %llu >= %s %d", c->path,
                strcmp(name, "tags") ? "token" : "tag", id_at(dst, width, i), corpus_split_names[s],
                name, (unsigned long long)(off[k] + at), vattr, vsize);
    }
    return 0;
}

int corpus_read(corpus_t *c, int split, uint64_t off, uint64_t n, uint32_t *dst, char *err,
                size_t errlen) {
    return read_ids(c, c->dset[split], split, corpus_is_pairs(c) ? "src_tokens" : "tokens",
                    c->tokens[split], c->vocab_size, "vocab_size", 1, &off, &n, dst, 4, err,
                    errlen);
}

int corpus_read_ranges(corpus_t *c, int split, int tags, int nr, const uint64_t *off,
                       const uint64_t *len, uint32_t *dst, char *err, size_t errlen) {
    if (tags && !corpus_is_tags(c)) return not_data(c, "tags", err, errlen);
    if (tags)
        return read_ids(c, c->tag_ids[split], split, "tags", c->tokens[split], c->num_labels,
                        "num_labels", nr, off, len, dst, 4, err, errlen);
    return read_ids(c, c->dset[split], split, corpus_is_pairs(c) ? "src_tokens" : "tokens",
                    c->tokens[split], c->vocab_size, "vocab_size", nr, off, len, dst, 4, err,
                    errlen);
}

int corpus_read_tags(corpus_t *c, int split, uint64_t off, uint64_t n, uint32_t *dst, char *err,
                     size_t errlen) {
    if (!corpus_is_tags(c)) return not_data(c, "tags", err, errlen);
    return read_ids(c, c->tag_ids[split], split, "tags", c->tokens[split], c->num_labels,
                    "num_labels", 1, &off, &n, dst, 4, err, errlen);
}

int corpus_read_side(corpus_t *c, int split, int side, uint64_t off, uint64_t n, uint32_t *dst,
                     char *err, size_t errlen) {
    if (!corpus_is_pairs(c)) return not_data(c, "pairs", err, errlen);
    if (side == 0) return corpus_read(c, split, off, n, dst, err, errlen);
    if (side != 1)
        return drnn_errf(err, errlen, 70, "internal error: pair side %d is not 0 or 1", side);
    return read_ids(c, c->tgt_dset[split], split, "tgt_tokens", c->tgt_tokens[split],
                    c->tgt_vocab_size, "tgt_vocab_size", 1, &off, &n, dst, 4, err, errlen);
}

/* ---- stream reader ---------------------------------------------------------------------
 * Each stream keeps [base, base + have) of its tokens as the file stores them (1, 2 or 4 bytes
 * each). A refill keeps what is left of that window, then reads on to a chunk boundary of the
 * dataset at least `ahead` tokens past the cursor: reads start where the last one ended, so every
 * chunk a stream needs is inflated once, and libhdf5's chunk cache is not needed. */

struct stream_reader {
    struct corpus *c;
    int split, count, width;
    uint64_t S, chunk;  /* tokens per stream; elements per chunk of the dataset */
    uint64_t *start;    /* [count] first token of each local stream in the split */
    uint64_t *base;     /* [count] stream position of the first buffered token */
    size_t *have;       /* [count] buffered tokens */
    unsigned char *buf; /* [count, cap * width] */
    size_t ahead, cap;  /* cap = ahead + chunk */
};

/* Bytes per id and elements per chunk of the token dataset D (0 when unknown). */
static void dset_layout(hid_t d, int *width, uint64_t *chunk) {
    hid_t ty = H5Dget_type(d), dcpl = H5Dget_create_plist(d);
    hsize_t dims[1] = {0};
    size_t w = ty >= 0 ? H5Tget_size(ty) : 0;
    *width = w == 1 || w == 2 ? (int)w : 4;
    *chunk = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 1, dims) == 1
                 ? dims[0]
                 : 0;
    if (ty >= 0) H5Tclose(ty);
    if (dcpl >= 0) H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
}

stream_reader_t *stream_reader_new(corpus_t *c, int split, int total, int first, int count,
                                   size_t ahead) {
    stream_reader_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->c = c, r->split = split, r->count = count, r->ahead = ahead;
    r->S = corpus_split_tokens(c, split) / (uint64_t)total;
    r->width = 4;
    if (c->dset[split] >= 0) dset_layout(c->dset[split], &r->width, &r->chunk);
    if (r->chunk == 0 || r->chunk > (1u << 24)) r->chunk = 1;
    r->cap = ahead + (size_t)r->chunk;
    r->start = calloc(count, sizeof *r->start);
    r->base = calloc(count, sizeof *r->base);
    r->have = calloc(count, sizeof *r->have);
    r->buf = calloc((size_t)count * r->cap, (size_t)r->width);
    if (!r->start || !r->base || !r->have || !r->buf) {
        stream_reader_free(r);
        return NULL;
    }
    for (int s = 0; s < count; s++) r->start[s] = (uint64_t)(first + s) * r->S;
    return r;
}

void stream_reader_free(stream_reader_t *r) {
    if (!r) return;
    free(r->start);
    free(r->base);
    free(r->have);
    free(r->buf);
    free(r);
}

uint64_t stream_reader_stream_len(const stream_reader_t *r) {
    return r->S;
}

/* Makes stream s's window start at CURSOR and hold at least N tokens (see above). */
static int refill(stream_reader_t *r, int s, uint64_t cursor, size_t n, char *err, size_t errlen) {
    const size_t w = (size_t)r->width;
    unsigned char *b = r->buf + (size_t)s * r->cap * w;
    uint64_t lo = r->base[s], hi = lo + r->have[s];
    size_t keep = cursor >= lo && cursor < hi ? (size_t)(hi - cursor) : 0;
    if (keep) memmove(b, b + (size_t)(cursor - lo) * w, keep * w);
    uint64_t at = r->start[s] + cursor; /* in the split */
    uint64_t end = (at + r->cap) / r->chunk * r->chunk;
    if (end > r->start[s] + r->S) end = r->start[s] + r->S;
    r->base[s] = cursor, r->have[s] = keep;
    DRNN_ASSERT(end >= at + n && end - at <= r->cap);
    corpus_t *c = r->c;
    const uint64_t from = at + keep, count = end - at - keep;
    int rc = read_ids(c, c->dset[r->split], r->split, corpus_is_pairs(c) ? "src_tokens" : "tokens",
                      c->tokens[r->split], c->vocab_size, "vocab_size", 1, &from, &count,
                      b + keep * w, r->width, err, errlen);
    if (rc == 0) r->have[s] = (size_t)(end - at);
    return rc;
}

int stream_reader_get(stream_reader_t *r, int s, uint64_t cursor, size_t n, uint32_t *dst,
                      char *err, size_t errlen) {
    if (n > r->ahead || cursor + n > r->S)
        return drnn_errf(err, errlen, 70, "stream read [%llu, +%zu) beyond stream length %llu",
                         (unsigned long long)cursor, n, (unsigned long long)r->S);
    if (cursor < r->base[s] || cursor + n > r->base[s] + r->have[s]) {
        int rc = refill(r, s, cursor, n, err, errlen);
        if (rc) return rc;
    }
    const unsigned char *b =
        r->buf + ((size_t)s * r->cap + (size_t)(cursor - r->base[s])) * (size_t)r->width;
    for (size_t i = 0; i < n; i++) dst[i] = id_at(b, r->width, i);
    return 0;
}

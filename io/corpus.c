#include "io/corpus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/h5util.h"
#include "model/util.h"

const char *const corpus_split_names[CORPUS_NSPLITS] = {"train", "valid", "test"};

struct corpus {
    char *path;
    hid_t file;
    hid_t dset[CORPUS_NSPLITS]; /* -1 when the split is absent */
    uint64_t tokens[CORPUS_NSPLITS];
    uint32_t crc[CORPUS_NSPLITS];
    char tokenizer[16];
    char uuid[64];
    int vocab_size;
    char **vocab;
};

/* Checks split s's attributes against its dataset and opens it (with a larger chunk cache: B
 * streams read from different chunks of the same dataset). */
static int open_split(corpus_t *c, int s, char *err, size_t errlen) {
    char path[32], attr[32];
    snprintf(path, sizeof path, "/%s/tokens", corpus_split_names[s]);
    c->dset[s] = -1;
    if (!h5_exists(c->file, path)) return 0;
    snprintf(attr, sizeof attr, "%s_tokens", corpus_split_names[s]);
    uint64_t crc = 0;
    if (h5_attr_get_u64(c->file, attr, &c->tokens[s]) < 0)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: attribute %s is missing; re-create it with drnn-prep", c->path,
                         attr);
    snprintf(attr, sizeof attr, "%s_crc32", corpus_split_names[s]);
    if (h5_attr_get_u64(c->file, attr, &crc) < 0)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: attribute %s is missing; re-create it with drnn-prep", c->path,
                         attr);
    c->crc[s] = (uint32_t)crc;
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl, 12421, 64u << 20, 1.0);
    c->dset[s] = H5Dopen2(c->file, path, dapl);
    H5Pclose(dapl);
    if (c->dset[s] < 0)
        return drnn_errf(err, errlen, 65, "corpus %s: cannot open %s", c->path, path);
    hid_t sp = H5Dget_space(c->dset[s]), ty = H5Dget_type(c->dset[s]);
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int ndims = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    int is_uint = ty >= 0 && H5Tget_class(ty) == H5T_INTEGER && H5Tget_sign(ty) == H5T_SGN_NONE;
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    if (ndims != 1 || !is_uint || n < 0 || (uint64_t)n != c->tokens[s])
        return drnn_errf(
            err, errlen, 65,
            "corpus %s: %s does not match its attributes (damaged file?); re-create it "
            "with drnn-prep",
            c->path, path);
    return 0;
}

int corpus_open(corpus_t **out, const char *path, char *err, size_t errlen) {
    struct stat st;
    *out = NULL;
    if (stat(path, &st) != 0)
        return drnn_errf(err, errlen, 66, "corpus %s: %s; create one with drnn-prep", path,
                         strerror(errno));
    if (!S_ISREG(st.st_mode))
        return drnn_errf(err, errlen, 66, "corpus %s: not a regular file", path);
    FILE *probe = fopen(path, "rb");
    if (!probe) return drnn_errf(err, errlen, 66, "corpus %s: %s", path, strerror(errno));
    fclose(probe);
    h5_quiet();
    if (H5Fis_hdf5(path) <= 0)
        return drnn_errf(
            err, errlen, 65,
            "corpus %s: not a drnn corpus (not an HDF5 file); create one with drnn-prep", path);
    corpus_t *c = calloc(1, sizeof *c);
    if (!c) return drnn_errf(err, errlen, 70, "out of memory");
    for (int s = 0; s < CORPUS_NSPLITS; s++) c->dset[s] = -1;
    c->path = strdup(path);
    int rc = 0;
    char fmt[64];
    int64_t version = 0, vsize = 0;
    c->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (c->file < 0) {
        rc = drnn_errf(err, errlen, 65,
                       "corpus %s: HDF5 cannot open it (damaged?); re-create it with drnn-prep",
                       path);
        goto out;
    }
    if (h5_attr_get_string(c->file, "format", fmt, sizeof fmt) < 0 ||
        strcmp(fmt, CORPUS_FORMAT) != 0) {
        rc = drnn_errf(
            err, errlen, 65,
            "corpus %s: not a drnn corpus (no format=\"drnn-corpus\" attribute); create one "
            "with drnn-prep",
            path);
        goto out;
    }
    if (h5_attr_get_i64(c->file, "version", &version) < 0 || version != CORPUS_VERSION) {
        rc = drnn_errf(
            err, errlen, 65,
            "corpus %s: format version %lld, this drnn reads version %d; re-create it with "
            "this drnn-prep",
            path, (long long)version, CORPUS_VERSION);
        goto out;
    }
    if (h5_attr_get_string(c->file, "tokenizer", c->tokenizer, sizeof c->tokenizer) < 0 ||
        h5_attr_get_i64(c->file, "vocab_size", &vsize) < 0 || vsize <= 0 || vsize > (1 << 26) ||
        h5_attr_get_string(c->file, "uuid", c->uuid, sizeof c->uuid) < 0) {
        rc = drnn_errf(err, errlen, 65,
                       "corpus %s: attribute tokenizer, vocab_size or uuid missing or invalid; "
                       "re-create it with drnn-prep",
                       path);
        goto out;
    }
    c->vocab_size = (int)vsize;
    int nv = 0;
    if (h5_read_strings(c->file, "/vocab", &c->vocab, &nv) < 0 || nv != c->vocab_size) {
        rc = drnn_errf(err, errlen, 65,
                       "corpus %s: /vocab is missing or does not have vocab_size=%d entries; "
                       "re-create it with drnn-prep",
                       path, c->vocab_size);
        goto out;
    }
    for (int s = 0; s < CORPUS_NSPLITS && rc == 0; s++) rc = open_split(c, s, err, errlen);
out:
    if (rc != 0) {
        corpus_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void corpus_close(corpus_t *c) {
    if (!c) return;
    for (int s = 0; s < CORPUS_NSPLITS; s++)
        if (c->dset[s] >= 0) H5Dclose(c->dset[s]);
    if (c->file >= 0 && c->file != 0) H5Fclose(c->file);
    h5_free_strings(c->vocab, c->vocab_size);
    free(c->path);
    free(c);
}

const char *corpus_path(const corpus_t *c) {
    return c->path;
}
const char *corpus_tokenizer(const corpus_t *c) {
    return c->tokenizer;
}
int corpus_vocab_size(const corpus_t *c) {
    return c->vocab_size;
}
const char *const *corpus_vocab(const corpus_t *c) {
    return (const char *const *)c->vocab;
}
const char *corpus_uuid(const corpus_t *c) {
    return c->uuid;
}
uint64_t corpus_split_tokens(const corpus_t *c, int split) {
    return c->tokens[split];
}
uint32_t corpus_split_crc32(const corpus_t *c, int split) {
    return c->crc[split];
}

int corpus_read(corpus_t *c, int split, uint64_t off, uint64_t n, uint32_t *dst, char *err,
                size_t errlen) {
    if (c->dset[split] < 0 || off + n > c->tokens[split] || off + n < off)
        return drnn_errf(err, errlen, 65, "corpus %s: read of %s tokens [%llu, %llu) out of range",
                         c->path, corpus_split_names[split], (unsigned long long)off,
                         (unsigned long long)(off + n));
    if (n == 0) return 0;
    hsize_t start[1] = {off}, count[1] = {n};
    hid_t fsp = H5Dget_space(c->dset[split]);
    hid_t msp = H5Screate_simple(1, count, NULL);
    int ok = fsp >= 0 && msp >= 0 &&
             H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
             H5Dread(c->dset[split], H5T_NATIVE_UINT32, msp, fsp, H5P_DEFAULT, dst) >= 0;
    if (msp >= 0) H5Sclose(msp);
    if (fsp >= 0) H5Sclose(fsp);
    if (!ok)
        return drnn_errf(err, errlen, 65, "corpus %s: cannot read /%s/tokens (damaged file?)",
                         c->path, corpus_split_names[split]);
    for (uint64_t i = 0; i < n; i++)
        if (dst[i] >= (uint32_t)c->vocab_size)
            return drnn_errf(err, errlen, 65,
                             "corpus %s: token id %u at %s position %llu >= vocab_size %d", c->path,
                             dst[i], corpus_split_names[split], (unsigned long long)(off + i),
                             c->vocab_size);
    return 0;
}

/* ---- stream reader --------------------------------------------------------------------- */

struct stream_reader {
    corpus_t *c;
    int split, count;
    uint64_t S;      /* tokens per stream */
    uint64_t *start; /* [count] first token of each local stream in the split */
    uint64_t *base;  /* [count] stream position of buf[s][0] */
    size_t *have;    /* [count] valid tokens in buf[s] */
    uint32_t *buf;   /* [count, ahead] */
    size_t ahead;
};

stream_reader_t *stream_reader_new(corpus_t *c, int split, int total, int first, int count,
                                   size_t ahead) {
    stream_reader_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->c = c, r->split = split, r->count = count, r->ahead = ahead;
    r->S = corpus_split_tokens(c, split) / (uint64_t)total;
    r->start = calloc(count, sizeof *r->start);
    r->base = calloc(count, sizeof *r->base);
    r->have = calloc(count, sizeof *r->have);
    r->buf = calloc((size_t)count * ahead, sizeof *r->buf);
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

int stream_reader_get(stream_reader_t *r, int s, uint64_t cursor, size_t n, uint32_t *dst,
                      char *err, size_t errlen) {
    if (n > r->ahead || cursor + n > r->S)
        return drnn_errf(err, errlen, 70, "stream read [%llu, +%zu) beyond stream length %llu",
                         (unsigned long long)cursor, n, (unsigned long long)r->S);
    uint32_t *b = r->buf + (size_t)s * r->ahead;
    if (cursor < r->base[s] || cursor + n > r->base[s] + r->have[s]) {
        uint64_t len = r->S - cursor < r->ahead ? r->S - cursor : r->ahead;
        int rc = corpus_read(r->c, r->split, r->start[s] + cursor, len, b, err, errlen);
        if (rc) return rc;
        r->base[s] = cursor;
        r->have[s] = len;
    }
    memcpy(dst, b + (cursor - r->base[s]), n * sizeof *dst);
    return 0;
}

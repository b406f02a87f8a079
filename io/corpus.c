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
    /* labelled data (DESIGN §6); num_labels == 0 for text */
    char data[16]; /* "text" or "labels" */
    int num_labels;
    char **labels; /* [num_labels] */
    uint64_t examples[CORPUS_NSPLITS];
    hid_t offsets[CORPUS_NSPLITS];   /* -1 when absent or text */
    hid_t label_ids[CORPUS_NSPLITS]; /* -1 when absent or text */
};

/* Opens the 1-D unsigned integer dataset PATH (access properties DAPL) into *d and checks that it
 * holds N elements. */
static int open_1d(corpus_t *c, const char *path, hid_t dapl, uint64_t n, hid_t *d, char *err,
                   size_t errlen) {
    *d = H5Dopen2(c->file, path, dapl);
    if (*d < 0)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: cannot open %s (damaged file?); re-create it with drnn-prep",
                         c->path, path);
    hid_t sp = H5Dget_space(*d), ty = H5Dget_type(*d);
    hssize_t have = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int ndims = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    int is_uint = ty >= 0 && H5Tget_class(ty) == H5T_INTEGER && H5Tget_sign(ty) == H5T_SGN_NONE;
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    if (ndims != 1 || !is_uint || have < 0 || (uint64_t)have != n)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: %s does not match its attributes (damaged file?); re-create "
                         "it with drnn-prep",
                         c->path, path);
    return 0;
}

static int get_split_u64(corpus_t *c, int s, const char *what, uint64_t *v, char *err,
                         size_t errlen) {
    char attr[32];
    snprintf(attr, sizeof attr, "%s_%s", corpus_split_names[s], what);
    if (h5_attr_get_u64(c->file, attr, v) < 0)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: attribute %s is missing; re-create it with drnn-prep", c->path,
                         attr);
    return 0;
}

/* A labelled split: <split>_examples, /SPLIT/offsets [n+1] and /SPLIT/labels [n]. */
static int open_examples(corpus_t *c, int s, char *err, size_t errlen) {
    char path[32];
    uint64_t n = 0;
    int rc = get_split_u64(c, s, "examples", &n, err, errlen);
    if (rc == 0 && (n == 0 || n == UINT64_MAX))
        rc = drnn_errf(err, errlen, 65,
                       "corpus %s: attribute %s_examples is invalid; re-create it with drnn-prep",
                       c->path, corpus_split_names[s]);
    c->examples[s] = n;
    snprintf(path, sizeof path, "/%s/offsets", corpus_split_names[s]);
    if (rc == 0) rc = open_1d(c, path, H5P_DEFAULT, n + 1, &c->offsets[s], err, errlen);
    snprintf(path, sizeof path, "/%s/labels", corpus_split_names[s]);
    if (rc == 0) rc = open_1d(c, path, H5P_DEFAULT, n, &c->label_ids[s], err, errlen);
    return rc;
}

/* Checks split s's attributes against its datasets and opens them (tokens with a larger chunk
 * cache: B streams read from different chunks of the same dataset). */
static int open_split(corpus_t *c, int s, char *err, size_t errlen) {
    char path[32], attr[32];
    snprintf(path, sizeof path, "/%s/tokens", corpus_split_names[s]);
    snprintf(attr, sizeof attr, "%s_examples", corpus_split_names[s]);
    if (!h5_exists(c->file, path)) {
        if (c->num_labels && H5Aexists(c->file, attr) > 0)
            return drnn_errf(err, errlen, 65,
                             "corpus %s: %s is missing (damaged file?); re-create it with "
                             "drnn-prep",
                             c->path, path);
        return 0;
    }
    uint64_t crc = 0;
    int rc = get_split_u64(c, s, "tokens", &c->tokens[s], err, errlen);
    if (rc == 0) rc = get_split_u64(c, s, "crc32", &crc, err, errlen);
    if (rc) return rc;
    c->crc[s] = (uint32_t)crc;
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl, 12421, 64u << 20, 1.0);
    rc = open_1d(c, path, dapl, c->tokens[s], &c->dset[s], err, errlen);
    H5Pclose(dapl);
    if (rc == 0 && c->num_labels) rc = open_examples(c, s, err, errlen);
    return rc;
}

/* The data attribute ("text" when missing) and, for labelled data, num_labels and /labels. */
static int open_data_kind(corpus_t *c, char *err, size_t errlen) {
    int64_t nl = 0;
    int have = 0;
    if (H5Aexists(c->file, "data") <= 0)
        snprintf(c->data, sizeof c->data, "text");
    else if (h5_attr_get_string(c->file, "data", c->data, sizeof c->data) < 0)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: attribute data is invalid; re-create it with drnn-prep",
                         c->path);
    if (strcmp(c->data, "text") == 0) return 0;
    if (strcmp(c->data, "labels") != 0)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: data '%s' is not text or labels; this drnn cannot read it",
                         c->path, c->data);
    if (h5_attr_get_i64(c->file, "num_labels", &nl) < 0 || nl < 1 || nl > (1 << 26))
        return drnn_errf(err, errlen, 65,
                         "corpus %s: attribute num_labels is missing or invalid; re-create it "
                         "with drnn-prep",
                         c->path);
    if (h5_read_strings(c->file, "/labels", &c->labels, &have) < 0 || have != nl) {
        if (c->labels) h5_free_strings(c->labels, have);
        c->labels = NULL;
        return drnn_errf(err, errlen, 65,
                         "corpus %s: /labels is missing or does not have num_labels=%lld "
                         "entries; re-create it with drnn-prep",
                         c->path, (long long)nl);
    }
    c->num_labels = (int)nl;
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
    for (int s = 0; s < CORPUS_NSPLITS; s++) c->dset[s] = c->offsets[s] = c->label_ids[s] = -1;
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
        h5_free_strings(c->vocab, nv); /* nv entries, not vocab_size */
        c->vocab = NULL;
        rc = drnn_errf(err, errlen, 65,
                       "corpus %s: /vocab is missing or does not have vocab_size=%d entries; "
                       "re-create it with drnn-prep",
                       path, c->vocab_size);
        goto out;
    }
    rc = open_data_kind(c, err, errlen);
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
    for (int s = 0; s < CORPUS_NSPLITS; s++) {
        if (c->dset[s] >= 0) H5Dclose(c->dset[s]);
        if (c->offsets[s] >= 0) H5Dclose(c->offsets[s]);
        if (c->label_ids[s] >= 0) H5Dclose(c->label_ids[s]);
    }
    if (c->file >= 0 && c->file != 0) H5Fclose(c->file);
    h5_free_strings(c->vocab, c->vocab_size);
    h5_free_strings(c->labels, c->num_labels);
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
const char *corpus_data_kind(const corpus_t *c) {
    return c->data;
}
int corpus_num_labels(const corpus_t *c) {
    return c->num_labels;
}
const char *const *corpus_label_names(const corpus_t *c) {
    return (const char *const *)c->labels;
}
uint64_t corpus_split_examples(const corpus_t *c, int split) {
    return c->examples[split];
}

/* Reads the whole 1-D dataset D as MTYPE into DST. */
static int read_all(const corpus_t *c, hid_t d, hid_t mtype, void *dst, const char *what, int split,
                    char *err, size_t errlen) {
    if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) >= 0) return 0;
    return drnn_errf(err, errlen, 65, "corpus %s: cannot read /%s/%s (damaged file?)", c->path,
                     corpus_split_names[split], what);
}

int corpus_read_examples(corpus_t *c, int split, uint64_t *offsets, uint32_t *labels, char *err,
                         size_t errlen) {
    const char *name = corpus_split_names[split];
    uint64_t n = c->examples[split];
    if (!c->num_labels)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: holds text, not labelled examples; make one with drnn-prep "
                         "--format labels",
                         c->path);
    offsets[0] = 0;
    if (n == 0) return 0; /* the split is absent */
    int rc =
        read_all(c, c->offsets[split], H5T_NATIVE_UINT64, offsets, "offsets", split, err, errlen);
    if (rc == 0)
        rc = read_all(c, c->label_ids[split], H5T_NATIVE_UINT32, labels, "labels", split, err,
                      errlen);
    if (rc) return rc;
    if (offsets[0] != 0 || offsets[n] != c->tokens[split])
        return drnn_errf(err, errlen, 65,
                         "corpus %s: /%s/offsets do not run from 0 to %s_tokens=%llu (damaged "
                         "file?); re-create it with drnn-prep",
                         c->path, name, name, (unsigned long long)c->tokens[split]);
    for (uint64_t i = 0; i < n; i++) {
        if (offsets[i + 1] < offsets[i])
            return drnn_errf(err, errlen, 65,
                             "corpus %s: /%s/offsets decrease at example %llu (damaged file?)",
                             c->path, name, (unsigned long long)i);
        if (labels[i] >= (uint32_t)c->num_labels)
            return drnn_errf(err, errlen, 65,
                             "corpus %s: label id %u of %s example %llu >= num_labels %d", c->path,
                             labels[i], name, (unsigned long long)i, c->num_labels);
    }
    return 0;
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

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
    char data[16]; /* "text", "labels" or "pairs" */
    /* labelled data (DESIGN §6); num_labels == 0 otherwise */
    int num_labels;
    char **labels; /* [num_labels] */
    uint64_t examples[CORPUS_NSPLITS];
    hid_t offsets[CORPUS_NSPLITS];   /* -1 when absent or text (pairs: the source's) */
    hid_t label_ids[CORPUS_NSPLITS]; /* -1 when absent or not labels */
    /* pair data; tgt_vocab_size == 0 otherwise (dset and offsets hold the source side) */
    int tgt_vocab_size, shared_vocab;
    char **tgt_vocab; /* [tgt_vocab_size] */
    uint64_t tgt_tokens[CORPUS_NSPLITS];
    hid_t tgt_dset[CORPUS_NSPLITS];    /* -1 when absent or not pairs */
    hid_t tgt_offsets[CORPUS_NSPLITS]; /* -1 when absent or not pairs */
};

static int is_pairs(const corpus_t *c) {
    return c->tgt_vocab_size > 0;
}

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

/* Opens /SPLIT/NAME of split s, 1-D unsigned with N elements, into *d (access properties DAPL). */
static int open_split_1d(corpus_t *c, int s, const char *name, hid_t dapl, uint64_t n, hid_t *d,
                         char *err, size_t errlen) {
    char path[48];
    snprintf(path, sizeof path, "/%s/%s", corpus_split_names[s], name);
    return open_1d(c, path, dapl, n, d, err, errlen);
}

/* The examples of a labelled or pair split: <split>_examples, then /SPLIT/offsets [n+1] and
 * /SPLIT/labels [n], or /SPLIT/src_offsets [n+1], /SPLIT/tgt_tokens and /SPLIT/tgt_offsets
 * [n+1]. DAPL: the token datasets' access properties. */
static int open_examples(corpus_t *c, int s, hid_t dapl, char *err, size_t errlen) {
    uint64_t n = 0;
    int rc = get_split_u64(c, s, "examples", &n, err, errlen);
    if (rc == 0 && (n == 0 || n == UINT64_MAX))
        rc = drnn_errf(err, errlen, 65,
                       "corpus %s: attribute %s_examples is invalid; re-create it with drnn-prep",
                       c->path, corpus_split_names[s]);
    c->examples[s] = n;
    if (rc) return rc;
    if (!is_pairs(c)) {
        rc = open_split_1d(c, s, "offsets", H5P_DEFAULT, n + 1, &c->offsets[s], err, errlen);
        if (rc == 0)
            rc = open_split_1d(c, s, "labels", H5P_DEFAULT, n, &c->label_ids[s], err, errlen);
        return rc;
    }
    rc = get_split_u64(c, s, "tgt_tokens", &c->tgt_tokens[s], err, errlen);
    if (rc == 0)
        rc = open_split_1d(c, s, "src_offsets", H5P_DEFAULT, n + 1, &c->offsets[s], err, errlen);
    if (rc == 0)
        rc =
            open_split_1d(c, s, "tgt_tokens", dapl, c->tgt_tokens[s], &c->tgt_dset[s], err, errlen);
    if (rc == 0)
        rc =
            open_split_1d(c, s, "tgt_offsets", H5P_DEFAULT, n + 1, &c->tgt_offsets[s], err, errlen);
    return rc;
}

/* Checks split s's attributes against its datasets and opens them (tokens with a larger chunk
 * cache: B streams read from different chunks of the same dataset). A split is present when its
 * (source) tokens dataset is. */
static int open_split(corpus_t *c, int s, char *err, size_t errlen) {
    char path[32], attr[32];
    snprintf(path, sizeof path, "/%s/%s", corpus_split_names[s],
             is_pairs(c) ? "src_tokens" : "tokens");
    snprintf(attr, sizeof attr, "%s_examples", corpus_split_names[s]);
    if (!h5_exists(c->file, path)) {
        if (strcmp(c->data, "text") && H5Aexists(c->file, attr) > 0)
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
    if (rc == 0 && strcmp(c->data, "text")) rc = open_examples(c, s, dapl, err, errlen);
    H5Pclose(dapl);
    return rc;
}

/* The string table PATH (/vocab, /tgt_vocab, /labels), exactly N entries, into *out; or 65
 * naming ATTR, the attribute that gives N. */
static int read_table(corpus_t *c, const char *path, const char *attr, int n, char ***out,
                      char *err, size_t errlen) {
    int have = 0;
    if (h5_read_strings(c->file, path, out, &have) == 0 && have == n) return 0;
    h5_free_strings(*out, have); /* have entries, not n */
    *out = NULL;
    return drnn_errf(err, errlen, 65,
                     "corpus %s: %s is missing or does not have %s=%d entries; re-create it "
                     "with drnn-prep",
                     c->path, path, attr, n);
}

/* Pair data: tgt_vocab_size, shared_vocab and /tgt_vocab (equal to /vocab when shared). */
static int open_pairs(corpus_t *c, char *err, size_t errlen) {
    int64_t tv = 0, shared = -1;
    if (h5_attr_get_i64(c->file, "tgt_vocab_size", &tv) < 0 || tv < 1 || tv > (1 << 26) ||
        h5_attr_get_i64(c->file, "shared_vocab", &shared) < 0 || (shared != 0 && shared != 1))
        return drnn_errf(err, errlen, 65,
                         "corpus %s: attribute tgt_vocab_size or shared_vocab is missing or "
                         "invalid; re-create it with drnn-prep",
                         c->path);
    int rc = read_table(c, "/tgt_vocab", "tgt_vocab_size", (int)tv, &c->tgt_vocab, err, errlen);
    if (rc) return rc;
    c->tgt_vocab_size = (int)tv;
    c->shared_vocab = (int)shared;
    int same = c->tgt_vocab_size == c->vocab_size;
    for (int i = 0; same && i < c->vocab_size; i++) same = !strcmp(c->vocab[i], c->tgt_vocab[i]);
    if (shared && !same)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: shared_vocab=1 but /tgt_vocab differs from /vocab (damaged "
                         "file?); re-create it with drnn-prep",
                         c->path);
    return 0;
}

/* The data attribute ("text" when missing) and what labelled or pair data adds. */
static int open_data_kind(corpus_t *c, char *err, size_t errlen) {
    int64_t nl = 0;
    if (H5Aexists(c->file, "data") <= 0)
        snprintf(c->data, sizeof c->data, "text");
    else if (h5_attr_get_string(c->file, "data", c->data, sizeof c->data) < 0)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: attribute data is invalid; re-create it with drnn-prep",
                         c->path);
    if (strcmp(c->data, "text") == 0) return 0;
    if (strcmp(c->data, "pairs") == 0) return open_pairs(c, err, errlen);
    if (strcmp(c->data, "labels") != 0)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: data '%s' is not text, labels or pairs; this drnn cannot "
                         "read it",
                         c->path, c->data);
    if (h5_attr_get_i64(c->file, "num_labels", &nl) < 0 || nl < 1 || nl > (1 << 26))
        return drnn_errf(err, errlen, 65,
                         "corpus %s: attribute num_labels is missing or invalid; re-create it "
                         "with drnn-prep",
                         c->path);
    int rc = read_table(c, "/labels", "num_labels", (int)nl, &c->labels, err, errlen);
    if (rc == 0) c->num_labels = (int)nl;
    return rc;
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
    for (int s = 0; s < CORPUS_NSPLITS; s++)
        c->dset[s] = c->offsets[s] = c->label_ids[s] = c->tgt_dset[s] = c->tgt_offsets[s] = -1;
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
    rc = read_table(c, "/vocab", "vocab_size", c->vocab_size, &c->vocab, err, errlen);
    if (rc == 0) rc = open_data_kind(c, err, errlen);
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
        if (c->tgt_dset[s] >= 0) H5Dclose(c->tgt_dset[s]);
        if (c->tgt_offsets[s] >= 0) H5Dclose(c->tgt_offsets[s]);
    }
    if (c->file >= 0 && c->file != 0) H5Fclose(c->file);
    h5_free_strings(c->vocab, c->vocab_size);
    h5_free_strings(c->labels, c->num_labels);
    h5_free_strings(c->tgt_vocab, c->tgt_vocab_size);
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
int corpus_tgt_vocab_size(const corpus_t *c) {
    return c->tgt_vocab_size;
}
const char *const *corpus_tgt_vocab(const corpus_t *c) {
    return (const char *const *)c->tgt_vocab;
}
int corpus_shared_vocab(const corpus_t *c) {
    return c->shared_vocab;
}
uint64_t corpus_split_tgt_tokens(const corpus_t *c, int split) {
    return c->tgt_tokens[split];
}

/* Reads the whole 1-D dataset D as MTYPE into DST. */
static int read_all(const corpus_t *c, hid_t d, hid_t mtype, void *dst, const char *what, int split,
                    char *err, size_t errlen) {
    if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) >= 0) return 0;
    return drnn_errf(err, errlen, 65, "corpus %s: cannot read /%s/%s (damaged file?)", c->path,
                     corpus_split_names[split], what);
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
    const char *sn = corpus_split_names[s], *unit = is_pairs(c) ? "pair" : "example";
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
    int rc = read_offsets(c, c->offsets[split], split, "offsets", "tokens", c->tokens[split], 0,
                          offsets, err, errlen);
    if (rc == 0)
        rc = read_all(c, c->label_ids[split], H5T_NATIVE_UINT32, labels, "labels", split, err,
                      errlen);
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
    if (!is_pairs(c)) return not_data(c, "pairs", err, errlen);
    src_off[0] = tgt_off[0] = 0;
    if (c->examples[split] == 0) return 0; /* the split is absent */
    int rc = read_offsets(c, c->offsets[split], split, "src_offsets", "tokens", c->tokens[split], 1,
                          src_off, err, errlen);
    if (rc) return rc;
    return read_offsets(c, c->tgt_offsets[split], split, "tgt_offsets", "tgt_tokens",
                        c->tgt_tokens[split], 1, tgt_off, err, errlen);
}

/* N ids of split s's token dataset D (NAME, TOTAL ids, a vocabulary of VSIZE entries named
 * VATTR) from OFF into DST, each checked < VSIZE. */
static int read_ids(corpus_t *c, hid_t d, int s, const char *name, uint64_t total, int vsize,
                    const char *vattr, uint64_t off, uint64_t n, uint32_t *dst, char *err,
                    size_t errlen) {
    if (d < 0 || off + n > total || off + n < off)
        return drnn_errf(err, errlen, 65, "corpus %s: read of /%s/%s [%llu, %llu) out of range",
                         c->path, corpus_split_names[s], name, (unsigned long long)off,
                         (unsigned long long)(off + n));
    if (n == 0) return 0;
    hsize_t start[1] = {off}, count[1] = {n};
    hid_t fsp = H5Dget_space(d);
    hid_t msp = H5Screate_simple(1, count, NULL);
    int ok = fsp >= 0 && msp >= 0 &&
             H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
             H5Dread(d, H5T_NATIVE_UINT32, msp, fsp, H5P_DEFAULT, dst) >= 0;
    if (msp >= 0) H5Sclose(msp);
    if (fsp >= 0) H5Sclose(fsp);
    if (!ok)
        return drnn_errf(err, errlen, 65, "corpus %s: cannot read /%s/%s (damaged file?)", c->path,
                         corpus_split_names[s], name);
    for (uint64_t i = 0; i < n; i++)
        if (dst[i] >= (uint32_t)vsize)
            return drnn_errf(
                err, errlen, 65, "corpus %s: token id %u at /%s/%s position %llu >= %s %d", c->path,
                dst[i], corpus_split_names[s], name, (unsigned long long)(off + i), vattr, vsize);
    return 0;
}

int corpus_read(corpus_t *c, int split, uint64_t off, uint64_t n, uint32_t *dst, char *err,
                size_t errlen) {
    return read_ids(c, c->dset[split], split, is_pairs(c) ? "src_tokens" : "tokens",
                    c->tokens[split], c->vocab_size, "vocab_size", off, n, dst, err, errlen);
}

int corpus_read_side(corpus_t *c, int split, int side, uint64_t off, uint64_t n, uint32_t *dst,
                     char *err, size_t errlen) {
    if (!is_pairs(c)) return not_data(c, "pairs", err, errlen);
    if (side == 0) return corpus_read(c, split, off, n, dst, err, errlen);
    if (side != 1)
        return drnn_errf(err, errlen, 70, "internal error: pair side %d is not 0 or 1", side);
    return read_ids(c, c->tgt_dset[split], split, "tgt_tokens", c->tgt_tokens[split],
                    c->tgt_vocab_size, "tgt_vocab_size", off, n, dst, err, errlen);
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

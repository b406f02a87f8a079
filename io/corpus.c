#include "io/corpus.h"
#include "base/test_knobs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "io/h5util.h"
#include "io/isolate.h"
#include "base/util.h"

const char *const corpus_split_names[CORPUS_NSPLITS] = {"train", "valid", "test"};

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

/* /spm_model (and /tgt_spm_model) of an spm corpus. 0, or 65. */
static int open_spm(corpus_t *c, char *err, size_t errlen) {
    static const char *const names[2] = {"spm_model", "tgt_spm_model"};
    for (int k = 0; k < 2; k++)
        if (h5_read_bytes(c->file, names[k], &c->spm[k], &c->spm_len[k]) < 0)
            return drnn_errf(err, errlen, 65,
                             "corpus %s: /%s is damaged (its CRC-32 does not match); re-create "
                             "it with drnn-prep",
                             c->path, names[k]);
    if (strcmp(c->tokenizer, "spm") == 0 && !c->spm_len[0])
        return drnn_errf(err, errlen, 65,
                         "corpus %s: tokenizer spm but no /spm_model; re-create it with drnn-prep",
                         c->path);
    return 0;
}

static int is_pairs(const corpus_t *c) {
    return c->tgt_vocab_size > 0;
}

static int is_tags(const corpus_t *c) {
    return strcmp(c->data, "tags") == 0;
}

/* 65: "corpus PATH: WHAT (damaged file?); re-create it with drnn-prep". */
static int damaged(const corpus_t *c, const char *what, char *err, size_t errlen) {
    return drnn_errf(err, errlen, 65, "corpus %s: %s (damaged file?); re-create it with drnn-prep",
                     c->path, what);
}

/* Opens the 1-D unsigned integer dataset PATH (access properties DAPL) into *d and checks that it
 * holds N elements in chunks that libhdf5 verifies (Fletcher32) as it reads them. */
static int open_1d(corpus_t *c, const char *path, hid_t dapl, uint64_t n, hid_t *d, char *err,
                   size_t errlen) {
    char what[96];
    *d = H5Dopen2(c->file, path, dapl);
    if (*d < 0) {
        snprintf(what, sizeof what, "cannot open %s", path);
        return damaged(c, what, err, errlen);
    }
    hid_t sp = H5Dget_space(*d), ty = H5Dget_type(*d), dcpl = H5Dget_create_plist(*d);
    hssize_t have = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int ndims = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    int is_uint = ty >= 0 && H5Tget_class(ty) == H5T_INTEGER && H5Tget_sign(ty) == H5T_SGN_NONE;
    unsigned flags = 0;
    size_t ncd = 0;
    int checked = dcpl >= 0 && H5Pget_filter_by_id2(dcpl, H5Z_FILTER_FLETCHER32, &flags, &ncd, NULL,
                                                    0, NULL, NULL) >= 0;
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    if (dcpl >= 0) H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    if (ndims != 1 || !is_uint || have < 0 || (uint64_t)have != n) {
        snprintf(what, sizeof what, "%s does not match its attributes", path);
        return damaged(c, what, err, errlen);
    }
    if (!checked) {
        snprintf(what, sizeof what, "%s has no Fletcher32 checksums", path);
        return damaged(c, what, err, errlen);
    }
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

/* The examples of a labelled, tagged or pair split: <split>_examples, then /SPLIT/offsets [n+1]
 * and /SPLIT/labels [n], /SPLIT/offsets [n+1] and /SPLIT/tags [<split>_tokens], or
 * /SPLIT/src_offsets [n+1], /SPLIT/tgt_tokens and /SPLIT/tgt_offsets [n+1]. DAPL: the token
 * datasets' access properties (the tags are read in token ranges too). */
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
        if (rc == 0 && is_tags(c))
            rc = open_split_1d(c, s, "tags", dapl, c->tokens[s], &c->tag_ids[s], err, errlen);
        else if (rc == 0)
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

/* Checks split s's attributes against its datasets and opens them. The attributes (in checksummed
 * metadata) say whether a split is present: <split>_tokens exists exactly when its group does. */
static int open_split(corpus_t *c, int s, char *err, size_t errlen) {
    char path[32], attr[32];
    snprintf(path, sizeof path, "/%s/%s", corpus_split_names[s],
             is_pairs(c) ? "src_tokens" : "tokens");
    snprintf(attr, sizeof attr, "%s_tokens", corpus_split_names[s]);
    htri_t has_attr = H5Aexists(c->file, attr);
    htri_t has_group = H5Lexists(c->file, corpus_split_names[s], H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    if (has_attr < 0 || has_group < 0 || has_attr != has_group) {
        char what[96];
        snprintf(what, sizeof what, "split %s: attribute %s and group /%s disagree",
                 corpus_split_names[s], attr, corpus_split_names[s]);
        return damaged(c, what, err, errlen);
    }
    if (!has_attr) return 0;
    uint64_t crc = 0;
    int rc = get_split_u64(c, s, "tokens", &c->tokens[s], err, errlen);
    if (rc == 0) rc = get_split_u64(c, s, "crc32", &crc, err, errlen);
    if (rc) return rc;
    char chars[32];
    snprintf(chars, sizeof chars, "%s_chars", corpus_split_names[s]);
    if (H5Aexists(c->file, chars) > 0 && h5_attr_get_u64(c->file, chars, &c->chars[s]) < 0)
        return damaged(c, "attribute <split>_chars unreadable", err, errlen);
    c->crc[s] = (uint32_t)crc;
    /* A bounded cache, the same whatever the corpus size: the stream reader keeps its own
     * read-ahead and reads every chunk once; a batch of examples (classifier, tagger: one read
     * over all of them, corpus_read_ranges) finds the chunks earlier batches inflated here.
     * Fully read chunks leave first. */
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl, 521, CORPUS_CHUNK_CACHE, 1.0);
    rc = open_1d(c, path, dapl, c->tokens[s], &c->dset[s], err, errlen);
    if (rc == 0 && strcmp(c->data, "text")) rc = open_examples(c, s, dapl, err, errlen);
    H5Pclose(dapl);
    return rc;
}

static void table_free(table_t *t) {
    free(t->bytes);
    free(t->s);
    t->bytes = NULL;
    t->s = NULL;
}

/* Cuts the LEN bytes of T (NUL-terminated entries) into exactly N entries. */
static int table_split(table_t *t, size_t len, int n) {
    int k = 0;
    if (len == 0 || t->bytes[len - 1] != '\0') return -1;
    t->s = malloc((size_t)n * sizeof *t->s);
    if (!t->s) return -1;
    for (size_t at = 0; at < len; at += strlen(t->bytes + at) + 1) {
        if (k == n) return -1;
        t->s[k++] = t->bytes + at;
    }
    return k == n ? 0 : -1;
}

/* Reads the 1-D uint8 dataset PATH whole into T->bytes (*len bytes, at most MAX). */
static int table_read(corpus_t *c, const char *path, size_t max, table_t *t, size_t *len) {
    int rc = -1;
    hid_t d = H5Dopen2(c->file, path, H5P_DEFAULT);
    hid_t ty = d >= 0 ? H5Dget_type(d) : -1, sp = d >= 0 ? H5Dget_space(d) : -1;
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (ty >= 0 && H5Tget_class(ty) == H5T_INTEGER && H5Tget_size(ty) == 1 && sp >= 0 &&
        H5Sget_simple_extent_ndims(sp) == 1 && n > 0 && (size_t)n <= max) {
        t->bytes = malloc((size_t)n);
        if (t->bytes && H5Dread(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->bytes) >= 0)
            rc = 0;
        *len = (size_t)n;
    }
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    if (d >= 0) H5Dclose(d);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

/* The string table NAME (/vocab, /tgt_vocab, /labels), exactly N entries (ATTR gives N), into
 * *T, verified against the attribute NAME_crc32 before any entry is used. */
static int read_table(corpus_t *c, const char *name, const char *attr, int n, table_t *t, char *err,
                      size_t errlen) {
    char path[32], crc_attr[32], what[128];
    uint64_t want = 0;
    size_t len = 0;
    snprintf(path, sizeof path, "/%s", name);
    snprintf(crc_attr, sizeof crc_attr, "%s_crc32", name);
    if (h5_attr_get_u64(c->file, crc_attr, &want) < 0) {
        snprintf(what, sizeof what, "attribute %s is missing", crc_attr);
        return damaged(c, what, err, errlen);
    }
    /* A bound for the allocation: words have at most TOK_WORD_MAX bytes; label names less than
     * the 1 GiB left for them. */
    if (table_read(c, path, (size_t)n * 1100u + (1u << 30), t, &len) != 0) {
        snprintf(what, sizeof what, "%s is missing or unreadable", path);
        return damaged(c, what, err, errlen);
    }
    if (crc32_z(0, (const unsigned char *)t->bytes, len) != want) {
        snprintf(what, sizeof what, "%s does not match its checksum %s", path, crc_attr);
        return damaged(c, what, err, errlen);
    }
    if (table_split(t, len, n) != 0) {
        snprintf(what, sizeof what, "%s does not have %s=%d entries", path, attr, n);
        return damaged(c, what, err, errlen);
    }
    return 0;
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
    int rc = read_table(c, "tgt_vocab", "tgt_vocab_size", (int)tv, &c->tgt_vocab, err, errlen);
    if (rc) return rc;
    c->tgt_vocab_size = (int)tv;
    c->shared_vocab = (int)shared;
    int same = c->tgt_vocab_size == c->vocab_size;
    for (int i = 0; same && i < c->vocab_size; i++)
        same = !strcmp(c->vocab.s[i], c->tgt_vocab.s[i]);
    if (shared && !same)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: shared_vocab=1 but /tgt_vocab differs from /vocab (damaged "
                         "file?); re-create it with drnn-prep",
                         c->path);
    return 0;
}

/* The data attribute and what labelled, tagged or pair data adds. */
static int open_data_kind(corpus_t *c, char *err, size_t errlen) {
    int64_t nl = 0;
    if (h5_attr_get_string(c->file, "data", c->data, sizeof c->data) < 0)
        return damaged(c, "attribute data is missing or invalid", err, errlen);
    if (strcmp(c->data, "text") == 0) return 0;
    if (strcmp(c->data, "pairs") == 0) return open_pairs(c, err, errlen);
    if (strcmp(c->data, "labels") != 0 && !is_tags(c))
        return drnn_errf(err, errlen, 65,
                         "corpus %s: data '%s' is not text, labels or pairs, nor tags; this drnn "
                         "cannot read it",
                         c->path, c->data);
    if (h5_attr_get_i64(c->file, "num_labels", &nl) < 0 || nl < 1 || nl > (1 << 26))
        return drnn_errf(err, errlen, 65,
                         "corpus %s: attribute num_labels is missing or invalid; re-create it "
                         "with drnn-prep",
                         c->path);
    int rc = read_table(c, "labels", "num_labels", (int)nl, &c->labels, err, errlen);
    if (rc == 0) c->num_labels = (int)nl;
    return rc;
}

/* Opens PATH in this process: corpus_open without the child. */
static int open_here(corpus_t **out, const char *path, char *err, size_t errlen) {
    corpus_t *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        free(c);
        return drnn_errf(err, errlen, 70, "out of memory opening corpus %s", path);
    }
    for (int s = 0; s < CORPUS_NSPLITS; s++)
        c->dset[s] = c->offsets[s] = c->label_ids[s] = c->tag_ids[s] = c->tgt_dset[s] =
            c->tgt_offsets[s] = -1;
    int rc = 0;
    char fmt[64];
    int64_t version = 0, vsize = 0;
    h5_quiet();
    if (H5Fis_hdf5(path) <= 0) {
        rc = drnn_errf(err, errlen, 65,
                       "corpus %s: not a drnn corpus (not an HDF5 file); create one with drnn-prep",
                       path);
        goto out;
    }
    c->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (c->file < 0) {
        rc = damaged(c, "HDF5 cannot open it", err, errlen);
        goto out;
    }
    /* An attribute libhdf5 cannot read (its checksum failed) is damage, not another format. */
    htri_t has_format = H5Aexists(c->file, "format");
    if (has_format != 0 && h5_attr_get_string(c->file, "format", fmt, sizeof fmt) < 0) {
        rc = damaged(c, "attribute format is unreadable", err, errlen);
        goto out;
    }
    if (has_format == 0 || strcmp(fmt, CORPUS_FORMAT) != 0) {
        rc = drnn_errf(
            err, errlen, 65,
            "corpus %s: not a drnn corpus (no format=\"drnn-corpus\" attribute); create one "
            "with drnn-prep",
            path);
        goto out;
    }
    if (h5_attr_get_i64(c->file, "version", &version) < 0 || version != CORPUS_VERSION) {
        rc = drnn_errf(err, errlen, 65,
                       "corpus %s: format version %lld, this drnn reads version %d (checksummed "
                       "vocabulary and tokens); re-create it with this drnn-prep from the text",
                       path, (long long)version, CORPUS_VERSION);
        goto out;
    }
    if (h5_attr_get_string(c->file, "tokenizer", c->tokenizer, sizeof c->tokenizer) < 0 ||
        h5_attr_get_i64(c->file, "vocab_size", &vsize) < 0 || vsize <= 0 || vsize > (1 << 26) ||
        h5_attr_get_string(c->file, "uuid", c->uuid, sizeof c->uuid) < 0) {
        rc = damaged(c, "attribute tokenizer, vocab_size or uuid missing or invalid", err, errlen);
        goto out;
    }
    c->vocab_size = (int)vsize;
    rc = read_table(c, "vocab", "vocab_size", c->vocab_size, &c->vocab, err, errlen);
    if (rc == 0) rc = open_data_kind(c, err, errlen);
    if (rc == 0) rc = open_spm(c, err, errlen);
    for (int s = 0; s < CORPUS_NSPLITS && rc == 0; s++) rc = open_split(c, s, err, errlen);
out:
    if (rc != 0) {
        corpus_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* ---- the first open, in a child process ---------------------------------------------------- */

static double g_check_cap; /* corpus_set_check_timeout; 0: none */

void corpus_set_check_timeout(double seconds) {
    g_check_cap = seconds;
}

/* N elements of SIZE bytes, or NULL (also for N beyond what size_t holds). */
static void *alloc_n(uint64_t n, size_t size) {
    return n < SIZE_MAX / size ? malloc((size_t)(n ? n : 1) * size) : NULL;
}

/* What the readers of split s read whole (every offset and label), and the first and last id
 * of each of its token datasets (and tags), so that the chunk indexes are read once where a
 * crash or a hang costs nothing. Tag ids, like token ids, are checked as they are read. */
static int probe_split(corpus_t *c, int s, char *err, size_t errlen) {
    uint64_t n = c->examples[s];
    uint64_t *a = alloc_n(n + 1, sizeof *a), *b = alloc_n(n + 1, sizeof *b);
    uint32_t *lab = alloc_n(n, sizeof *lab), id;
    int rc = a && b && lab ? 0 : drnn_errf(err, errlen, 70, "out of memory checking %s", c->path);
    if (rc == 0 && c->num_labels) rc = corpus_read_examples(c, s, a, lab, err, errlen);
    if (rc == 0 && is_pairs(c)) rc = corpus_read_pair_offsets(c, s, a, b, err, errlen);
    /* side 1: the targets of pairs, or the tags (one per token) */
    for (int side = 0; side < 1 + (is_pairs(c) || is_tags(c)) && rc == 0; side++) {
        uint64_t len = side && is_pairs(c) ? c->tgt_tokens[s] : c->tokens[s];
        for (int end = 0; end < 2 && rc == 0 && len > 0; end++) {
            uint64_t at = end ? len - 1 : 0;
            rc = !side         ? corpus_read(c, s, at, 1, &id, err, errlen)
                 : is_pairs(c) ? corpus_read_side(c, s, 1, at, 1, &id, err, errlen)
                               : corpus_read_tags(c, s, at, 1, &id, err, errlen);
        }
    }
    free(a);
    free(b);
    free(lab);
    return rc;
}

/* Runs in the child (ARG: the path): everything corpus_open does, and probe_split. */
static int check_child(void *arg, char *err, size_t errlen) {
    /* Test-only knob: the check dies or loops, as libhdf5 does on some damaged files. */
    const char *knob = test_knob(KNOB_CORPUS_CHECK);
    if (knob && !strcmp(knob, "crash")) abort();
    while (knob && !strcmp(knob, "hang")) pause();
    corpus_t *c = NULL;
    int rc = open_here(&c, arg, err, errlen);
    for (int s = 0; s < CORPUS_NSPLITS && rc == 0; s++) rc = probe_split(c, s, err, errlen);
    corpus_close(c);
    return rc;
}

/* How long the child may take: metadata, tables and offsets are small next to the tokens. */
static double check_timeout(const struct stat *st) {
    double t = CORPUS_CHECK_TIMEOUT + (double)st->st_size / 200e6;
    /* Test-only knob (shared with io/weights.c): files that hang libhdf5 need not cost 30 s. */
    const char *knob = test_knob(KNOB_ISOLATE_TIMEOUT);
    if (knob && atof(knob) > 0) t = atof(knob);
    return g_check_cap > 0 && g_check_cap < t ? g_check_cap : t;
}

int corpus_open(corpus_t **out, const char *path, char *err, size_t errlen) {
    struct stat st;
    char copy[PATH_MAX];
    *out = NULL;
    if (stat(path, &st) != 0)
        return drnn_errf(err, errlen, 66, "corpus %s: %s; create one with drnn-prep", path,
                         strerror(errno));
    if (!S_ISREG(st.st_mode))
        return drnn_errf(err, errlen, 66, "corpus %s: not a regular file", path);
    FILE *probe = fopen(path, "rb");
    if (!probe) return drnn_errf(err, errlen, 66, "corpus %s: %s", path, strerror(errno));
    fclose(probe);
    if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy)
        return drnn_errf(err, errlen, 66, "corpus %.200s...: path too long", path);
    isolate_result_t res;
    double timeout = check_timeout(&st);
    if (isolate_run(&res, check_child, copy, timeout, err, errlen) != 0) {
        char why[256];
        snprintf(why, sizeof why, "%s", err);
        return drnn_errf(err, errlen, 70, "corpus %s: cannot check it: %s", path, why);
    }
    if (res.status == ISOLATE_CRASHED)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: the file is damaged (libhdf5 died reading it, signal %d); "
                         "re-create it with drnn-prep",
                         path, res.signal);
    if (res.status == ISOLATE_TIMEOUT)
        return drnn_errf(err, errlen, 65,
                         "corpus %s: the file is damaged (libhdf5 still reading it after %.0f s); "
                         "re-create it with drnn-prep",
                         path, timeout);
    if (res.code != 0 && !err[0])
        return drnn_errf(err, errlen, 65,
                         "corpus %s: the file is damaged (its check exited with %d); re-create it "
                         "with drnn-prep",
                         path, res.code);
    if (res.code != 0) return res.code;
    return open_here(out, path, err, errlen);
}

void corpus_close(corpus_t *c) {
    if (!c) return;
    for (int s = 0; s < CORPUS_NSPLITS; s++) {
        if (c->dset[s] >= 0) H5Dclose(c->dset[s]);
        if (c->offsets[s] >= 0) H5Dclose(c->offsets[s]);
        if (c->label_ids[s] >= 0) H5Dclose(c->label_ids[s]);
        if (c->tag_ids[s] >= 0) H5Dclose(c->tag_ids[s]);
        if (c->tgt_dset[s] >= 0) H5Dclose(c->tgt_dset[s]);
        if (c->tgt_offsets[s] >= 0) H5Dclose(c->tgt_offsets[s]);
    }
    if (c->file > 0) H5Fclose(c->file);
    table_free(&c->vocab);
    table_free(&c->labels);
    table_free(&c->tgt_vocab);
    free(c->spm[0]);
    free(c->spm[1]);
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
    return (const char *const *)c->vocab.s;
}
const char *corpus_uuid(const corpus_t *c) {
    return c->uuid;
}
uint64_t corpus_split_tokens(const corpus_t *c, int split) {
    return c->tokens[split];
}
uint64_t corpus_split_chars(const corpus_t *c, int split) {
    return c->chars[split];
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
    return (const char *const *)c->labels.s;
}
uint64_t corpus_split_examples(const corpus_t *c, int split) {
    return c->examples[split];
}
int corpus_tgt_vocab_size(const corpus_t *c) {
    return c->tgt_vocab_size;
}
const char *const *corpus_tgt_vocab(const corpus_t *c) {
    return (const char *const *)c->tgt_vocab.s;
}
int corpus_shared_vocab(const corpus_t *c) {
    return c->shared_vocab;
}
model_spm_t corpus_spm(const corpus_t *c) {
    return (model_spm_t){{c->spm[0], c->spm[1]}, {c->spm_len[0], c->spm_len[1]}};
}
uint64_t corpus_split_tgt_tokens(const corpus_t *c, int split) {
    return c->tgt_tokens[split];
}

/* Reads the whole 1-D dataset D as MTYPE into DST. */
static int read_all(const corpus_t *c, hid_t d, hid_t mtype, void *dst, const char *what, int split,
                    char *err, size_t errlen) {
    char msg[64];
    if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) >= 0) return 0;
    H5Eclear2(H5E_DEFAULT);
    snprintf(msg, sizeof msg, "cannot read /%s/%s", corpus_split_names[split], what);
    return damaged(c, msg, err, errlen);
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
    /* a tagged sequence has at least one token */
    int rc = read_offsets(c, c->offsets[split], split, "offsets", "tokens", c->tokens[split],
                          is_tags(c) ? 1 : 0, offsets, err, errlen);
    if (rc || !labels || is_tags(c)) return rc;
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
    if (!is_pairs(c)) return not_data(c, "pairs", err, errlen);
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
        return damaged(c, msg, err, errlen);
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
    return read_ids(c, c->dset[split], split, is_pairs(c) ? "src_tokens" : "tokens",
                    c->tokens[split], c->vocab_size, "vocab_size", 1, &off, &n, dst, 4, err,
                    errlen);
}

int corpus_read_ranges(corpus_t *c, int split, int tags, int nr, const uint64_t *off,
                       const uint64_t *len, uint32_t *dst, char *err, size_t errlen) {
    if (tags && !is_tags(c)) return not_data(c, "tags", err, errlen);
    if (tags)
        return read_ids(c, c->tag_ids[split], split, "tags", c->tokens[split], c->num_labels,
                        "num_labels", nr, off, len, dst, 4, err, errlen);
    return read_ids(c, c->dset[split], split, is_pairs(c) ? "src_tokens" : "tokens",
                    c->tokens[split], c->vocab_size, "vocab_size", nr, off, len, dst, 4, err,
                    errlen);
}

int corpus_read_tags(corpus_t *c, int split, uint64_t off, uint64_t n, uint32_t *dst, char *err,
                     size_t errlen) {
    if (!is_tags(c)) return not_data(c, "tags", err, errlen);
    return read_ids(c, c->tag_ids[split], split, "tags", c->tokens[split], c->num_labels,
                    "num_labels", 1, &off, &n, dst, 4, err, errlen);
}

int corpus_read_side(corpus_t *c, int split, int side, uint64_t off, uint64_t n, uint32_t *dst,
                     char *err, size_t errlen) {
    if (!is_pairs(c)) return not_data(c, "pairs", err, errlen);
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
    corpus_t *c;
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
    int rc = read_ids(c, c->dset[r->split], r->split, is_pairs(c) ? "src_tokens" : "tokens",
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

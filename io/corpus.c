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

#include "io/corpus_data.h"
#include "io/h5util.h"
#include "io/isolate.h"
#include "base/util.h"

const char *const corpus_split_names[CORPUS_NSPLITS] = {"train", "valid", "test"};

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

/* Opens the 1-D unsigned integer dataset PATH (access properties DAPL) into *d and checks that it
 * holds N elements in chunks that libhdf5 verifies (Fletcher32) as it reads them. */
static int open_1d(corpus_t *c, const char *path, hid_t dapl, uint64_t n, hid_t *d, char *err,
                   size_t errlen) {
    char what[96];
    *d = H5Dopen2(c->file, path, dapl);
    if (*d < 0) {
        snprintf(what, sizeof what, "cannot open %s", path);
        return corpus_damaged(c, what, err, errlen);
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
        return corpus_damaged(c, what, err, errlen);
    }
    if (!checked) {
        snprintf(what, sizeof what, "%s has no Fletcher32 checksums", path);
        return corpus_damaged(c, what, err, errlen);
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
    if (!corpus_is_pairs(c)) {
        rc = open_split_1d(c, s, "offsets", H5P_DEFAULT, n + 1, &c->offsets[s], err, errlen);
        if (rc == 0 && corpus_is_tags(c))
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
             corpus_is_pairs(c) ? "src_tokens" : "tokens");
    snprintf(attr, sizeof attr, "%s_tokens", corpus_split_names[s]);
    htri_t has_attr = H5Aexists(c->file, attr);
    htri_t has_group = H5Lexists(c->file, corpus_split_names[s], H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    if (has_attr < 0 || has_group < 0 || has_attr != has_group) {
        char what[96];
        snprintf(what, sizeof what, "split %s: attribute %s and group /%s disagree",
                 corpus_split_names[s], attr, corpus_split_names[s]);
        return corpus_damaged(c, what, err, errlen);
    }
    if (!has_attr) return 0;
    uint64_t crc = 0;
    int rc = get_split_u64(c, s, "tokens", &c->tokens[s], err, errlen);
    if (rc == 0) rc = get_split_u64(c, s, "crc32", &crc, err, errlen);
    if (rc) return rc;
    char chars[32];
    snprintf(chars, sizeof chars, "%s_chars", corpus_split_names[s]);
    if (H5Aexists(c->file, chars) > 0 && h5_attr_get_u64(c->file, chars, &c->chars[s]) < 0)
        return corpus_damaged(c, "attribute <split>_chars unreadable", err, errlen);
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
        return corpus_damaged(c, what, err, errlen);
    }
    /* A bound for the allocation: words have at most TOK_WORD_MAX bytes; label names less than
     * the 1 GiB left for them. */
    if (table_read(c, path, (size_t)n * 1100u + (1u << 30), t, &len) != 0) {
        snprintf(what, sizeof what, "%s is missing or unreadable", path);
        return corpus_damaged(c, what, err, errlen);
    }
    if (crc32_z(0, (const unsigned char *)t->bytes, len) != want) {
        snprintf(what, sizeof what, "%s does not match its checksum %s", path, crc_attr);
        return corpus_damaged(c, what, err, errlen);
    }
    if (table_split(t, len, n) != 0) {
        snprintf(what, sizeof what, "%s does not have %s=%d entries", path, attr, n);
        return corpus_damaged(c, what, err, errlen);
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
        return corpus_damaged(c, "attribute data is missing or invalid", err, errlen);
    if (strcmp(c->data, "text") == 0) return 0;
    if (strcmp(c->data, "pairs") == 0) return open_pairs(c, err, errlen);
    if (strcmp(c->data, "labels") != 0 && !corpus_is_tags(c))
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
        rc = corpus_damaged(c, "HDF5 cannot open it", err, errlen);
        goto out;
    }
    /* An attribute libhdf5 cannot read (its checksum failed) is damage, not another format. */
    htri_t has_format = H5Aexists(c->file, "format");
    if (has_format != 0 && h5_attr_get_string(c->file, "format", fmt, sizeof fmt) < 0) {
        rc = corpus_damaged(c, "attribute format is unreadable", err, errlen);
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
        rc = corpus_damaged(c, "attribute tokenizer, vocab_size or uuid missing or invalid", err,
                            errlen);
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
    if (rc == 0 && corpus_is_pairs(c)) rc = corpus_read_pair_offsets(c, s, a, b, err, errlen);
    /* side 1: the targets of pairs, or the tags (one per token) */
    for (int side = 0; side < 1 + (corpus_is_pairs(c) || corpus_is_tags(c)) && rc == 0; side++) {
        uint64_t len = side && corpus_is_pairs(c) ? c->tgt_tokens[s] : c->tokens[s];
        for (int end = 0; end < 2 && rc == 0 && len > 0; end++) {
            uint64_t at = end ? len - 1 : 0;
            rc = !side                ? corpus_read(c, s, at, 1, &id, err, errlen)
                 : corpus_is_pairs(c) ? corpus_read_side(c, s, 1, at, 1, &id, err, errlen)
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

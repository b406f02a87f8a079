/* tests/prep_check.c — checks drnn-prep's output by reading it with plain HDF5 calls, not with
 * io/corpus.c, so a bug shared by the writer and the reader cannot hide itself.
 *
 *   prep_check verify CORPUS        every rule of DESIGN §6 that can be checked from the file alone
 *   prep_check info CORPUS          key=value lines (tokenizer, vocab_size, SPLIT_tokens, ...)
 *   prep_check vocab CORPUS         the vocabulary, one escaped entry per line
 *   prep_check dump CORPUS SPLIT    the ids of SPLIT, one per line
 *   prep_check encode CORPUS FILE   FILE tokenized with io/tokenize on the corpus vocabulary must
 *                                   equal train | valid | test
 *   prep_check decode CORPUS OUT    train | valid | test decoded to text into OUT
 *   prep_check chunking KIND FILE   the splitter gives the same symbols whatever the sizes of the
 *                                   pieces FILE is fed in (1 byte, 2, 3, ..., 64 KiB + 1), also
 *                                   with one-byte symbols handed over as runs; prints the number
 *                                   of symbols
 * Labelled corpora (data = "labels"; verify and info cover them too):
 *   prep_check labels CORPUS        the label names, one escaped entry per line
 *   prep_check examples CORPUS SPLIT  one line per example: label name, TAB, decoded text
 *   prep_check reader CORPUS SPLIT  the same lines read through io/corpus.h (corpus_open,
 *                                   corpus_read_examples, corpus_read) instead of plain HDF5;
 *                                   a failure prints the reader's code and message
 *   prep_check damage CORPUS OP     damages CORPUS in place for the reader's checks (see damage)
 *   prep_check offsets CORPUS SPLIT the offsets of a labelled or tagged split through io/corpus.h
 *                                   (corpus_read_examples with labels NULL), one per line
 * Tagged corpora (data = "tags"), through io/corpus.h only (tests/test_prep_tags.sh decodes the
 * file with h5py):
 *   prep_check tags CORPUS SPLIT    one line per sequence, "w1 w2 ...<TAB>t1 t2 ...": each token's
 *                                   vocabulary entry and tag name, the tags read by
 *                                   corpus_read_tags one sequence at a time
 * Exit 0 when the check holds, 1 when it fails (with the reason on stderr), 2 on misuse.
 */
#include "io/corpus.h"
#include "io/tokenize.h"

#include <hdf5.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char *const splits[3] = {"train", "valid", "test"};

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
    va_list ap;
    fputs("prep_check: FAIL: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

typedef struct {
    hid_t file;
    char tokenizer[16], format[32], uuid[64], data[16];
    int version, vocab_size, num_labels, has_data;
    char **vocab;  /* vocab_size strings */
    char **labels; /* num_labels strings (labelled data) */
    uint64_t tokens[3], examples[3];
    uint32_t crc[3];
    int present[3];
} corpus_info_t;

static void read_string_attr(hid_t loc, const char *name, char *out, size_t cap) {
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) fail("attribute %s is missing", name);
    hid_t t = H5Aget_type(a);
    if (H5Tget_class(t) != H5T_STRING) fail("attribute %s is not a string", name);
    if (H5Tis_variable_str(t)) {
        char *s = NULL;
        if (H5Aread(a, t, &s) < 0) fail("cannot read attribute %s", name);
        snprintf(out, cap, "%s", s);
        H5free_memory(s);
    } else {
        size_t size = H5Tget_size(t);
        char *buf = calloc(1, size + 1);
        if (!buf || H5Aread(a, t, buf) < 0) fail("cannot read attribute %s", name);
        snprintf(out, cap, "%s", buf);
        free(buf);
    }
    H5Tclose(t);
    H5Aclose(a);
}

/* Reads a scalar integer attribute, checking its stored type class, size and sign. */
static void read_int_attr(hid_t loc, const char *name, size_t size, H5T_sign_t sign, hid_t mtype,
                          void *out) {
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) fail("attribute %s is missing", name);
    hid_t t = H5Aget_type(a), s = H5Aget_space(a);
    if (H5Tget_class(t) != H5T_INTEGER || H5Tget_size(t) != size || H5Tget_sign(t) != sign)
        fail("attribute %s has the wrong type", name);
    if (H5Sget_simple_extent_type(s) != H5S_SCALAR) fail("attribute %s is not scalar", name);
    if (H5Aread(a, mtype, out) < 0) fail("cannot read attribute %s", name);
    H5Sclose(s);
    H5Tclose(t);
    H5Aclose(a);
}

/* A string table of N entries (/vocab, /labels): 1-D uint8, each entry followed by a NUL, its
 * zlib crc32 in the attribute NAME_crc32. Returns N malloc'd strings. */
static char **read_strings(hid_t file, const char *name, int want) {
    char attr[64];
    uint32_t crc = 0;
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0) fail("/%s is missing", name);
    hid_t s = H5Dget_space(d), ft = H5Dget_type(d);
    hsize_t n = 0;
    if (H5Sget_simple_extent_ndims(s) != 1) fail("/%s is not 1-D", name);
    H5Sget_simple_extent_dims(s, &n, NULL);
    if (H5Tget_class(ft) != H5T_INTEGER || H5Tget_size(ft) != 1 || H5Tget_sign(ft) != H5T_SGN_NONE)
        fail("/%s is not uint8", name);
    unsigned char *bytes = malloc(n + 1);
    if (!bytes || H5Dread(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes) < 0)
        fail("cannot read /%s", name);
    snprintf(attr, sizeof attr, "%s_crc32", name);
    hid_t a = H5Aopen(file, attr, H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_UINT32, &crc) < 0) fail("attribute %s is missing", attr);
    if (crc32(0, bytes, (uInt)n) != crc) fail("/%s does not match %s", name, attr);
    if (n == 0 || bytes[n - 1] != 0) fail("/%s does not end with a NUL", name);
    char **out = calloc((size_t)want + 1, sizeof *out);
    int k = 0;
    for (hsize_t at = 0; at < n; at += strlen((char *)bytes + at) + 1) {
        if (k == want) fail("/%s has more than %d entries", name, want);
        out[k++] = strdup((char *)bytes + at);
    }
    if (k != want) fail("/%s has %d entries, expected %d", name, k, want);
    free(bytes);
    H5Aclose(a);
    H5Tclose(ft);
    H5Sclose(s);
    H5Dclose(d);
    return out;
}

static void open_corpus(corpus_info_t *c, const char *path) {
    memset(c, 0, sizeof *c);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    c->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (c->file < 0) fail("cannot open %s", path);
    read_string_attr(c->file, "format", c->format, sizeof c->format);
    read_string_attr(c->file, "tokenizer", c->tokenizer, sizeof c->tokenizer);
    read_string_attr(c->file, "uuid", c->uuid, sizeof c->uuid);
    read_int_attr(c->file, "version", 4, H5T_SGN_2, H5T_NATIVE_INT, &c->version);
    read_int_attr(c->file, "vocab_size", 4, H5T_SGN_2, H5T_NATIVE_INT, &c->vocab_size);
    for (int k = 0; k < 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "%s_tokens", splits[k]);
        c->present[k] = H5Aexists(c->file, name) > 0;
        if (!c->present[k]) continue;
        read_int_attr(c->file, name, 8, H5T_SGN_NONE, H5T_NATIVE_UINT64, &c->tokens[k]);
        snprintf(name, sizeof name, "%s_crc32", splits[k]);
        read_int_attr(c->file, name, 4, H5T_SGN_NONE, H5T_NATIVE_UINT32, &c->crc[k]);
    }
    c->vocab = read_strings(c->file, "vocab", c->vocab_size);
    c->has_data = H5Aexists(c->file, "data") > 0;
    snprintf(c->data, sizeof c->data, "text");
    if (c->has_data) read_string_attr(c->file, "data", c->data, sizeof c->data);
    if (strcmp(c->data, "labels") != 0) return;
    read_int_attr(c->file, "num_labels", 4, H5T_SGN_2, H5T_NATIVE_INT, &c->num_labels);
    if (c->num_labels < 1) fail("num_labels is %d", c->num_labels);
    c->labels = read_strings(c->file, "labels", c->num_labels);
    for (int k = 0; k < 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "%s_examples", splits[k]);
        if (c->present[k])
            read_int_attr(c->file, name, 8, H5T_SGN_NONE, H5T_NATIVE_UINT64, &c->examples[k]);
        else if (H5Aexists(c->file, name) > 0)
            fail("%s without %s_tokens", name, splits[k]);
    }
}

static void close_corpus(corpus_info_t *c) {
    for (int i = 0; i < c->vocab_size; i++) free(c->vocab[i]);
    free(c->vocab);
    for (int i = 0; i < c->num_labels; i++) free(c->labels[i]);
    free(c->labels);
    H5Fclose(c->file);
}

/* Reads /SPLIT/NAME as stored (raw little-endian bytes, WIDTH each), checking the dataset's
 * layout: 1-D, extendible, unsigned little-endian of WIDTH bytes, chunked, shuffle + deflate +
 * Fletcher32. */
static unsigned char *read_raw(const corpus_info_t *c, int k, const char *what, int width,
                               uint64_t *n) {
    char name[32];
    snprintf(name, sizeof name, "/%s/%s", splits[k], what);
    hid_t d = H5Dopen2(c->file, name, H5P_DEFAULT);
    if (d < 0) fail("%s is missing", name);
    hid_t t = H5Dget_type(d), s = H5Dget_space(d), dcpl = H5Dget_create_plist(d);
    hsize_t dims = 0, maxdims = 0, chunk = 0;
    if (H5Sget_simple_extent_ndims(s) != 1) fail("%s is not 1-D", name);
    H5Sget_simple_extent_dims(s, &dims, &maxdims);
    if (maxdims != H5S_UNLIMITED) fail("%s is not extendible", name);
    if (H5Tget_class(t) != H5T_INTEGER || H5Tget_sign(t) != H5T_SGN_NONE ||
        H5Tget_order(t) != H5T_ORDER_LE)
        fail("%s is not unsigned little-endian", name);
    if ((int)H5Tget_size(t) != width)
        fail("%s has %d-byte values, expected %d", name, (int)H5Tget_size(t), width);
    if (H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_chunk(dcpl, 1, &chunk) != 1 || chunk < 1024)
        fail("%s is not chunked", name);
    if (H5Pget_nfilters(dcpl) != 3) fail("%s should have 3 filters", name);
    unsigned flags, cd[8];
    size_t ncd = 8;
    if (H5Pget_filter2(dcpl, 0, &flags, &ncd, cd, 0, NULL, NULL) != H5Z_FILTER_SHUFFLE)
        fail("%s: first filter is not shuffle", name);
    ncd = 8;
    if (H5Pget_filter2(dcpl, 1, &flags, &ncd, cd, 0, NULL, NULL) != H5Z_FILTER_DEFLATE)
        fail("%s: second filter is not deflate", name);
    ncd = 8;
    if (H5Pget_filter2(dcpl, 2, &flags, &ncd, cd, 0, NULL, NULL) != H5Z_FILTER_FLETCHER32)
        fail("%s: third filter is not fletcher32", name);
    *n = dims;
    unsigned char *buf = malloc(dims * (size_t)width + 1);
    if (!buf || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) fail("cannot read %s", name);
    H5Pclose(dcpl);
    H5Sclose(s);
    H5Tclose(t);
    H5Dclose(d);
    return buf;
}

/* Reads split K's ids as stored; their width must be the smallest that holds vocab_size. */
static unsigned char *read_split_raw(const corpus_info_t *c, int k, int *width, uint64_t *n) {
    *width = c->vocab_size <= 256 ? 1 : c->vocab_size <= 65536 ? 2 : 4;
    return read_raw(c, k, "tokens", *width, n);
}

static uint32_t id_at(const unsigned char *raw, int width, uint64_t i) {
    const unsigned char *p = raw + i * (uint64_t)width;
    uint32_t v = p[0];
    if (width > 1) v |= (uint32_t)p[1] << 8;
    if (width > 2) v |= (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return v;
}

/* All present splits concatenated (train | valid | test) as ids. */
static uint32_t *read_all_ids(const corpus_info_t *c, uint64_t *total) {
    uint64_t sum = 0;
    for (int k = 0; k < 3; k++) sum += c->tokens[k];
    uint32_t *ids = malloc((sum + 1) * sizeof *ids);
    uint64_t at = 0;
    for (int k = 0; k < 3; k++) {
        if (!c->present[k]) continue;
        int width;
        uint64_t n;
        unsigned char *raw = read_split_raw(c, k, &width, &n);
        for (uint64_t i = 0; i < n; i++) ids[at++] = id_at(raw, width, i);
        free(raw);
    }
    *total = at;
    return ids;
}

static size_t num_specials(const corpus_info_t *c) {
    tok_kind_t kind;
    if (tok_kind_parse(c->tokenizer, &kind) != 0) fail("tokenizer '%s' is unknown", c->tokenizer);
    return tok_num_specials(kind);
}

static int vocab_before(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b), m = la < lb ? la : lb;
    int r = memcmp(a, b, m);
    return r < 0 || (r == 0 && la < lb);
}

/* Ids after the specials must be ordered by train frequency, ties by byte order, and all seen. */
static void verify_order(const corpus_info_t *c) {
    if (!strcmp(c->tokenizer, "byte")) return;
    int width;
    uint64_t n;
    unsigned char *raw = read_split_raw(c, 0, &width, &n);
    uint64_t *count = calloc((size_t)c->vocab_size, sizeof *count);
    for (uint64_t i = 0; i < n; i++) count[id_at(raw, width, i)]++;
    for (int id = (int)num_specials(c); id < c->vocab_size; id++) {
        if (count[id] == 0) fail("vocab entry %d ('%s') never occurs in train", id, c->vocab[id]);
        if (id == (int)num_specials(c)) continue;
        if (count[id] > count[id - 1]) fail("id %d is more frequent than id %d", id, id - 1);
        if (count[id] == count[id - 1] && !vocab_before(c->vocab[id - 1], c->vocab[id]))
            fail("ids %d and %d have equal counts but are not in byte order", id - 1, id);
    }
    free(count);
    free(raw);
}

static tok_vocab_t *load_vocab(const corpus_info_t *c) {
    char err[256];
    tok_kind_t kind;
    if (tok_kind_parse(c->tokenizer, &kind) != 0) fail("tokenizer '%s'", c->tokenizer);
    tok_vocab_t *v =
        tok_vocab_new(kind, (const char *const *)c->vocab, (size_t)c->vocab_size, err, sizeof err);
    if (!v) fail("vocabulary rejected: %s", err);
    return v;
}

static uint64_t u64_at(const unsigned char *raw, uint64_t i) {
    uint64_t v = 0;
    for (int b = 7; b >= 0; b--) v = v << 8 | raw[8 * i + (uint64_t)b];
    return v;
}

/* Labelled split K: offsets and labels against the tokens; returns the split's CRC over tokens,
 * offsets and labels as stored (one crc32 continued over the three, no crc32_combine). */
static uint32_t verify_examples(const corpus_info_t *c, int k, const unsigned char *tok,
                                uint64_t ntok, int width) {
    uint64_t noff, nlab, n = c->examples[k];
    unsigned char *off = read_raw(c, k, "offsets", 8, &noff);
    unsigned char *lab = read_raw(c, k, "labels", 4, &nlab);
    if (n == 0 || noff != n + 1 || nlab != n)
        fail("%s: %llu examples, %llu offsets, %llu labels", splits[k], (unsigned long long)n,
             (unsigned long long)noff, (unsigned long long)nlab);
    if (u64_at(off, 0) != 0 || u64_at(off, n) != ntok) fail("%s: offsets not 0..tokens", splits[k]);
    for (uint64_t i = 0; i < n; i++) {
        if (u64_at(off, i + 1) <= u64_at(off, i))
            fail("%s: example %llu is empty", splits[k], (unsigned long long)i);
        if (id_at(lab, 4, i) >= (uint32_t)c->num_labels) fail("%s: label out of range", splits[k]);
    }
    uint32_t crc = (uint32_t)crc32(0, tok, (uInt)(ntok * (uint64_t)width));
    crc = (uint32_t)crc32(crc, off, (uInt)(noff * 8));
    crc = (uint32_t)crc32(crc, lab, (uInt)(nlab * 4));
    free(off);
    free(lab);
    return crc;
}

/* /labels: unique names in byte order (strcmp), as the ids are assigned. */
static void verify_label_names(const corpus_info_t *c) {
    for (int i = 1; i < c->num_labels; i++)
        if (strcmp(c->labels[i - 1], c->labels[i]) >= 0)
            fail("labels %d and %d are not in strcmp order", i - 1, i);
    for (int i = 0; i < c->num_labels; i++)
        if (!c->labels[i][0]) fail("label %d is empty", i);
}

static int verify(const char *path) {
    corpus_info_t c;
    open_corpus(&c, path);
    if (strcmp(c.format, "drnn-corpus") || c.version != 2) fail("format/version wrong");
    if (!c.has_data || (strcmp(c.data, "text") && strcmp(c.data, "labels")))
        fail("attribute data is missing or not text/labels");
    if (c.num_labels) verify_label_names(&c);
    if (strlen(c.uuid) != 32 || strspn(c.uuid, "0123456789abcdef") != 32) fail("uuid '%s'", c.uuid);
    tok_vocab_free(load_vocab(&c)); /* tok_vocab_new checks specials, duplicates, byte table */
    if (!c.present[0]) fail("no train split");
    for (int k = 0; k < 3; k++) {
        htri_t group = H5Lexists(c.file, splits[k], H5P_DEFAULT);
        if (!c.present[k]) {
            if (group > 0) fail("split %s has a group but no attributes", splits[k]);
            continue;
        }
        int width;
        uint64_t n;
        unsigned char *raw = read_split_raw(&c, k, &width, &n);
        if (n != c.tokens[k])
            fail("%s: %llu ids, attribute says %llu", splits[k], (unsigned long long)n,
                 (unsigned long long)c.tokens[k]);
        if (n == 0) fail("%s is present but empty", splits[k]);
        uint32_t crc = c.num_labels ? verify_examples(&c, k, raw, n, width)
                                    : (uint32_t)crc32(0, raw, (uInt)(n * (uint64_t)width));
        if (crc != c.crc[k]) fail("%s: crc32 %u, attribute says %u", splits[k], crc, c.crc[k]);
        for (uint64_t i = 0; i < n; i++) {
            if (id_at(raw, width, i) >= (uint32_t)c.vocab_size)
                fail("%s: id out of range", splits[k]);
        }
        free(raw);
    }
    verify_order(&c);
    close_corpus(&c);
    printf("ok\n");
    return 0;
}

static int info(const char *path) {
    corpus_info_t c;
    open_corpus(&c, path);
    printf("format=%s\nversion=%d\ndata=%s\ntokenizer=%s\nvocab_size=%d\nuuid=%s\n", c.format,
           c.version, c.has_data ? c.data : "", c.tokenizer, c.vocab_size, c.uuid);
    printf("num_labels=%d\n", c.num_labels);
    for (int k = 0; k < 3; k++)
        printf("%s_tokens=%llu\n%s_crc32=%u\n%s_examples=%llu\n", splits[k],
               (unsigned long long)c.tokens[k], splits[k], c.crc[k], splits[k],
               (unsigned long long)c.examples[k]);
    close_corpus(&c);
    return 0;
}

static void print_escaped(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p == '\\')
            fputs("\\\\", stdout);
        else if (*p < 0x20 || *p >= 0x7F)
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
    putchar('\n');
}

static int vocab(const char *path) {
    corpus_info_t c;
    open_corpus(&c, path);
    for (int i = 0; i < c.vocab_size; i++) print_escaped(c.vocab[i]);
    close_corpus(&c);
    return 0;
}

static int labels(const char *path) {
    corpus_info_t c;
    open_corpus(&c, path);
    if (!c.num_labels) fail("%s is not labelled data", path);
    for (int i = 0; i < c.num_labels; i++) print_escaped(c.labels[i]);
    close_corpus(&c);
    return 0;
}

static int split_index(const char *split) {
    for (int k = 0; k < 3; k++)
        if (!strcmp(split, splits[k])) return k;
    fail("no split '%s'", split);
}

/* "label<TAB>text" for example i of the given arrays. */
static void print_example(const tok_vocab_t *v, const char *label, const uint32_t *ids, size_t n) {
    size_t len = 0;
    char *text = tok_decode(v, ids, n, &len);
    if (!text) fail("tok_decode");
    printf("%s\t", label);
    fwrite(text, 1, len, stdout);
    putchar('\n');
    free(text);
}

static int examples(const char *path, const char *split) {
    corpus_info_t c;
    int k = split_index(split), width;
    open_corpus(&c, path);
    if (!c.num_labels) fail("%s is not labelled data", path);
    if (c.present[k]) {
        tok_vocab_t *v = load_vocab(&c);
        uint64_t ntok, noff, nlab;
        unsigned char *tok = read_split_raw(&c, k, &width, &ntok);
        unsigned char *off = read_raw(&c, k, "offsets", 8, &noff);
        unsigned char *lab = read_raw(&c, k, "labels", 4, &nlab);
        uint32_t *ids = malloc((ntok + 1) * sizeof *ids);
        for (uint64_t i = 0; i < ntok; i++) ids[i] = id_at(tok, width, i);
        for (uint64_t i = 0; i < nlab; i++) {
            uint64_t a = u64_at(off, i), b = u64_at(off, i + 1);
            uint32_t l = id_at(lab, 4, i);
            if (b < a || b > ntok || l >= (uint32_t)c.num_labels)
                fail("bad example %llu", (unsigned long long)i);
            print_example(v, c.labels[l], ids + a, (size_t)(b - a));
        }
        free(ids), free(tok), free(off), free(lab);
        tok_vocab_free(v);
    }
    close_corpus(&c);
    return 0;
}

/* The same as examples(), through the reader API of io/corpus.h. */
static int reader(const char *path, const char *split) {
    char err[1024];
    int k = split_index(split);
    corpus_t *c = NULL;
    int rc = corpus_open(&c, path, err, sizeof err);
    if (rc) fail("corpus_open: rc %d: %s", rc, err);
    if (strcmp(corpus_data_kind(c), "labels") || corpus_num_labels(c) < 1 || !corpus_label_names(c))
        fail("corpus_open: %s is not labelled data", path);
    tok_kind_t kind;
    if (tok_kind_parse(corpus_tokenizer(c), &kind) != 0) fail("tokenizer");
    tok_vocab_t *v =
        tok_vocab_new(kind, corpus_vocab(c), (size_t)corpus_vocab_size(c), err, sizeof err);
    if (!v) fail("vocabulary: %s", err);
    uint64_t n = corpus_split_examples(c, k), ntok = corpus_split_tokens(c, k);
    uint64_t *off = malloc((n + 1) * sizeof *off);
    uint32_t *lab = malloc((n + 1) * sizeof *lab), *ids = malloc((ntok + 1) * sizeof *ids);
    if ((rc = corpus_read_examples(c, k, off, lab, err, sizeof err)) != 0)
        fail("corpus_read_examples: rc %d: %s", rc, err);
    if (ntok && corpus_read(c, k, 0, ntok, ids, err, sizeof err) != 0) fail("corpus_read: %s", err);
    for (uint64_t i = 0; i < n; i++)
        print_example(v, corpus_label_names(c)[lab[i]], ids + off[i],
                      (size_t)(off[i + 1] - off[i]));
    free(off), free(lab), free(ids);
    tok_vocab_free(v);
    corpus_close(c);
    return 0;
}

/* Opens PATH through io/corpus.h; a failure prints the reader's code and message. */
static corpus_t *reader_open(const char *path) {
    char err[1024];
    corpus_t *c = NULL;
    int rc = corpus_open(&c, path, err, sizeof err);
    if (rc) fail("corpus_open: rc %d: %s", rc, err);
    return c;
}

/* corpus_read_examples without labels (labelled or tagged data). */
static int reader_offsets(const char *path, const char *split) {
    char err[1024];
    int k = split_index(split), rc;
    corpus_t *c = reader_open(path);
    uint64_t n = corpus_split_examples(c, k), *off = malloc((n + 1) * sizeof *off);
    if ((rc = corpus_read_examples(c, k, off, NULL, err, sizeof err)) != 0)
        fail("corpus_read_examples: rc %d: %s", rc, err);
    for (uint64_t i = 0; i <= n; i++) printf("%llu\n", (unsigned long long)off[i]);
    free(off);
    corpus_close(c);
    return 0;
}

/* A tagged split through io/corpus.h: "w1 w2<TAB>t1 t2" per sequence. */
static int reader_tags(const char *path, const char *split) {
    char err[1024];
    int k = split_index(split), rc;
    corpus_t *c = reader_open(path);
    uint32_t one;
    if (strcmp(corpus_data_kind(c), "tags")) { /* corpus_read_tags must refuse it */
        rc = corpus_read_tags(c, k, 0, 1, &one, err, sizeof err);
        fail("%s is not tagged data (corpus_read_tags: rc %d: %s)", path, rc, rc ? err : "");
    }
    if (corpus_num_labels(c) < 1 || !corpus_label_names(c)) fail("%s has no tag names", path);
    uint64_t n = corpus_split_examples(c, k), ntok = corpus_split_tokens(c, k);
    uint64_t *off = malloc((n + 1) * sizeof *off);
    uint32_t *ids = malloc((ntok + 1) * sizeof *ids), *tags = malloc((ntok + 1) * sizeof *tags);
    if ((rc = corpus_read_examples(c, k, off, NULL, err, sizeof err)) != 0)
        fail("corpus_read_examples: rc %d: %s", rc, err);
    if (ntok && (rc = corpus_read(c, k, 0, ntok, ids, err, sizeof err)) != 0)
        fail("corpus_read: rc %d: %s", rc, err);
    for (uint64_t i = 0; i < n; i++) { /* the tags in hyperslabs, one sequence each */
        uint64_t a = off[i], len = off[i + 1] - off[i];
        if ((rc = corpus_read_tags(c, k, a, len, tags + a, err, sizeof err)) != 0)
            fail("corpus_read_tags: rc %d: %s", rc, err);
        for (uint64_t j = a; j < a + len; j++)
            printf("%s%s", j > a ? " " : "", corpus_vocab(c)[ids[j]]);
        putchar('\t');
        for (uint64_t j = a; j < a + len; j++)
            printf("%s%s", j > a ? " " : "", corpus_label_names(c)[tags[j]]);
        putchar('\n');
    }
    /* past the end and on other data: 65 */
    if (corpus_read_tags(c, k, ntok, 1, tags, err, sizeof err) != 65)
        fail("corpus_read_tags past the end of %s did not fail with 65", split);
    free(off), free(ids), free(tags);
    corpus_close(c);
    return 0;
}

static int dump(const char *path, const char *split) {
    corpus_info_t c;
    open_corpus(&c, path);
    for (int k = 0; k < 3; k++) {
        if (strcmp(split, splits[k]) || !c.present[k]) continue;
        int width;
        uint64_t n;
        unsigned char *raw = read_split_raw(&c, k, &width, &n);
        for (uint64_t i = 0; i < n; i++) printf("%u\n", id_at(raw, width, i));
        free(raw);
    }
    close_corpus(&c);
    return 0;
}

static int encode(const char *path, const char *text) {
    corpus_info_t c;
    char err[512];
    open_corpus(&c, path);
    tok_vocab_t *v = load_vocab(&c);
    uint64_t total;
    uint32_t *stored = read_all_ids(&c, &total), *ids = NULL;
    size_t n = 0, unknown = 0;
    int rc = tok_encode_file(v, text, &ids, &n, &unknown, err, sizeof err);
    if (rc) fail("tok_encode_file: %s (%d)", err, rc);
    if (n != total)
        fail("%s encodes to %zu ids, the corpus holds %llu", text, n, (unsigned long long)total);
    for (size_t i = 0; i < n; i++) {
        if (ids[i] != stored[i]) fail("id %zu: encoded %u, stored %u", i, ids[i], stored[i]);
    }
    printf("ok %zu ids, %zu unknown\n", n, unknown);
    free(ids);
    free(stored);
    tok_vocab_free(v);
    close_corpus(&c);
    return 0;
}

static int decode(const char *path, const char *out) {
    corpus_info_t c;
    open_corpus(&c, path);
    tok_vocab_t *v = load_vocab(&c);
    uint64_t total;
    uint32_t *ids = read_all_ids(&c, &total);
    FILE *f = fopen(out, "wb");
    int state = 0;
    if (!f || tok_decode_write(v, ids, total, &state, f) != 0 || fclose(f) != 0)
        fail("cannot write %s", out);
    size_t len = 0;
    char *text = tok_decode(v, ids, total, &len); /* the buffer variant must agree */
    FILE *g = fopen(out, "rb");
    char *back = malloc(len + 1);
    if (!text || !g || fread(back, 1, len + 1, g) != len || memcmp(back, text, len) != 0)
        fail("tok_decode and tok_decode_write disagree");
    fclose(g);
    free(back);
    free(text);
    free(ids);
    tok_vocab_free(v);
    close_corpus(&c);
    return 0;
}

/* Damages CORPUS in place, for the reader's checks: "drop:NAME" deletes a root attribute or
 * (NAME with a '/') a dataset; "attr:NAME=V" sets an integer root attribute; "data=STR" replaces
 * the data attribute; "set:PATH:I=V" writes element I of a 1-D integer dataset. */
static int damage(const char *path, const char *op) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    char name[256];
    unsigned long long idx, val;
    long long iv;
    int ok = 0;
    if (f < 0) fail("cannot open %s for writing", path);
    if (sscanf(op, "drop:%255s", name) == 1) {
        ok = (strchr(name, '/') ? H5Ldelete(f, name, H5P_DEFAULT) : H5Adelete(f, name)) >= 0;
    } else if (sscanf(op, "attr:%255[^=]=%lld", name, &iv) == 2) {
        hid_t a = H5Aopen(f, name, H5P_DEFAULT);
        ok = a >= 0 && H5Awrite(a, H5T_NATIVE_LLONG, &iv) >= 0;
        if (a >= 0) H5Aclose(a);
    } else if (!strncmp(op, "data=", 5)) {
        hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
        H5Tset_size(t, strlen(op + 5) + 1);
        H5Adelete(f, "data");
        hid_t a = H5Acreate2(f, "data", t, sp, H5P_DEFAULT, H5P_DEFAULT);
        ok = a >= 0 && H5Awrite(a, t, op + 5) >= 0;
        if (a >= 0) H5Aclose(a);
        H5Sclose(sp);
        H5Tclose(t);
    } else if (sscanf(op, "set:%255[^:]:%llu=%llu", name, &idx, &val) == 3) {
        hid_t d = H5Dopen2(f, name, H5P_DEFAULT), fs = d >= 0 ? H5Dget_space(d) : -1;
        hsize_t start = idx, one = 1;
        hid_t ms = H5Screate_simple(1, &one, NULL);
        ok = fs >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &one, NULL) >= 0 &&
             H5Dwrite(d, H5T_NATIVE_ULLONG, ms, fs, H5P_DEFAULT, &val) >= 0;
        H5Sclose(ms);
        if (fs >= 0) H5Sclose(fs);
        if (d >= 0) H5Dclose(d);
    } else {
        fail("unknown damage '%s'", op);
    }
    if (!ok || H5Fclose(f) < 0) fail("damage '%s' of %s failed", op, path);
    return 0;
}

typedef struct {
    uint64_t n;
    uint32_t crc; /* over each symbol's length and bytes */
} symsum_t;

static int sum_emit(void *arg, const unsigned char *sym, size_t len) {
    symsum_t *s = arg;
    unsigned char head[5] = {(unsigned char)len, (unsigned char)(len >> 8),
                             (unsigned char)(len >> 16), (unsigned char)(len >> 24), sym ? 1 : 0};
    s->crc = (uint32_t)crc32(s->crc, head, 5);
    if (sym) s->crc = (uint32_t)crc32(s->crc, sym, (uInt)len);
    s->n++;
    return 0;
}

/* tok_emit_run_fn: the run's symbols one by one, as the splitter would have emitted them. */
static int sum_run(void *arg, const unsigned char *syms, size_t n) {
    for (size_t i = 0; i < n; i++) sum_emit(arg, syms + i, 1);
    return 0;
}

static symsum_t split_in_pieces(tok_kind_t kind, const unsigned char *text, size_t len,
                                size_t piece, int runs) {
    symsum_t sum = {0, 0};
    tok_splitter_t *s = tok_splitter_new(kind);
    if (runs) tok_splitter_set_run(s, sum_run);
    for (size_t off = 0; off < len; off += piece)
        tok_splitter_feed(s, text + off, len - off < piece ? len - off : piece, sum_emit, &sum);
    tok_splitter_finish(s, sum_emit, &sum);
    tok_splitter_free(s);
    return sum;
}

static int chunking(const char *kind_name, const char *path) {
    static const size_t pieces[] = {1, 2, 3, 5, 7, 13, 1000, 4096, 65535, 65536, 65537};
    tok_kind_t kind;
    if (tok_kind_parse(kind_name, &kind) != 0) fail("tokenizer '%s'", kind_name);
    FILE *f = fopen(path, "rb");
    if (!f) fail("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    size_t len = (size_t)ftell(f);
    rewind(f);
    unsigned char *text = malloc(len + 1);
    if (fread(text, 1, len, f) != len) fail("cannot read %s", path);
    fclose(f);
    symsum_t whole = split_in_pieces(kind, text, len, len ? len : 1, 0);
    for (size_t i = 0; i < 2 * sizeof pieces / sizeof *pieces; i++) {
        size_t piece = pieces[i % (sizeof pieces / sizeof *pieces)];
        int runs = i >= sizeof pieces / sizeof *pieces; /* then symbols also come as runs */
        symsum_t part = split_in_pieces(kind, text, len, piece, runs);
        if (part.n != whole.n || part.crc != whole.crc)
            fail("%s fed in pieces of %zu%s: %llu symbols (crc %u), whole: %llu (crc %u)", path,
                 piece, runs ? " with runs" : "", (unsigned long long)part.n, part.crc,
                 (unsigned long long)whole.n, whole.crc);
    }
    printf("symbols=%llu\n", (unsigned long long)whole.n);
    free(text);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "verify")) return verify(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "info")) return info(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "vocab")) return vocab(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "dump")) return dump(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "encode")) return encode(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "decode")) return decode(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "chunking")) return chunking(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "labels")) return labels(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "examples")) return examples(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "reader")) return reader(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "offsets")) return reader_offsets(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "tags")) return reader_tags(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "damage")) return damage(argv[2], argv[3]);
    fprintf(stderr,
            "usage: prep_check verify|info|vocab|labels CORPUS | dump|examples|reader "
            "CORPUS SPLIT | offsets|tags CORPUS SPLIT | damage CORPUS OP | encode CORPUS TEXT | "
            "decode CORPUS OUT | chunking KIND FILE\n");
    return 2;
}

/* fuzz_corpus — a damaged corpus never crashes or hangs a reader, and never changes what it reads
 * (DESIGN §6, §8; the drnn-train and drnn-eval side is tests/test_fuzz_corpus.sh).
 *
 *   fuzz_corpus run WORK N SEED CORPUS...  N mutated copies (bit flips, truncation, random or
 *                                          zeroed ranges, appended bytes), taking the CORPUS files
 *                                          in turn, each read whole through io/corpus.h
 *   fuzz_corpus mutate IN OUT SEED         one mutated copy of IN as OUT; prints the mutation
 *
 * "Read whole": corpus_open, then everything a program can ask: kind, tokenizer, uuid, every
 * string table, and per split the figures, offsets and labels, and every token id, read in pieces
 * as the stream readers do. Every copy must either fail with 65 and a message naming the copy, or
 * give exactly what the clean file gives (a mutation of bytes no reader uses: appended bytes,
 * free space). This process calls the reader directly, so a crash inside libhdf5 that the reader
 * does not contain crashes the test. Meant to run under ASan + UBSan too (label "unit").
 * Exit 0 if all held, 1 on failures, 2 on misuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/corpus.h"
#include "tests/mutate.h"

#define PIECE 4096 /* ids per corpus_read call */

/* ---- what a corpus gives its readers, as one byte string ------------------------------------ */

typedef struct {
    unsigned char *p;
    size_t n, cap;
} buf_t;

static void put(buf_t *b, const void *d, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = 2 * (b->n + n) + 256;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "fuzz_corpus: out of memory\n");
            exit(2);
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void put_u64(buf_t *b, uint64_t v) {
    put(b, &v, sizeof v);
}

static void put_table(buf_t *b, const char *const *s, int n) {
    put_u64(b, (uint64_t)n);
    for (int i = 0; i < n; i++) put(b, s[i], strlen(s[i]) + 1);
}

/* Every id of one side of split s (SIDE 1: the pair targets), PIECE at a time. */
static int put_ids(buf_t *b, corpus_t *c, int s, int side, uint64_t n, char *err, size_t errlen) {
    static uint32_t ids[PIECE];
    for (uint64_t at = 0; at < n; at += PIECE) {
        uint64_t k = n - at < PIECE ? n - at : PIECE;
        int rc = side ? corpus_read_side(c, s, 1, at, k, ids, err, errlen)
                      : corpus_read(c, s, at, k, ids, err, errlen);
        if (rc) return rc;
        put(b, ids, k * sizeof *ids);
    }
    return 0;
}

static int put_split(buf_t *b, corpus_t *c, int s, char *err, size_t errlen) {
    uint64_t n = corpus_split_examples(c, s), nt = corpus_split_tokens(c, s);
    uint64_t ntt = corpus_split_tgt_tokens(c, s);
    put_u64(b, n), put_u64(b, nt), put_u64(b, ntt), put_u64(b, corpus_split_crc32(c, s));
    uint64_t *off = malloc((n + 1) * sizeof *off), *off2 = malloc((n + 1) * sizeof *off2);
    uint32_t *lab = malloc((n + 1) * sizeof *lab);
    int rc = off && off2 && lab ? 0 : 70;
    if (rc == 0 && corpus_num_labels(c)) {
        rc = corpus_read_examples(c, s, off, lab, err, errlen);
        if (rc == 0) put(b, off, (n + 1) * sizeof *off), put(b, lab, n * sizeof *lab);
    }
    if (rc == 0 && corpus_tgt_vocab_size(c)) {
        rc = corpus_read_pair_offsets(c, s, off, off2, err, errlen);
        if (rc == 0) put(b, off, (n + 1) * sizeof *off), put(b, off2, (n + 1) * sizeof *off2);
    }
    if (rc == 0) rc = put_ids(b, c, s, 0, nt, err, errlen);
    if (rc == 0 && corpus_tgt_vocab_size(c)) rc = put_ids(b, c, s, 1, ntt, err, errlen);
    free(off), free(off2), free(lab);
    return rc;
}

/* Everything PATH gives its readers into B. 0, or the reader's code with its message in err. */
static int read_whole(const char *path, buf_t *b, char *err, size_t errlen) {
    corpus_t *c = NULL;
    b->n = 0;
    err[0] = '\0';
    int rc = corpus_open(&c, path, err, errlen);
    if (rc) return rc;
    const char *head[3] = {corpus_data_kind(c), corpus_tokenizer(c), corpus_uuid(c)};
    put_table(b, head, 3);
    put_table(b, corpus_vocab(c), corpus_vocab_size(c));
    put_table(b, corpus_label_names(c), corpus_num_labels(c));
    put_table(b, corpus_tgt_vocab(c), corpus_tgt_vocab_size(c));
    put_u64(b, (uint64_t)corpus_shared_vocab(c));
    for (int s = 0; s < CORPUS_NSPLITS && rc == 0; s++) rc = put_split(b, c, s, err, errlen);
    corpus_close(c);
    return rc;
}

/* ---- the two modes ----------------------------------------------------------------------------
 */

typedef struct {
    const char *path;
    unsigned char *data;
    size_t len;
    buf_t ref;
    long rejected, unchanged;
} original_t;

/* Copies read unchanged, by mutation kind (appended bytes should be most of them). */
static const char *unchanged_kind[8];
static long unchanged_count[8];

static void count_unchanged(const char *kind) {
    int k = 0;
    while (k < 7 && unchanged_kind[k] && strcmp(unchanged_kind[k], kind)) k++;
    unchanged_kind[k] = kind;
    unchanged_count[k]++;
}

static int run(const char *work, long n, int ncorpora, char **paths) {
    char copy[4096], err[8192];
    original_t *o = calloc((size_t)ncorpora, sizeof *o);
    size_t maxlen = 0;
    buf_t got = {0};
    for (int i = 0; i < ncorpora; i++) {
        o[i].path = paths[i];
        if (mut_read(paths[i], &o[i].data, &o[i].len) != 0 ||
            read_whole(paths[i], &o[i].ref, err, sizeof err) != 0) {
            fprintf(stderr, "fuzz_corpus: the clean corpus %s does not read: %s\n", paths[i], err);
            return 2;
        }
        maxlen = o[i].len > maxlen ? o[i].len : maxlen;
    }
    unsigned char *buf = malloc(maxlen + 64);
    const int verbose = getenv("DRNN_FUZZ_VERBOSE") != NULL; /* every rejection's message */
    for (long it = 0; it < n && buf; it++) {
        original_t *c = &o[it % ncorpora];
        size_t len = 0;
        const char *kind = "";
        mut_apply(c->data, c->len, buf, &len, &kind, 0);
        snprintf(copy, sizeof copy, "%s/fuzz-%ld.h5", work, it % ncorpora);
        mut_write(copy, buf, len);
        int rc = read_whole(copy, &got, err, sizeof err);
        if (rc == 0 && (got.n != c->ref.n || memcmp(got.p, c->ref.p, got.n) != 0))
            FAIL("%s of %s (iteration %ld): read without an error, but not what the clean file "
                 "holds",
                 kind, c->path, it);
        else if (rc == 0)
            c->unchanged++, count_unchanged(kind);
        else if (rc != 65 || !strstr(err, copy))
            FAIL("%s of %s (iteration %ld): %d, expected 65 naming %s: %s", kind, c->path, it, rc,
                 copy, err);
        else
            c->rejected++;
        if (rc && verbose) printf("%ld %s: %s\n", it, kind, err);
    }
    for (int i = 0; i < ncorpora; i++) {
        printf("%s (%zu bytes): %ld rejected with 65 naming the copy, %ld read unchanged\n",
               o[i].path, o[i].len, o[i].rejected, o[i].unchanged);
        free(o[i].data), free(o[i].ref.p);
    }
    for (int k = 0; k < 8 && unchanged_kind[k]; k++)
        printf("  read unchanged after %s: %ld\n", unchanged_kind[k], unchanged_count[k]);
    free(buf), free(got.p), free(o);
    if (fuzz_failures) fprintf(stderr, "fuzz_corpus: %d failure(s)\n", fuzz_failures);
    return fuzz_failures ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc >= 6 && !strcmp(argv[1], "run") && strlen(argv[2]) < 3000) {
        mut_seed(strtoull(argv[4], NULL, 10));
        return run(argv[2], atol(argv[3]), argc - 5, argv + 5);
    }
    if (argc == 5 && !strcmp(argv[1], "mutate")) {
        unsigned char *data = NULL;
        size_t len = 0, outlen = 0;
        const char *kind = "";
        mut_seed(strtoull(argv[4], NULL, 10));
        if (mut_read(argv[2], &data, &len) != 0 || len == 0) {
            fprintf(stderr, "fuzz_corpus: cannot read %s\n", argv[2]);
            return 2;
        }
        unsigned char *out = malloc(len + 64);
        if (!out) return 2;
        mut_apply(data, len, out, &outlen, &kind, 0);
        mut_write(argv[3], out, outlen);
        printf("%s\n", kind);
        free(data), free(out);
        return 0;
    }
    fprintf(stderr, "usage: fuzz_corpus run WORK N SEED CORPUS... | mutate IN OUT SEED\n");
    return 2;
}

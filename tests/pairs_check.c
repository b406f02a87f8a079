/* tests/pairs_check.c — reads a pair corpus (drnn-prep --format pairs) through the reader API of
 * io/corpus.h, for tests/test_prep_pairs.sh. (The layout is checked without drnn code there, with
 * h5dump; tests/prep_check.c damages files.)
 *
 *   pairs_check info CORPUS          key=value lines of what the reader reports
 *   pairs_check vocab CORPUS SIDE    the src or tgt vocabulary, one entry per line, as stored
 *   pairs_check ids CORPUS SPLIT     one line per pair: source ids, TAB, target ids (each pair
 *                                    read alone with corpus_read_side)
 *   pairs_check text CORPUS SPLIT    one line per pair: source, TAB, target, decoded with
 *                                    io/tokenize on the corpus vocabularies
 *   pairs_check dump CORPUS          info (but the uuid), both vocabularies and every split's ids
 * A reader failure prints "rc CODE: message" on stderr. Exit 0, 1 on a failure, 2 on misuse.
 */
#include "io/corpus.h"
#include "io/tokenize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail_rc(const char *what, int rc, const char *err) {
    fprintf(stderr, "pairs_check: %s: rc %d: %s\n", what, rc, err);
    exit(1);
}

static corpus_t *open_pairs(const char *path) {
    char err[1024];
    corpus_t *c = NULL;
    int rc = corpus_open(&c, path, err, sizeof err);
    if (rc) fail_rc("corpus_open", rc, err);
    return c;
}

static int split_index(const char *name) {
    for (int k = 0; k < CORPUS_NSPLITS; k++)
        if (!strcmp(name, corpus_split_names[k])) return k;
    fprintf(stderr, "pairs_check: no split '%s'\n", name);
    exit(2);
}

static void print_info(corpus_t *c, int with_uuid) {
    printf("data=%s\ntokenizer=%s\nvocab_size=%d\ntgt_vocab_size=%d\nshared_vocab=%d\n",
           corpus_data_kind(c), corpus_tokenizer(c), corpus_vocab_size(c), corpus_tgt_vocab_size(c),
           corpus_shared_vocab(c));
    if (with_uuid) printf("uuid=%s\n", corpus_uuid(c));
    for (int k = 0; k < CORPUS_NSPLITS; k++) {
        const char *s = corpus_split_names[k];
        printf("%s_examples=%llu\n%s_tokens=%llu\n%s_tgt_tokens=%llu\n%s_crc32=%u\n", s,
               (unsigned long long)corpus_split_examples(c, k), s,
               (unsigned long long)corpus_split_tokens(c, k), s,
               (unsigned long long)corpus_split_tgt_tokens(c, k), s, corpus_split_crc32(c, k));
    }
}

static void print_vocab(corpus_t *c, int side) {
    int n = side ? corpus_tgt_vocab_size(c) : corpus_vocab_size(c);
    const char *const *v = side ? corpus_tgt_vocab(c) : corpus_vocab(c);
    for (int i = 0; i < n; i++) printf("%s\n", v[i]);
}

/* Calls FN for every pair of split K with its source and target ids. */
typedef void (*pair_fn)(void *arg, const uint32_t *src, size_t ns, const uint32_t *tgt, size_t nt);

static void each_pair(corpus_t *c, int k, pair_fn fn, void *arg) {
    char err[1024];
    uint64_t n = corpus_split_examples(c, k);
    uint64_t *so = malloc((n + 1) * sizeof *so), *to = malloc((n + 1) * sizeof *to);
    int rc = corpus_read_pair_offsets(c, k, so, to, err, sizeof err);
    if (rc) fail_rc("corpus_read_pair_offsets", rc, err);
    for (uint64_t i = 0; i < n; i++) {
        size_t ns = (size_t)(so[i + 1] - so[i]), nt = (size_t)(to[i + 1] - to[i]);
        uint32_t *src = malloc(ns * sizeof *src), *tgt = malloc(nt * sizeof *tgt);
        if ((rc = corpus_read_side(c, k, 0, so[i], ns, src, err, sizeof err)) != 0)
            fail_rc("corpus_read_side 0", rc, err);
        if ((rc = corpus_read_side(c, k, 1, to[i], nt, tgt, err, sizeof err)) != 0)
            fail_rc("corpus_read_side 1", rc, err);
        fn(arg, src, ns, tgt, nt);
        free(src);
        free(tgt);
    }
    free(so);
    free(to);
}

static void print_ids(const uint32_t *ids, size_t n) {
    for (size_t i = 0; i < n; i++) printf("%s%u", i ? " " : "", ids[i]);
}

static void ids_line(void *arg, const uint32_t *src, size_t ns, const uint32_t *tgt, size_t nt) {
    (void)arg;
    print_ids(src, ns);
    putchar('\t');
    print_ids(tgt, nt);
    putchar('\n');
}

static tok_vocab_t *load_vocab(corpus_t *c, int side) {
    char err[512];
    tok_kind_t kind;
    if (tok_kind_parse(corpus_tokenizer(c), &kind) != 0) exit(1);
    tok_vocab_t *v =
        side ? tok_vocab_new(kind, corpus_tgt_vocab(c), (size_t)corpus_tgt_vocab_size(c), err,
                             sizeof err)
             : tok_vocab_new(kind, corpus_vocab(c), (size_t)corpus_vocab_size(c), err, sizeof err);
    if (!v || !tok_vocab_seq2seq(v)) {
        fprintf(stderr, "pairs_check: not a seq2seq vocabulary: %s\n", v ? "" : err);
        exit(1);
    }
    return v;
}

static void print_text(const tok_vocab_t *v, const uint32_t *ids, size_t n) {
    size_t len = 0;
    char *text = tok_decode(v, ids, n, &len);
    if (!text) exit(1);
    fwrite(text, 1, len, stdout);
    free(text);
}

static void text_line(void *arg, const uint32_t *src, size_t ns, const uint32_t *tgt, size_t nt) {
    tok_vocab_t **v = arg;
    print_text(v[0], src, ns);
    putchar('\t');
    print_text(v[1], tgt, nt);
    putchar('\n');
}

int main(int argc, char **argv) {
    if (argc < 3) goto usage;
    corpus_t *c = open_pairs(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "info")) {
        print_info(c, 1);
    } else if (argc == 4 && !strcmp(argv[1], "vocab")) {
        print_vocab(c, !strcmp(argv[3], "tgt"));
    } else if (argc == 4 && !strcmp(argv[1], "ids")) {
        each_pair(c, split_index(argv[3]), ids_line, NULL);
    } else if (argc == 4 && !strcmp(argv[1], "text")) {
        tok_vocab_t *v[2] = {load_vocab(c, 0), load_vocab(c, 1)};
        each_pair(c, split_index(argv[3]), text_line, v);
        tok_vocab_free(v[0]);
        tok_vocab_free(v[1]);
    } else if (argc == 3 && !strcmp(argv[1], "dump")) {
        print_info(c, 0);
        print_vocab(c, 0);
        print_vocab(c, 1);
        for (int k = 0; k < CORPUS_NSPLITS; k++) {
            printf("%s:\n", corpus_split_names[k]);
            each_pair(c, k, ids_line, NULL);
        }
    } else {
        goto usage;
    }
    corpus_close(c);
    return 0;
usage:
    fprintf(stderr, "usage: pairs_check info|dump CORPUS | vocab CORPUS src|tgt | ids|text CORPUS "
                    "SPLIT\n");
    return 2;
}

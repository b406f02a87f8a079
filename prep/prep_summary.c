/* prep/prep_summary.c — what drnn-prep prints on stderr when the corpus is written: one line for
 * the vocabulary, one per split, for labelled and tagged data one more per split with the label
 * (tag) counts, and the CR line endings. The lines stay short whatever the data: at most
 * PREP_SUMMARY_LABELS labels per line, each name cut at PREP_SUMMARY_NAME bytes (2000 labels of
 * 12 kB once printed 49 MB).
 */
#include "prep/prep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* " NAME COUNT", NAME cut to at most PREP_SUMMARY_NAME bytes at a UTF-8 character boundary and
 * then marked with "...". */
static void print_label(const char *name, uint64_t count, int first) {
    size_t len = strlen(name);
    int cut = len > PREP_SUMMARY_NAME;
    if (cut) {
        len = PREP_SUMMARY_NAME;
        while (len > 0 && ((unsigned char)name[len] & 0xC0) == 0x80) len--; /* continuation */
    }
    fprintf(stderr, "%s %.*s%s %llu", first ? "" : ",", (int)len, name, cut ? "..." : "",
            (unsigned long long)count);
}

static const uint64_t *g_sort_counts; /* label_by_count's counts (qsort has no argument) */

/* Descending count, then ascending id (byte order of the names). */
static int label_by_count(const void *pa, const void *pb) {
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    uint64_t ca = g_sort_counts[a], cb = g_sort_counts[b];
    if (ca != cb) return ca > cb ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* Labelled data: the examples of split K per label, "  labels: a 12, b 30"; tagged data: the
 * tokens per tag, "  tags: B 7, E 7, S 3". All of them in id order when they fit; otherwise the
 * PREP_SUMMARY_LABELS most frequent, then "... and K more labels". */
static void print_label_counts(const prep_opts_t *o, const prep_stats_t *st, int k) {
    const char *what = o->tags ? "tags" : "labels";
    const uint64_t *counts = st->label_counts + (size_t)k * st->num_labels;
    size_t n = st->num_labels, shown = n <= PREP_SUMMARY_LABELS ? n : PREP_SUMMARY_LABELS;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) prep_die(70, "out of memory");
    for (size_t l = 0; l < n; l++) order[l] = l;
    if (shown < n) {
        g_sort_counts = counts;
        qsort(order, n, sizeof *order, label_by_count);
    }
    fprintf(stderr, "drnn-prep:         %s:", what);
    for (size_t i = 0; i < shown; i++)
        print_label(st->label_names[order[i]], counts[order[i]], i == 0);
    if (shown < n) fprintf(stderr, ", ... and %zu more %s", n - shown, what);
    fputc('\n', stderr);
    free(order);
}

/* ", NAME vocab N (kept K of D train symbols)": the part after the specials, when it is short. */
static void print_vocab(const prep_opts_t *o, const char *name, size_t n, size_t distinct) {
    size_t kept = n - prep_num_specials(o);
    fprintf(stderr, ", %svocab %zu", name, n);
    if ((o->kind != TOK_BYTE || o->pairs) && kept < distinct)
        fprintf(stderr, " (kept %zu of %zu train symbols)", kept, distinct);
}

/* Pairs: "  train  900 pairs, 12 dropped by --max-len, 9000 + 9000 tokens (source + target),
 * crc32 ..., <unk> 3 + 5". */
static void print_pairs_summary(const prep_opts_t *o, const prep_stats_t *st) {
    fprintf(stderr, "drnn-prep: wrote %s (uuid %s): %s tokenizer, pairs", o->out, st->uuid,
            tok_kind_name(o->kind));
    print_vocab(o, o->shared_vocab ? "shared " : "source ", st->vocab, st->distinct);
    if (!o->shared_vocab) print_vocab(o, "target ", st->tgt_vocab, st->tgt_distinct);
    fputc('\n', stderr);
    for (int k = 0; k < CORPUS_NSPLITS; k++) {
        fprintf(stderr, "drnn-prep:   %-5s %9llu pairs", corpus_split_names[k],
                (unsigned long long)st->examples[k]);
        if (o->max_len)
            fprintf(stderr, ", %llu dropped by --max-len", (unsigned long long)st->dropped[k]);
        if (st->examples[k])
            fprintf(stderr, ", %llu + %llu tokens (source + target), crc32 %08x, <unk> %llu + %llu",
                    (unsigned long long)st->tokens[k], (unsigned long long)st->tgt_tokens[k],
                    st->crc[k], (unsigned long long)st->unknown[k],
                    (unsigned long long)st->tgt_unknown[k]);
        fputc('\n', stderr);
    }
}

static void print_splits(const prep_opts_t *o, const prep_stats_t *st) {
    fprintf(stderr, "drnn-prep: wrote %s (uuid %s): %s tokenizer", o->out, st->uuid,
            tok_kind_name(o->kind));
    print_vocab(o, "", st->vocab, st->distinct);
    fprintf(stderr, ", uint%d ids", 8 * st->width);
    if (o->labels || o->tags)
        fprintf(stderr, ", %zu %s", st->num_labels, o->tags ? "tags" : "labels");
    fputc('\n', stderr);
    for (int k = 0; k < CORPUS_NSPLITS; k++) {
        uint64_t t = st->tokens[k];
        fprintf(stderr, "drnn-prep:   %-5s ", corpus_split_names[k]);
        if (o->labels || o->tags)
            fprintf(stderr, "%9llu %s, ", (unsigned long long)st->examples[k],
                    o->tags ? "sequences" : "examples");
        fprintf(stderr, "%12llu tokens", (unsigned long long)t);
        if (t) fprintf(stderr, ", crc32 %08x", st->crc[k]);
        if (t && o->kind != TOK_BYTE)
            fprintf(stderr, ", %llu <unk> (%.3f%%)", (unsigned long long)st->unknown[k],
                    100.0 * (double)st->unknown[k] / (double)t);
        fputc('\n', stderr);
        if ((o->labels || o->tags) && st->examples[k]) print_label_counts(o, st, k);
    }
}

void prep_print_summary(const prep_opts_t *o, const prep_stats_t *st, double secs) {
    if (o->pairs)
        print_pairs_summary(o, st);
    else
        print_splits(o, st);
    if (st->crs && o->keep_cr)
        fprintf(stderr, "drnn-prep: %llu CR line endings kept (--keep-cr)\n",
                (unsigned long long)st->crs);
    else if (st->crs)
        fprintf(stderr, "drnn-prep: %llu CR line endings stripped (--keep-cr keeps them)\n",
                (unsigned long long)st->crs);
    fprintf(stderr, "drnn-prep: done in %.2f s\n", secs);
}

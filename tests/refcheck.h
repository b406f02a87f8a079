/* tests/refcheck.h — the comparisons the model-kind reference tests (test_ref_classifier,
 * test_ref_tagger, test_ref_self_attn, test_ref_seq2seq) EXPECT on: one header of static inline
 * functions, because a failure counts in the including test's own counter (tests/testutil.h).
 * Include it after testutil.h and refutil.h. */
#ifndef DRNN_TESTS_REFCHECK_H
#define DRNN_TESTS_REFCHECK_H

#include <stdio.h>

#include "tests/refutil.h"
#include "tests/testutil.h"

/* got [n] against PyTorch's want: prints the stats line when verbose or failing, folds it into
 * *kind; returns the elements out of tolerance. */
static inline size_t check(ref_stats_t *kind, const char *label, const float *got,
                           const float *want, size_t n, int verbose, const char *file) {
    ref_stats_t s;
    size_t bad = ref_compare(&s, got, want, n);
    if (verbose || bad) ref_stats_print(label, &s);
    EXPECT(bad == 0, "%s: %s differs from PyTorch", file, label);
    ref_stats_merge(kind, &s);
    return bad;
}

/* The same for one double (a loss). */
static inline size_t check_loss(ref_stats_t *kind, const char *label, double got, double want,
                                int verbose, const char *file) {
    ref_stats_t s;
    size_t bad = ref_compare_double(&s, got, want);
    if (verbose || bad)
        printf("    %-24s drnn %.9f  torch %.9f  abs %.2e  %s\n", label, got, want, s.max_abs,
               bad ? "FAIL" : "ok");
    EXPECT(bad == 0, "%s: %s differs from PyTorch", file, label);
    ref_stats_merge(kind, &s);
    return bad;
}

/* Every gradient tensor of tab against the file's PREFIX<name> (refutil.h's ref_check_grads). */
static inline size_t check_grads(ref_stats_t *kind, hid_t f, const char *prefix,
                                 const param_table_t *tab, const float *grads, int verbose,
                                 const char *file) {
    size_t bad = ref_check_grads(f, prefix, tab, grads, file, verbose, kind);
    EXPECT(bad == 0, "%s: gradients (%s*) differ from PyTorch", file, prefix);
    return bad;
}

/* Row b's [lens[b], lens[b]] blocks of self-attention weights w [B, T, T], one after another,
 * into out. */
static inline void gather_self_attn(float *out, const float *w, const int *lens, int T, int B) {
    for (int b = 0; b < B; b++)
        for (int i = 0; i < lens[b]; i++)
            for (int j = 0; j < lens[b]; j++) *out++ = w[((size_t)b * T + i) * T + j];
}

#endif

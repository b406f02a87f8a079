/* tests/refcheck.h — what the model-kind reference tests (test_ref_classifier, test_ref_tagger,
 * test_ref_self_attn, test_ref_seq2seq) EXPECT on: their case files' attributes and their
 * comparisons with PyTorch. Static inline functions in a header, because a failure counts in the
 * including test's own counter (tests/testutil.h). */
#ifndef DRNN_TESTS_REFCHECK_H
#define DRNN_TESTS_REFCHECK_H

#include <stdint.h>
#include <stdio.h>

#include "io/h5util.h"
#include "model/desc.h"
#include "tests/refutil.h"
#include "tests/testutil.h"

/* The integer attribute NAME of a case file, in [lo, 2^20]; -1 after EXPECTing why. */
static inline int attr_int(hid_t f, const char *name, int lo, const char *file) {
    int64_t v = 0;
    if (h5_attr_get_i64(f, name, &v) < 0 || v < lo || v > 1 << 20) {
        EXPECT(0, "%s: attribute %s missing or not an integer >= %d", file, name, lo);
        return -1;
    }
    return (int)v;
}

/* The encoder's layers, bidirectional, residual and self_attention attributes into d (the last
 * two 0 when absent); a bad value is EXPECTed and left for the caller's range check. */
static inline void read_encoder_attrs(hid_t f, model_desc_t *d, const char *file) {
    d->layers = attr_int(f, "layers", 1, file);
    d->bidirectional = attr_int(f, "bidirectional", 0, file);
    EXPECT(d->bidirectional <= 1, "%s: attribute bidirectional is not 0 or 1", file);
    d->residual = H5Aexists(f, "residual") > 0 ? attr_int(f, "residual", 0, file) : 0;
    EXPECT(d->residual <= 1, "%s: attribute residual is not 0 or 1", file);
    d->self_attention =
        H5Aexists(f, "self_attention") > 0 ? attr_int(f, "self_attention", 1, file) : 0;
}

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

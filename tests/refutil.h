/* tests/refutil.h — shared by the PyTorch reference tests (test_reference, test_ref_classifier,
 * test_ref_tagger, test_ref_self_attn, test_ref_seq2seq): their command line and case list,
 * reading a case file's datasets with their shapes checked, loading a parameter table from a
 * state_dict dump, and the elementwise comparison |drnn - torch| <= max(1e-6, 1e-5 * |torch|).
 *
 * Nothing here counts a test failure: functions return what failed (and print why), the caller
 * EXPECTs on it, since tests/testutil.h's failure counter belongs to each test's main file.
 */
#ifndef DRNN_TESTS_REFUTIL_H
#define DRNN_TESTS_REFUTIL_H

#include <hdf5.h>
#include <stddef.h>

#include "model/params.h"

#define REF_ABS_TOL 1e-6
#define REF_REL_TOL 1e-5

/* One comparison of n elements. NaN on either side fails and stays NaN in the maxima. */
typedef struct {
    size_t n, bad, first_bad;
    double max_abs;     /* max |drnn - torch| */
    double max_rel;     /* max |drnn - torch| / |torch| over torch != 0 */
    double max_rel_tol; /* the same over |torch| >= REF_ABS_TOL / REF_REL_TOL, where the relative
                         * tolerance is the one that applies; n_rel_tol such elements */
    size_t n_rel_tol;
    double worst;            /* max |drnn - torch| / tolerance: above 1 fails */
    float got_bad, want_bad; /* the first element out of tolerance */
} ref_stats_t;

/* calloc that exits the test with a message when out of memory; never returns NULL. */
void *ref_calloc(size_t n, size_t size);

/* Reads dataset PATH into buf as memtype after checking it has exactly ndim dims equal to dims
 * (ndim 0: a scalar). Returns 0, or -1 with the reason in why. */
int ref_read_dataset(hid_t f, const char *path, hid_t memtype, void *buf, int ndim,
                     const hsize_t *dims, char *why, size_t whylen);

/* Fills *s from got against want [n]; returns s->bad (elements out of tolerance). */
size_t ref_compare(ref_stats_t *s, const float *got, const float *want, size_t n);
/* The same for one double (a loss). */
size_t ref_compare_double(ref_stats_t *s, double got, double want);
/* Folds src into dst (maxima, counts; the first bad element is dst's unless it had none). */
void ref_stats_merge(ref_stats_t *dst, const ref_stats_t *src);
/* One line: "    LABEL  max abs ..  max rel ..  (worst .. of tolerance)  ok|FAIL", then on a
 * failure how many elements and the first one. */
void ref_stats_print(const char *label, const ref_stats_t *s);

/* "%.1e" of s's max_rel_tol into buf, or "-" when no element was in the relative range. */
const char *ref_rel_str(char *buf, size_t len, const ref_stats_t *s);

/* Loads every tensor of tab from the dataset of its name (shape checked), and checks that each
 * name in the file's "keys" (the PyTorch state_dict) is in tab. Prints a FAIL line for each
 * problem; returns how many. */
int ref_load_params(hid_t f, const param_table_t *tab, float *params, const char *file);

/* Compares every tensor of grads (tab's layout) with the dataset PREFIX<name>, folding each into
 * *total. Prints a FAIL line per missing or differing tensor, and the stats line of every tensor
 * when verbose or when it differs. Returns the elements (or missing tensors) that failed. */
size_t ref_check_grads(hid_t f, const char *prefix, const param_table_t *tab, const float *grads,
                       const char *file, int verbose, ref_stats_t *total);

/* What each reference test's main does first: the command line "NAME [-v] OUT_DIR", then
 * run(dir, case, index, verbose, arg) for every non-empty line of OUT_DIR/cases.txt (written by
 * tests/reference/SCRIPT). Returns -1 when the cases ran (*verbose set), or the exit code for
 * main: 64 on a wrong command line, 1 (after a FAIL line saying what to run) when the list is
 * missing. */
typedef void (*ref_case_fn)(const char *dir, const char *name, int index, int verbose, void *arg);
int ref_run_cases(int argc, char **argv, const char *name, const char *script, ref_case_fn run,
                  void *arg, int *verbose);

#endif

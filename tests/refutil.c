/* tests/refutil.c — see refutil.h. */
#include "tests/refutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"

void *ref_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "reference test: out of memory (%zu x %zu bytes)\n", n, size);
        exit(1);
    }
    return p;
}

int ref_read_dataset(hid_t f, const char *path, hid_t memtype, void *buf, int ndim,
                     const hsize_t *dims, char *why, size_t whylen) {
    int rc = -1;
    hsize_t got[8] = {0};
    if (!h5_exists(f, path)) {
        snprintf(why, whylen, "missing from the PyTorch file");
        return -1;
    }
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (nd < 0 || nd > 8) {
        snprintf(why, whylen, "unreadable dataset");
        goto done;
    }
    H5Sget_simple_extent_dims(sp, got, NULL);
    int same = nd == ndim;
    for (int i = 0; same && i < nd; i++) same = got[i] == dims[i];
    if (!same) {
        char *w = why;
        size_t left = whylen;
        int k = snprintf(w, left, "shape [");
        for (int i = 0; i < nd && k > 0 && (size_t)k < left; i++) {
            w += k, left -= k;
            k = snprintf(w, left, i ? ",%llu" : "%llu", (unsigned long long)got[i]);
        }
        if (k > 0 && (size_t)k < left) snprintf(w + k, left - k, "] in the PyTorch file");
        goto done;
    }
    if (H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        snprintf(why, whylen, "read failed");
        goto done;
    }
    rc = 0;
done:
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    return rc;
}

/* fmax that keeps a NaN (fmax drops it), so a NaN shows in the printed maxima. */
static double max_nan(double m, double v) {
    return isnan(m) || isnan(v) ? NAN : fmax(m, v);
}

/* One element into s; i is its index. */
static void stats_add(ref_stats_t *s, double got, double want, size_t i) {
    double d = fabs(got - want), w = fabs(want);
    double tol = fmax(REF_ABS_TOL, REF_REL_TOL * w);
    /* NaN on either side must fail: !(d <= tol) is true for NaN. */
    if (!(d <= tol) && s->bad++ == 0) {
        s->first_bad = i;
        s->got_bad = (float)got, s->want_bad = (float)want;
    }
    s->max_abs = max_nan(s->max_abs, d);
    if (w > 0) s->max_rel = max_nan(s->max_rel, d / w);
    if (!(w < REF_ABS_TOL / REF_REL_TOL)) {
        s->max_rel_tol = max_nan(s->max_rel_tol, d / w);
        s->n_rel_tol++;
    }
    s->worst = max_nan(s->worst, d / tol);
    s->n++;
}

size_t ref_compare(ref_stats_t *s, const float *got, const float *want, size_t n) {
    *s = (ref_stats_t){0};
    for (size_t i = 0; i < n; i++) stats_add(s, got[i], want[i], i);
    return s->bad;
}

size_t ref_compare_double(ref_stats_t *s, double got, double want) {
    *s = (ref_stats_t){0};
    stats_add(s, got, want, 0);
    return s->bad;
}

void ref_stats_merge(ref_stats_t *dst, const ref_stats_t *src) {
    if (dst->bad == 0 && src->bad > 0) {
        dst->first_bad = src->first_bad;
        dst->got_bad = src->got_bad, dst->want_bad = src->want_bad;
    }
    dst->n += src->n, dst->bad += src->bad, dst->n_rel_tol += src->n_rel_tol;
    dst->max_abs = max_nan(dst->max_abs, src->max_abs);
    dst->max_rel = max_nan(dst->max_rel, src->max_rel);
    dst->max_rel_tol = max_nan(dst->max_rel_tol, src->max_rel_tol);
    dst->worst = max_nan(dst->worst, src->worst);
}

void ref_stats_print(const char *label, const ref_stats_t *s) {
    printf("    %-24s max abs %.2e  max rel %.2e  (worst %.3f of tolerance)  %s\n", label,
           s->max_abs, s->max_rel, s->worst, s->bad ? "FAIL" : "ok");
    if (s->bad)
        printf("      %zu of %zu elements out of tolerance; first [%zu]: drnn %.9g torch %.9g\n",
               s->bad, s->n, s->first_bad, s->got_bad, s->want_bad);
}

int ref_load_params(hid_t f, const param_table_t *tab, float *params, const char *file) {
    int bad = 0;
    char why[128];
    for (int i = 0; i < tab->n; i++) {
        const param_tensor_t *t = &tab->t[i];
        hsize_t dims[2] = {t->shape[0], t->shape[1]};
        if (ref_read_dataset(f, t->name, H5T_NATIVE_FLOAT, params + t->offset, t->ndim, dims, why,
                             sizeof why) < 0) {
            printf("FAIL %s: drnn tensor %s: %s\n", file, t->name, why);
            bad++;
        }
    }
    char **keys = NULL;
    int nk = 0;
    if (h5_read_strings(f, "keys", &keys, &nk) < 0) {
        printf("FAIL %s: no readable 'keys' dataset (regenerate the file)\n", file);
        return bad + 1;
    }
    for (int i = 0; i < nk; i++) {
        if (params_find(tab, keys[i]) < 0) {
            printf("FAIL %s: PyTorch tensor %s has no drnn counterpart\n", file, keys[i]);
            bad++;
        }
    }
    h5_free_strings(keys, nk);
    return bad;
}

size_t ref_check_grads(hid_t f, const char *prefix, const param_table_t *tab, const float *grads,
                       const char *file, int verbose, ref_stats_t *total) {
    size_t bad = 0;
    char path[PARAM_NAME_MAX + 32], why[128];
    for (int i = 0; i < tab->n; i++) {
        const param_tensor_t *t = &tab->t[i];
        hsize_t dims[2] = {t->shape[0], t->shape[1]};
        float *want = ref_calloc(t->size, sizeof(float));
        snprintf(path, sizeof path, "%s%s", prefix, t->name);
        if (ref_read_dataset(f, path, H5T_NATIVE_FLOAT, want, t->ndim, dims, why, sizeof why) < 0) {
            printf("FAIL %s: %s: %s\n", file, path, why);
            bad++;
        } else {
            ref_stats_t s;
            size_t b = ref_compare(&s, grads + t->offset, want, t->size);
            if (verbose || b) ref_stats_print(path, &s);
            if (b) printf("FAIL %s: %s differs from PyTorch\n", file, path);
            if (total) ref_stats_merge(total, &s);
            bad += b;
        }
        free(want);
    }
    return bad;
}

int ref_run_cases(int argc, char **argv, const char *name, const char *script, ref_case_fn run,
                  void *arg, int *verbose) {
    *verbose = argc == 3 && strcmp(argv[1], "-v") == 0;
    if (argc != 2 + *verbose) {
        fprintf(stderr, "usage: %s [-v] OUT_DIR (written by tests/reference/%s)\n", name, script);
        return 64;
    }
    const char *dir = argv[1 + *verbose];
    h5_quiet();
    char list[4096], line[512];
    snprintf(list, sizeof list, "%s/cases.txt", dir);
    FILE *fp = fopen(list, "r");
    if (!fp) {
        printf("FAIL: %s missing: run /usr/bin/python3 tests/reference/%s %s\n", list, script, dir);
        return 1;
    }
    int index = 0;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0]) run(dir, line, index++, *verbose, arg);
    }
    fclose(fp);
    return -1;
}

const char *ref_rel_str(char *buf, size_t len, const ref_stats_t *s) {
    if (s->n_rel_tol)
        snprintf(buf, len, "%.1e", s->max_rel_tol);
    else
        snprintf(buf, len, "-");
    return buf;
}

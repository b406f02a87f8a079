/* drnn's self-attention block against PyTorch on the same weights (model/self_attn.h): every
 * case file written by tests/reference/self_attn_reference.py is replayed through
 * self_attn_forward / self_attn_backward and compared elementwise with
 * |drnn - torch| <= max(1e-6, 1e-5 * |torch|):
 *   z       the block's output at the real positions (t < lens[b]);
 *   attn    self_attn_weights, row b's [lens[b], lens[b]] block (averaged over heads);
 *   loss    sum over the real positions of R * z (double);
 *   grad    every tensor's gradient and dy (grad_y [T, B, D], which must be 0 at padded rows)
 *           after a backward with dz = R;
 *   junk    all of it again after a training forward (dropout set to 0) whose y holds NaN at the
 *           padded positions, which must not matter, its backward accumulated onto the first's
 *           gradients (compared after subtracting those: += without doubling the errors).
 * Also: the backward hook reports the six tensors once, as one range; self_attn_init_params
 * gives PyTorch's bounds. Odd-numbered cases run in an arena larger than their batch (Tmax = T +
 * 2, Bmax = B + 3). Prints one line per case, every comparison with -v or when it fails, then
 * the worst of each kind. Nothing is skipped: a missing file or tensor fails, and every D x heads
 * of the generator's main cases (8, 12 x 1, 2, 4) must have passed.
 *
 * Usage: test_ref_self_attn [-v] OUT_DIR
 */
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"
#include "model/self_attn.h"
#include "tests/refcheck.h"
#include "tests/refutil.h"
#include "tests/testutil.h"

#define REF_FORMAT  "drnn-self-attn-reference"
#define REF_VERSION 1

enum { K_Z, K_ATTN, K_LOSS, K_GRAD, N_CHECKS };
static const char *const check_names[N_CHECKS] = {"z", "attn", "loss", "grad"};
static const int ds[2] = {8, 12}, hs[3] = {1, 2, 4};

typedef struct {
    int passed, failed;
    ref_stats_t worst[N_CHECKS];
    unsigned char covered[2][3]; /* [D 8, 12][heads 1, 2, 4] */
} tally_t;

typedef struct {
    int D, heads, T, B, ntokens;
} case_hdr_t;

typedef struct {
    size_t offset, count;
    int calls;
} hook_log_t;

static void on_ready(void *ctx, size_t offset, size_t count) {
    hook_log_t *h = ctx;
    h->offset = offset, h->count = count, h->calls++;
}

static int read_header(hid_t f, case_hdr_t *h, const char *file) {
    char fmt[64] = "", kind[32] = "";
    int64_t version = 0;
    int ok = h5_attr_get_string(f, "format", fmt, sizeof fmt) == 0 &&
             strcmp(fmt, REF_FORMAT) == 0 && h5_attr_get_i64(f, "version", &version) == 0 &&
             version == REF_VERSION && h5_attr_get_string(f, "kind", kind, sizeof kind) == 0 &&
             strcmp(kind, "self_attn") == 0;
    EXPECT(ok,
           "%s: not a %s version %d file (regenerate it with "
           "tests/reference/self_attn_reference.py)",
           file, REF_FORMAT, REF_VERSION);
    if (!ok) return -1;
    h->D = attr_int(f, "D", 1, file), h->heads = attr_int(f, "heads", 1, file);
    h->T = attr_int(f, "T", 1, file), h->B = attr_int(f, "B", 1, file);
    h->ntokens = attr_int(f, "ntokens", 1, file);
    if (h->D < 0 || h->heads < 0 || h->T < 0 || h->B < 0 || h->ntokens < 0) return -1;
    EXPECT(h->D % h->heads == 0, "%s: D %d is not a multiple of heads %d", file, h->D, h->heads);
    return h->D % h->heads == 0 ? 0 : -1;
}

typedef struct {
    float *y, *R, *want_z, *want_attn, *want_dy, *want_grads, *got, *dz, *dy;
    int *lens;
    double want_loss;
    size_t nattn;
} case_data_t;

/* Reads the batch and the expected results; 0 or -1 after EXPECTing why. */
static int read_case(hid_t f, const case_hdr_t *h, case_data_t *c, const char *file) {
    const int T = h->T, B = h->B, D = h->D;
    hsize_t tbd[3] = {(hsize_t)T, (hsize_t)B, (hsize_t)D}, b[1] = {(hsize_t)B};
    hsize_t zd[2] = {(hsize_t)h->ntokens, (hsize_t)D}, ad[1];
    char why[128];
    if (ref_read_dataset(f, "lens", H5T_NATIVE_INT, c->lens, 1, b, why, sizeof why) < 0) {
        EXPECT(0, "%s: lens: %s", file, why);
        return -1;
    }
    int ntok = 0;
    c->nattn = 0;
    for (int i = 0; i < B; i++) {
        if (c->lens[i] < 1 || c->lens[i] > T) {
            EXPECT(0, "%s: lens[%d] = %d out of [1, %d]", file, i, c->lens[i], T);
            return -1;
        }
        ntok += c->lens[i], c->nattn += (size_t)c->lens[i] * c->lens[i];
    }
    EXPECT(ntok == h->ntokens, "%s: lens sum to %d, ntokens is %d", file, ntok, h->ntokens);
    ad[0] = c->nattn;
    const struct {
        const char *name;
        float *buf;
        int nd;
        const hsize_t *dims;
    } sets[] = {{"y", c->y, 3, tbd},
                {"R", c->R, 3, tbd},
                {"z", c->want_z, 2, zd},
                {"attn", c->want_attn, 1, ad},
                {"grad_y", c->want_dy, 3, tbd}};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        if (ref_read_dataset(f, sets[i].name, H5T_NATIVE_FLOAT, sets[i].buf, sets[i].nd,
                             sets[i].dims, why, sizeof why) < 0) {
            EXPECT(0, "%s: %s: %s", file, sets[i].name, why);
            return -1;
        }
    if (ref_read_dataset(f, "loss", H5T_NATIVE_DOUBLE, &c->want_loss, 0, NULL, why, sizeof why) <
        0) {
        EXPECT(0, "%s: loss: %s", file, why);
        return -1;
    }
    return ntok == h->ntokens ? 0 : -1;
}

/* z at the real rows (t-major, then b) into out; returns sum R * z there in double. */
static double gather_z(float *out, const float *z, const float *R, const int *lens, int T, int B,
                       int D) {
    double loss = 0.0;
    size_t n = 0;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            if (t >= lens[b]) continue;
            const size_t row = ((size_t)t * B + b) * D;
            for (int j = 0; j < D; j++) loss += (double)R[row + j] * z[row + j];
            memcpy(out + D * n++, z + row, sizeof(float) * D);
        }
    return loss;
}

/* want_grads [total] from grad/<name> of every tensor of tab; 0 or -1 after EXPECTing why. */
static int read_grads(hid_t f, const param_table_t *tab, float *want_grads, const char *file) {
    char path[PARAM_NAME_MAX + 8], why[128];
    for (int i = 0; i < tab->n; i++) {
        const param_tensor_t *t = &tab->t[i];
        hsize_t dims[2] = {t->shape[0], t->shape[1]};
        snprintf(path, sizeof path, "grad/%s", t->name);
        if (ref_read_dataset(f, path, H5T_NATIVE_FLOAT, want_grads + t->offset, t->ndim, dims, why,
                             sizeof why) < 0) {
            EXPECT(0, "%s: %s: %s", file, path, why);
            return -1;
        }
    }
    return 0;
}

/* Forward (z, attn, loss against PyTorch), then a backward with dz = R accumulated (+=) into
 * grads and c->dy, which held prev_grads and prev_dy (NULL: zeros) before: their difference must
 * be PyTorch's gradients. Returns elements that failed. */
static size_t forward_backward(self_attn_t *a, const param_table_t *tab, const float *params,
                               float *grads, const float *y, const case_hdr_t *h, case_data_t *c,
                               int train, const float *prev_grads, const float *prev_dy,
                               const char *tag, int verbose, const char *file,
                               ref_stats_t st[N_CHECKS]) {
    const int T = h->T, B = h->B, D = h->D;
    const size_t n = (size_t)T * B * D;
    char label[PARAM_NAME_MAX + 32];
    size_t bad = 0;
    const float *z = self_attn_forward(a, params, y, c->lens, T, B, train);
    double loss = gather_z(c->got, z, c->R, c->lens, T, B, D);
    snprintf(label, sizeof label, "z%s", tag);
    bad += check(&st[K_Z], label, c->got, c->want_z, (size_t)h->ntokens * D, verbose, file);
    gather_self_attn(c->got, self_attn_weights(a), c->lens, T, B);
    snprintf(label, sizeof label, "attn%s", tag);
    bad += check(&st[K_ATTN], label, c->got, c->want_attn, c->nattn, verbose, file);
    ref_stats_t s;
    size_t lb = ref_compare_double(&s, loss, c->want_loss);
    if (verbose || lb)
        printf("    loss%-20s drnn %.9f  torch %.9f  %s\n", tag, loss, c->want_loss,
               lb ? "FAIL" : "ok");
    EXPECT(lb == 0, "%s: loss%s differs from PyTorch", file, tag);
    ref_stats_merge(&st[K_LOSS], &s);
    bad += lb;

    memcpy(c->dz, c->R, sizeof(float) * n);
    self_attn_backward(a, params, grads, c->dz, c->dy);
    for (size_t i = 0; i < n; i++) c->got[i] = c->dy[i] - (prev_dy ? prev_dy[i] : 0.0f);
    snprintf(label, sizeof label, "grad_y%s", tag);
    bad += check(&st[K_GRAD], label, c->got, c->want_dy, n, verbose, file);
    for (int i = 0; i < tab->n; i++) {
        const param_tensor_t *t = &tab->t[i];
        const size_t o = t->offset;
        for (size_t e = 0; e < t->size; e++)
            c->got[e] = grads[o + e] - (prev_grads ? prev_grads[o + e] : 0.0f);
        snprintf(label, sizeof label, "grad/%s%s", t->name, tag);
        bad += check(&st[K_GRAD], label, c->got, c->want_grads + o, t->size, verbose, file);
    }
    return bad;
}

/* self_attn_init_params: PyTorch's bounds (xavier for in_proj, nn.Linear's for out_proj, the
 * U(-a, a) draws reaching near a), zero biases, LayerNorm weight 1 and bias 0. */
static size_t check_init(const self_attn_t *a, const param_table_t *tab, int D, const char *file) {
    float *p = ref_calloc(tab->total, sizeof(float));
    self_attn_init_params(a, p, 99);
    const double bound[6] = {sqrt(6.0 / (4.0 * D)), 0.0, 1.0 / sqrt((double)D), 0.0, 1.0, 0.0};
    size_t bad = 0;
    for (int i = 0; i < 6; i++) {
        const param_tensor_t *t = &tab->t[self_attn_first_tensor(a) + i];
        double lo = 1e30, hi = -1e30;
        for (size_t e = 0; e < t->size; e++) {
            lo = fmin(lo, p[t->offset + e]);
            hi = fmax(hi, p[t->offset + e]);
        }
        int ok = i == 0 || i == 2 ? hi <= bound[i] && lo >= -bound[i] && hi > 0.5 * bound[i] &&
                                        lo < -0.5 * bound[i]
                                  : lo == bound[i] && hi == bound[i];
        EXPECT(ok, "%s: init of %s in [%g, %g], want %s%g", file, t->name, lo, hi,
               i == 0 || i == 2 ? "within +-" : "all ", bound[i]);
        bad += !ok;
    }
    free(p);
    return bad;
}

/* ---- one case ------------------------------------------------------------------------------- */

static size_t run_self_attn(hid_t f, const case_hdr_t *h, int index, int verbose, const char *file,
                            ref_stats_t st[N_CHECKS]) {
    const int T = h->T, B = h->B, D = h->D, roomy = index % 2;
    const size_t n = (size_t)T * B * D;
    param_table_t tab = {0};
    params_add(&tab, "not.mine", 1, 5, 0); /* the block's tensors need not come first */
    self_attn_t *a = self_attn_create(D, h->heads, &tab, T + (roomy ? 2 : 0), B + (roomy ? 3 : 0));
    const size_t mine = tab.t[self_attn_first_tensor(a)].offset;
    const size_t count = tab.total - mine;
    param_table_t own = tab; /* the six tensors alone, for loading and comparing */
    own.n = 0;
    for (int i = self_attn_first_tensor(a); i <= self_attn_last_tensor(a); i++)
        own.t[own.n++] = tab.t[i];
    float *params = ref_calloc(tab.total, sizeof(float));
    float *grads = ref_calloc(tab.total, sizeof(float));
    const size_t big = (size_t)B * T * T + tab.total + n; /* any one comparison */
    case_data_t c = {.y = ref_calloc(n, sizeof(float)),
                     .R = ref_calloc(n, sizeof(float)),
                     .want_z = ref_calloc(n, sizeof(float)),
                     .want_attn = ref_calloc((size_t)B * T * T, sizeof(float)),
                     .want_dy = ref_calloc(n, sizeof(float)),
                     .want_grads = ref_calloc(tab.total, sizeof(float)),
                     .got = ref_calloc(big, sizeof(float)),
                     .dz = ref_calloc(n, sizeof(float)),
                     .dy = ref_calloc(n, sizeof(float)),
                     .lens = ref_calloc(B, sizeof(int))};
    float *junk_y = ref_calloc(n, sizeof(float)), *prev_dy = ref_calloc(n, sizeof(float));
    float *prev_grads = ref_calloc(tab.total, sizeof(float));
    hook_log_t log = {0};
    backward_hooks_t hooks = {.ready = on_ready, .ctx = &log};

    size_t bad = (size_t)ref_load_params(f, &own, params, file);
    EXPECT(bad == 0, "%s: %zu tensors missing or misshapen between drnn and PyTorch", file, bad);
    if (read_case(f, h, &c, file) < 0 || read_grads(f, &own, c.want_grads, file) < 0) bad++;
    if (bad) goto done;

    self_attn_set_hooks(a, &hooks);
    self_attn_set_dropout(a, 0.5f, 7, 1, 0); /* on for training forwards only */
    bad +=
        forward_backward(a, &own, params, grads, c.y, h, &c, 0, NULL, NULL, "", verbose, file, st);
    EXPECT(log.calls == 1 && log.offset == mine && log.count == count,
           "%s: ready hook: %d calls, last [%zu, +%zu), want 1 call [%zu, +%zu)", file, log.calls,
           log.offset, log.count, mine, count);
    bad += !(log.calls == 1 && log.offset == mine && log.count == count);

    /* NaN at the padded positions of y, a training forward without dropout, accumulated. */
    memcpy(junk_y, c.y, sizeof(float) * n);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            if (t >= c.lens[b])
                for (int j = 0; j < D; j++) junk_y[((size_t)t * B + b) * D + j] = NAN;
    self_attn_set_dropout(a, 0.0f, 7, 1, 0);
    memcpy(prev_grads, grads, sizeof(float) * tab.total);
    memcpy(prev_dy, c.dy, sizeof(float) * n);
    bad += forward_backward(a, &own, params, grads, junk_y, h, &c, 1, prev_grads, prev_dy,
                            " (junk, +=)", verbose, file, st);
    bad += check_init(a, &tab, D, file);
done:
    free(params), free(grads), free(junk_y), free(prev_dy), free(prev_grads);
    free(c.y), free(c.R), free(c.want_z), free(c.want_attn), free(c.want_dy), free(c.want_grads);
    free(c.got), free(c.dz), free(c.dy), free(c.lens);
    self_attn_free(a);
    return bad;
}

static void run_case(const char *dir, const char *name, int index, int verbose, void *arg) {
    tally_t *tally = arg;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        EXPECT(0, "%s: cannot open (run tests/reference/self_attn_reference.py %s first)", path,
               dir);
        tally->failed++;
        return;
    }
    case_hdr_t h;
    if (read_header(f, &h, name) < 0) {
        tally->failed++;
        H5Fclose(f);
        return;
    }
    if (verbose)
        printf("%s (D %d, heads %d, T %d, B %d, %d tokens%s)\n", name, h.D, h.heads, h.T, h.B,
               h.ntokens, index % 2 ? ", larger arena" : "");
    ref_stats_t st[N_CHECKS] = {{0}}, all = {0};
    size_t bad = run_self_attn(f, &h, index, verbose, name, st);
    for (int k = 0; k < N_CHECKS; k++) {
        ref_stats_merge(&all, &st[k]);
        ref_stats_merge(&tally->worst[k], &st[k]);
    }
    printf("%-4s %-30s worst %.3f of tol  max abs: z %.1e  attn %.1e  grad %.1e\n",
           bad ? "FAIL" : "ok", name, all.worst, st[K_Z].max_abs, st[K_ATTN].max_abs,
           st[K_GRAD].max_abs);
    if (bad) {
        tally->failed++;
    } else {
        tally->passed++;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                if (h.D == ds[i] && h.heads == hs[j]) tally->covered[i][j] = 1;
    }
    H5Fclose(f);
}

int main(int argc, char **argv) {
    tally_t tally = {0};
    int verbose;
    int rc = ref_run_cases(argc, argv, "test_ref_self_attn", "self_attn_reference.py", run_case,
                           &tally, &verbose);
    if (rc >= 0) return rc;

    /* Every D x heads must have passed; a shrunken generator cannot pass by omission. */
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            EXPECT(tally.covered[i][j], "no passing case for D %d, heads %d", ds[i], hs[j]);

    printf("worst over all cases (max rel: where |torch| >= %g, the relative tolerance's range):\n",
           REF_ABS_TOL / REF_REL_TOL);
    for (int k = 0; k < N_CHECKS; k++) {
        const ref_stats_t *s = &tally.worst[k];
        printf("  %-6s %6zu values  max abs %.2e  max rel %.2e (over %zu)  worst %.3f of "
               "tolerance%s\n",
               check_names[k], s->n, s->max_abs, s->max_rel_tol, s->n_rel_tol, s->worst,
               s->bad ? "  FAIL" : "");
    }
    printf("%d cases: %d passed, %d failed\n", tally.passed + tally.failed, tally.passed,
           tally.failed);
    return TEST_RESULT("test_ref_self_attn");
}

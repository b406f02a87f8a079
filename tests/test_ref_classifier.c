/* drnn's sentence classifier against PyTorch on the same weights (DESIGN §3, §4,
 * model/classifier.h): every case file written by tests/reference/classifier_reference.py is
 * replayed through classifier_forward / classifier_backward and compared elementwise with
 * |drnn - torch| <= max(1e-6, 1e-5 * |torch|):
 *   loss       the forward's sum over rows of the cross-entropy (nats, double);
 *   probs      classifier_probs [B, C] against softmax(logits), after a forward with labels and
 *              again after one without;
 *   grad       every tensor of classifier_params after backward with scale 1 (d loss sum);
 *   grad_mean  the same after a second forward and a backward with scale 1/B into zeroed
 *              gradients (PyTorch's reduction='mean');
 *   sa_attn    with self-attention, classifier_attention's head-averaged weights (row b's
 *              [lens[b], lens[b]] block) against nn.MultiheadAttention's, after the first
 *              forward and after the one without labels.
 * Odd-numbered cases run in an arena larger than their batch (Tmax = T + 2, Bmax = B + 3).
 *
 * Prints one line per case (its worst error as a fraction of the tolerance, and the largest
 * relative error of each kind where the relative tolerance applies, |torch| >= 0.1), every tensor
 * with -v or when it fails, then the worst of each kind over all cases. Nothing is skipped: a
 * missing file, tensor or cell fails, and every cell x layers 1, 2 x uni-/bidirectional x pool
 * must have run. Files with the attribute residual = 1 (absent: 0) run with residual connections
 * (model_desc_t.residual; the reference is tests/reference/residual_rnn.py): rnn, gru and lstm x
 * layers 2, 3 x uni-/bidirectional x every pool must have run so too. Files with the attribute
 * self_attention = heads (absent: 0) put model/self_attn.h's block over the top layer
 * (model_desc_t.self_attention; nn.MultiheadAttention + nn.LayerNorm in the reference): lstm and
 * gru x 2 layers x uni-/bidirectional x heads 1, 4 x residual off/on x every pool must have run.
 *
 * Usage: test_ref_classifier [-v] OUT_DIR
 */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"
#include "model/cells.h"
#include "model/classifier.h"
#include "model/desc.h"
#include "tests/refcheck.h"
#include "tests/refutil.h"
#include "tests/testutil.h"

#define REF_FORMAT  "drnn-classifier-reference"
#define REF_VERSION 1
#define N_CELLS     4
#define N_POOLS     3

enum { K_LOSS, K_PROBS, K_GRAD, K_GRAD_MEAN, K_SA_ATTN, N_CHECKS };
static const char *const check_names[N_CHECKS] = {"loss", "probs", "grad", "grad_mean", "sa_attn"};

typedef struct {
    int passed, failed;
    ref_stats_t worst[N_CHECKS];                       /* over all cases */
    unsigned char covered[N_CELLS][2][2][N_POOLS];     /* [cell][layers - 1][bi][pool] */
    unsigned char res_covered[N_CELLS][2][2][N_POOLS]; /* residual: [cell][layers - 2][bi][pool] */
    unsigned char sa_covered[N_CELLS][2][2][2]
                            [N_POOLS]; /* 2 layers: [cell][bi][heads 4][res][pool] */
} tally_t;

typedef struct {
    model_desc_t d;
    int T, B;
} case_hdr_t;

/* The file's attributes as a model description; 0, or -1 after EXPECTing why. */
static int read_header(hid_t f, case_hdr_t *h, const char *file) {
    char fmt[64] = "", kind[32] = "", cell[32] = "", pool[32] = "", err[256];
    int64_t version = 0;
    int ok = h5_attr_get_string(f, "format", fmt, sizeof fmt) == 0 &&
             strcmp(fmt, REF_FORMAT) == 0 && h5_attr_get_i64(f, "version", &version) == 0 &&
             version == REF_VERSION && h5_attr_get_string(f, "kind", kind, sizeof kind) == 0 &&
             strcmp(kind, "classifier") == 0 &&
             h5_attr_get_string(f, "cell", cell, sizeof cell) == 0 &&
             h5_attr_get_string(f, "pool", pool, sizeof pool) == 0;
    EXPECT(ok,
           "%s: not a %s version %d classifier file with cell and pool attributes (regenerate "
           "it with tests/reference/classifier_reference.py)",
           file, REF_FORMAT, REF_VERSION);
    if (!ok) return -1;
    *h = (case_hdr_t){0};
    model_desc_t *d = &h->d;
    snprintf(d->kind, sizeof d->kind, "classifier");
    d->cell = cell_parse(cell);
    d->pool = model_pool_parse(pool);
    EXPECT(d->cell >= 0, "%s: unknown cell '%s'", file, cell);
    EXPECT(d->pool >= 0, "%s: unknown pool '%s'", file, pool);
    read_encoder_attrs(f, d, file);
    d->vocab = attr_int(f, "vocab", 1, file);
    d->embed = attr_int(f, "embed", 1, file);
    d->hidden = attr_int(f, "hidden", 1, file);
    d->classes = attr_int(f, "classes", 2, file);
    h->T = attr_int(f, "T", 1, file);
    h->B = attr_int(f, "B", 1, file);
    if (d->cell < 0 || d->pool < 0 || d->layers < 0 || d->bidirectional < 0 ||
        d->bidirectional > 1 || d->residual < 0 || d->residual > 1 || d->self_attention < 0 ||
        d->vocab < 0 || d->embed < 0 || d->hidden < 0 || d->classes < 0 || h->T < 0 || h->B < 0)
        return -1;
    int rc = model_validate(&classifier_model_ops, d, file, err, sizeof err);
    EXPECT(rc == 0, "%s: drnn rejects the description: %s", file, err);
    return rc == 0 ? 0 : -1;
}

/* tokens [T, B] (< V), lens [B] (in [1, T]), labels [B] (< C); 0 or -1 after EXPECTing why. */
static int read_batch(hid_t f, const case_hdr_t *h, uint32_t *tokens, int *lens, uint32_t *labels,
                      const char *file) {
    const int T = h->T, B = h->B;
    hsize_t tb[2] = {(hsize_t)T, (hsize_t)B}, b[1] = {(hsize_t)B};
    char why[128];
    if (ref_read_dataset(f, "tokens", H5T_NATIVE_UINT32, tokens, 2, tb, why, sizeof why) < 0 ||
        ref_read_dataset(f, "lens", H5T_NATIVE_INT, lens, 1, b, why, sizeof why) < 0 ||
        ref_read_dataset(f, "labels", H5T_NATIVE_UINT32, labels, 1, b, why, sizeof why) < 0) {
        EXPECT(0, "%s: tokens, lens or labels: %s", file, why);
        return -1;
    }
    int ok = 1;
    for (int i = 0; i < T * B; i++) ok &= tokens[i] < (uint32_t)h->d.vocab;
    for (int i = 0; i < B; i++) ok &= lens[i] >= 1 && lens[i] <= T;
    for (int i = 0; i < B; i++) ok &= labels[i] < (uint32_t)h->d.classes;
    EXPECT(ok, "%s: a token, length or label out of range", file);
    return ok ? 0 : -1;
}

/* With self-attention: classifier_attention of the last forward against want [n]. */
static size_t check_sa_attn(ref_stats_t *kind, const char *label, const classifier_t *m,
                            const float *want, float *got, size_t n, const int *lens, int T, int B,
                            int verbose, const char *file) {
    const float *w = classifier_attention(m);
    EXPECT(w != NULL, "%s: classifier_attention is NULL with self-attention", file);
    if (!w) return 1;
    gather_self_attn(got, w, lens, T, B);
    return check(kind, label, got, want, n, verbose, file);
}

/* Forward, probabilities and both backwards on the file's weights and batch; fills st.
 * Returns elements/tensors that failed (0 = pass). */
static size_t run_classifier(hid_t f, const case_hdr_t *h, int roomy, int verbose, const char *file,
                             ref_stats_t st[N_CHECKS]) {
    const int T = h->T, B = h->B, C = h->d.classes;
    classifier_t *m = classifier_create(&h->d, T + (roomy ? 2 : 0), B + (roomy ? 3 : 0));
    const param_table_t *tab = classifier_params(m);
    float *params = ref_calloc(tab->total, sizeof(float));
    float *grads = ref_calloc(tab->total, sizeof(float));
    float *want_probs = ref_calloc((size_t)B * C, sizeof(float));
    uint32_t *tokens = ref_calloc((size_t)T * B, sizeof(uint32_t));
    uint32_t *labels = ref_calloc(B, sizeof(uint32_t));
    int *lens = ref_calloc(B, sizeof(int));
    const int sa = h->d.self_attention > 0;
    /* With self-attention: PyTorch's weights [sum lens^2] and drnn's gathered alike. */
    float *want_attn = ref_calloc((size_t)B * T * T, sizeof(float));
    float *got_attn = ref_calloc((size_t)B * T * T, sizeof(float));
    size_t nattn = 0;
    double want_loss = 0.0;
    hsize_t bc[2] = {(hsize_t)B, (hsize_t)C};
    char why[128];

    size_t bad = (size_t)ref_load_params(f, tab, params, file);
    EXPECT(bad == 0, "%s: %zu tensors missing or misshapen between drnn and PyTorch", file, bad);
    if (read_batch(f, h, tokens, lens, labels, file) < 0) bad++;
    if (ref_read_dataset(f, "probs", H5T_NATIVE_FLOAT, want_probs, 2, bc, why, sizeof why) < 0 ||
        ref_read_dataset(f, "loss", H5T_NATIVE_DOUBLE, &want_loss, 0, NULL, why, sizeof why) < 0) {
        EXPECT(0, "%s: probs or loss: %s", file, why);
        bad++;
    }
    if (sa && !bad) {
        for (int b = 0; b < B; b++) nattn += (size_t)lens[b] * lens[b];
        hsize_t ad[1] = {(hsize_t)nattn};
        if (ref_read_dataset(f, "self_attn_weights", H5T_NATIVE_FLOAT, want_attn, 1, ad, why,
                             sizeof why) < 0) {
            EXPECT(0, "%s: self_attn_weights: %s", file, why);
            bad++;
        }
    }
    if (bad) goto done; /* a model with missing weights proves nothing */

    classifier_set_dropout(m, 0.0f, 0, 0, 0);
    double loss = classifier_forward(m, params, tokens, lens, labels, T, B);
    bad += check_loss(&st[K_LOSS], "loss (sum)", loss, want_loss, verbose, file);
    bad +=
        check(&st[K_PROBS], "probs", classifier_probs(m), want_probs, (size_t)B * C, verbose, file);
    if (sa)
        bad += check_sa_attn(&st[K_SA_ATTN], "self-attention", m, want_attn, got_attn, nattn, lens,
                             T, B, verbose, file);
    classifier_backward(m, params, grads, 1.0f);
    bad += check_grads(&st[K_GRAD], f, "grad/", tab, grads, verbose, file);

    /* PyTorch's mean loss: a fresh forward, then scale 1/B into zeroed gradients. */
    memset(grads, 0, sizeof(float) * tab->total);
    loss = classifier_forward(m, params, tokens, lens, labels, T, B);
    bad += check_loss(&st[K_LOSS], "loss (sum)", loss, want_loss, verbose, file);
    classifier_backward(m, params, grads, 1.0f / (float)B);
    bad += check_grads(&st[K_GRAD_MEAN], f, "grad_mean/", tab, grads, verbose, file);

    /* Without labels: no loss, the same probabilities. */
    classifier_forward(m, params, tokens, lens, NULL, T, B);
    bad += check(&st[K_PROBS], "probs (no labels)", classifier_probs(m), want_probs, (size_t)B * C,
                 verbose, file);
    if (sa)
        bad += check_sa_attn(&st[K_SA_ATTN], "self-attention (no labels)", m, want_attn, got_attn,
                             nattn, lens, T, B, verbose, file);
done:
    free(params), free(grads), free(want_probs), free(tokens), free(labels), free(lens);
    free(want_attn), free(got_attn);
    classifier_free(m);
    return bad;
}

static void run_case(const char *dir, const char *name, int index, int verbose, void *arg) {
    tally_t *tally = arg;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        EXPECT(0, "%s: cannot open (run tests/reference/classifier_reference.py %s first)", path,
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
    const model_desc_t *d = &h.d;
    int roomy = index % 2;
    if (verbose)
        printf("%s (cell %s, layers %d%s, %s, pool %s, self-attention heads %d, V %d, E %d, H %d, "
               "C %d, T %d, B %d%s)\n",
               name, cell_name(d->cell), d->layers, d->residual ? " residual" : "",
               d->bidirectional ? "bi" : "uni", model_pool_name(d->pool), d->self_attention,
               d->vocab, d->embed, d->hidden, d->classes, h.T, h.B, roomy ? ", larger arena" : "");
    ref_stats_t st[N_CHECKS] = {{0}};
    size_t bad = run_classifier(f, &h, roomy, verbose, name, st);
    ref_stats_t all = {0};
    for (int k = 0; k < N_CHECKS; k++) {
        ref_stats_merge(&all, &st[k]);
        ref_stats_merge(&tally->worst[k], &st[k]);
    }
    char r[N_CHECKS][16], sa[48] = "";
    if (d->self_attention)
        snprintf(sa, sizeof sa, "  self-attention %s", ref_rel_str(r[4], 16, &st[K_SA_ATTN]));
    printf("%-4s %-34s worst %.3f of tol  max rel: loss %-7s  probs %-7s  grad %-7s  "
           "grad_mean %s%s\n",
           bad ? "FAIL" : "ok", name, all.worst, ref_rel_str(r[0], 16, &st[K_LOSS]),
           ref_rel_str(r[1], 16, &st[K_PROBS]), ref_rel_str(r[2], 16, &st[K_GRAD]),
           ref_rel_str(r[3], 16, &st[K_GRAD_MEAN]), sa);
    if (bad) {
        tally->failed++;
    } else {
        tally->passed++;
        if (d->self_attention) {
            if (d->layers == 2 && (d->self_attention == 1 || d->self_attention == 4))
                tally->sa_covered[d->cell][d->bidirectional][d->self_attention == 4][d->residual]
                                 [d->pool] = 1;
        } else if (d->residual && d->layers >= 2 && d->layers <= 3)
            tally->res_covered[d->cell][d->layers - 2][d->bidirectional][d->pool] = 1;
        else if (!d->residual && d->layers <= 2)
            tally->covered[d->cell][d->layers - 1][d->bidirectional][d->pool] = 1;
    }
    H5Fclose(f);
}

int main(int argc, char **argv) {
    tally_t tally = {0};
    int verbose;
    int rc = ref_run_cases(argc, argv, "test_ref_classifier", "classifier_reference.py", run_case,
                           &tally, &verbose);
    if (rc >= 0) return rc;

    /* Every combination must have passed; a shrunken generator cannot pass by omission. */
    for (int c = 0; c < N_CELLS; c++)
        for (int l = 0; l < 2; l++)
            for (int bi = 0; bi < 2; bi++)
                for (int p = 0; p < N_POOLS; p++)
                    EXPECT(tally.covered[c][l][bi][p],
                           "no passing case for cell %s, %d layer%s, %s, pool %s", cell_name(c),
                           l + 1, l ? "s" : "", bi ? "bidirectional" : "unidirectional",
                           model_pool_name(p));
    static const int res_cells[] = {CELL_RNN_TANH, CELL_GRU, CELL_LSTM};
    for (size_t c = 0; c < sizeof res_cells / sizeof res_cells[0]; c++)
        for (int l = 0; l < 2; l++)
            for (int bi = 0; bi < 2; bi++)
                for (int p = 0; p < N_POOLS; p++)
                    EXPECT(tally.res_covered[res_cells[c]][l][bi][p],
                           "no passing residual case for cell %s, %d layers, %s, pool %s",
                           cell_name(res_cells[c]), l + 2, bi ? "bidirectional" : "unidirectional",
                           model_pool_name(p));
    static const int sa_cells[] = {CELL_LSTM, CELL_GRU};
    for (size_t c = 0; c < sizeof sa_cells / sizeof sa_cells[0]; c++)
        for (int bi = 0; bi < 2; bi++)
            for (int h4 = 0; h4 < 2; h4++)
                for (int res = 0; res < 2; res++)
                    for (int p = 0; p < N_POOLS; p++)
                        EXPECT(tally.sa_covered[sa_cells[c]][bi][h4][res][p],
                               "no passing self-attention case for cell %s, 2 layers, %s, %d "
                               "head%s, %sresidual, pool %s",
                               cell_name(sa_cells[c]), bi ? "bidirectional" : "unidirectional",
                               h4 ? 4 : 1, h4 ? "s" : "", res ? "" : "not ", model_pool_name(p));

    printf("worst over all cases (max rel: where |torch| >= %g, the relative tolerance's range):\n",
           REF_ABS_TOL / REF_REL_TOL);
    for (int k = 0; k < N_CHECKS; k++) {
        const ref_stats_t *s = &tally.worst[k];
        char r[16];
        printf("  %-10s %6zu values  max abs %.2e  max rel %-7s (over %zu)  worst %.3f of "
               "tolerance%s\n",
               check_names[k], s->n, s->max_abs, ref_rel_str(r, sizeof r, s), s->n_rel_tol,
               s->worst, s->bad ? "  FAIL" : "");
    }
    printf("%d cases: %d passed, %d failed\n", tally.passed + tally.failed, tally.passed,
           tally.failed);
    return TEST_RESULT("test_ref_classifier");
}

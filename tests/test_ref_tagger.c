/* drnn's sequence tagger against PyTorch on the same weights (DESIGN §3, §4, model/tagger.h):
 * every case file written by tests/reference/tagger_reference.py is replayed through
 * tagger_forward / tagger_backward and compared elementwise with
 * |drnn - torch| <= max(1e-6, 1e-5 * |torch|):
 *   loss       the forward's sum over the real positions of the cross-entropy (nats, double);
 *   probs      tagger_probs [T*B, C] against softmax(logits) at the real positions (t < lens[b]),
 *              after a forward with tags, again after one without, and after one whose
 *              padded positions hold out-of-range ids and tags (which must be ignored: the
 *              loss is compared again too);
 *   grad       every tensor of tagger_params after backward with scale 1 (d loss sum);
 *   grad_mean  the same after a second forward and a backward with scale 1/ntokens into zeroed
 *              gradients (the loss per real token);
 *   sa_attn    with self-attention, tagger_attention's head-averaged weights (row b's
 *              [lens[b], lens[b]] block) against nn.MultiheadAttention's, after the first
 *              forward and after the one without tags.
 * Odd-numbered cases run in an arena larger than their batch (Tmax = T + 2, Bmax = B + 3).
 *
 * Then drnn's gradient of the sum against drnn's own forward, by central finite differences on
 * FD_SAMPLES entries of the file's fd_key tensor (the one tagger_reference.py checked autograd
 * against in double with seq2seq_reference.py's bound, 1e-4; it rotates through the tensors case
 * by case). drnn's forward is float32, so a plain central difference cannot reach 1e-4: each
 * estimate is Richardson's (4 D(h/2) - D(h)) / 3 of the central differences D at steps h and h/2
 * (each over the step the float parameter actually took), which leaves O(h^4) and the forward's
 * rounding noise / h, together about 1e-5 at most at h = 0.06 (about 1e-6 typically). The figure
 *   |fd - drnn| / max(|fd|, FD_FLOOR)
 * fails above FD_TOL = 1e-4: relative where |gradient| >= FD_FLOOR, and within 5e-5 absolutely
 * below, five times that noise. (A wrong backward is off by a fraction of the gradient, not by
 * 1e-5.) rnn_relu cases perturb tagger.weight instead of an encoder or embedding tensor: a ±h
 * step moves some of the T*B*H pre-activations across relu's kink, often one within 1e-3 of the
 * point, which no step size or agreement test between steps gets rid of in float32; the
 * output layer's weights leave the encoder untouched, so the loss is smooth in them. (drnn's
 * relu backward is checked against PyTorch's above, and autograd's against finite differences in
 * double by the generator, on every tensor in turn.)
 *
 * Prints one line per case (its worst error as a fraction of the tolerance, the largest relative
 * error of each kind where the relative tolerance applies, |torch| >= 0.1, and the finite
 * differences' worst figure), every tensor with -v or when it fails, then the worst of each kind
 * over all cases. Nothing is skipped: a missing file, tensor or cell fails, and every cell x
 * layers 1, 2 x uni-/bidirectional must have run. Files with the attribute residual = 1 (absent:
 * 0) run with residual connections (model_desc_t.residual; the reference is
 * tests/reference/residual_rnn.py), all of the above included: rnn, gru and lstm x layers 2, 3 x
 * uni-/bidirectional must have run so too. Files with the attribute self_attention = heads
 * (absent: 0) put model/self_attn.h's block over the top layer (model_desc_t.self_attention;
 * nn.MultiheadAttention + nn.LayerNorm in the reference), all of the above included: lstm and gru
 * x layers 2, 3 x uni-/bidirectional x heads 1, 4 x residual off/on must have run.
 *
 * Usage: test_ref_tagger [-v] OUT_DIR
 */
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"
#include "model/cells.h"
#include "model/desc.h"
#include "model/tagger.h"
#include "tests/refcheck.h"
#include "tests/refutil.h"
#include "tests/testutil.h"

#define REF_FORMAT  "drnn-tagger-reference"
#define REF_VERSION 1
#define N_CELLS     4

#define FD_SAMPLES 8    /* entries of the tensor perturbed (all of a smaller one) */
#define FD_STEP    6e-2 /* h */
#define FD_TOL     1e-4 /* seq2seq_reference.py's bound on autograd against finite differences */
#define FD_FLOOR   0.5  /* |gradient| below which the figure is absolute (see above) */

enum { K_LOSS, K_PROBS, K_GRAD, K_GRAD_MEAN, K_SA_ATTN, N_CHECKS };
static const char *const check_names[N_CHECKS] = {"loss", "probs", "grad", "grad_mean", "sa_attn"};

typedef struct {
    int passed, failed;
    ref_stats_t worst[N_CHECKS];                   /* over all cases */
    double fd_worst;                               /* worst finite-difference figure */
    int fd_entries;                                /* entries compared */
    unsigned char covered[N_CELLS][2][2];          /* [cell][layers - 1][bi] */
    unsigned char res_covered[N_CELLS][2][2];      /* residual: [cell][layers - 2][bi] */
    unsigned char sa_covered[N_CELLS][2][2][2][2]; /* [cell][layers - 2][bi][heads 4][residual] */
} tally_t;

typedef struct {
    model_desc_t d;
    int T, B, ntokens;
    char fd_key[PARAM_NAME_MAX];
} case_hdr_t;

/* The file's attributes as a model description; 0, or -1 after EXPECTing why. */
static int read_header(hid_t f, case_hdr_t *h, const char *file) {
    char fmt[64] = "", kind[32] = "", cell[32] = "", err[256];
    int64_t version = 0;
    *h = (case_hdr_t){0};
    int ok = h5_attr_get_string(f, "format", fmt, sizeof fmt) == 0 &&
             strcmp(fmt, REF_FORMAT) == 0 && h5_attr_get_i64(f, "version", &version) == 0 &&
             version == REF_VERSION && h5_attr_get_string(f, "kind", kind, sizeof kind) == 0 &&
             strcmp(kind, "tagger") == 0 && h5_attr_get_string(f, "cell", cell, sizeof cell) == 0 &&
             h5_attr_get_string(f, "fd_key", h->fd_key, sizeof h->fd_key) == 0;
    EXPECT(ok,
           "%s: not a %s version %d tagger file with cell and fd_key attributes (regenerate it "
           "with tests/reference/tagger_reference.py)",
           file, REF_FORMAT, REF_VERSION);
    if (!ok) return -1;
    model_desc_t *d = &h->d;
    snprintf(d->kind, sizeof d->kind, "tagger");
    d->cell = cell_parse(cell);
    EXPECT(d->cell >= 0, "%s: unknown cell '%s'", file, cell);
    read_encoder_attrs(f, d, file);
    d->vocab = attr_int(f, "vocab", 1, file);
    d->embed = attr_int(f, "embed", 1, file);
    d->hidden = attr_int(f, "hidden", 1, file);
    d->classes = attr_int(f, "classes", 2, file);
    h->T = attr_int(f, "T", 1, file);
    h->B = attr_int(f, "B", 1, file);
    h->ntokens = attr_int(f, "ntokens", 1, file);
    if (d->cell < 0 || d->layers < 0 || d->bidirectional < 0 || d->bidirectional > 1 ||
        d->residual < 0 || d->residual > 1 || d->self_attention < 0 || d->vocab < 0 ||
        d->embed < 0 || d->hidden < 0 || d->classes < 0 || h->T < 0 || h->B < 0 || h->ntokens < 0)
        return -1;
    int rc = model_validate(&tagger_model_ops, d, file, err, sizeof err);
    EXPECT(rc == 0, "%s: drnn rejects the description: %s", file, err);
    return rc == 0 ? 0 : -1;
}

/* tokens, tags [T, B] (< V, < C), lens [B] (in [1, T], summing to ntokens); 0 or -1 after
 * EXPECTing why. */
static int read_batch(hid_t f, const case_hdr_t *h, uint32_t *tokens, uint32_t *tags, int *lens,
                      const char *file) {
    const int T = h->T, B = h->B;
    hsize_t tb[2] = {(hsize_t)T, (hsize_t)B}, b[1] = {(hsize_t)B};
    char why[128];
    if (ref_read_dataset(f, "tokens", H5T_NATIVE_UINT32, tokens, 2, tb, why, sizeof why) < 0 ||
        ref_read_dataset(f, "tags", H5T_NATIVE_UINT32, tags, 2, tb, why, sizeof why) < 0 ||
        ref_read_dataset(f, "lens", H5T_NATIVE_INT, lens, 1, b, why, sizeof why) < 0) {
        EXPECT(0, "%s: tokens, tags or lens: %s", file, why);
        return -1;
    }
    int ok = 1, ntok = 0;
    for (int i = 0; i < T * B; i++) ok &= tokens[i] < (uint32_t)h->d.vocab;
    for (int i = 0; i < T * B; i++) ok &= tags[i] < (uint32_t)h->d.classes;
    for (int i = 0; i < B; i++) ok &= lens[i] >= 1 && lens[i] <= T;
    for (int i = 0; ok && i < B; i++) ntok += lens[i];
    EXPECT(ok, "%s: a token, tag or length out of range", file);
    EXPECT(!ok || ntok == h->ntokens, "%s: lens sum to %d, attribute ntokens is %d", file, ntok,
           h->ntokens);
    return ok && ntok == h->ntokens ? 0 : -1;
}

/* The rows [C] of the real positions of probs [T*B, C], gathered into out; returns their count. */
static size_t gather_real(float *out, const float *probs, const int *lens, int T, int B, int C) {
    size_t n = 0;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            if (t < lens[b])
                memcpy(out + C * n++, probs + ((size_t)t * B + b) * C, sizeof(float) * C);
    return n;
}

/* With self-attention: tagger_attention of the last forward against want [n]. */
static size_t check_sa_attn(ref_stats_t *kind, const char *label, const tagger_t *m,
                            const float *want, float *got, size_t n, const int *lens, int T, int B,
                            int verbose, const char *file) {
    const float *w = tagger_attention(m);
    EXPECT(w != NULL, "%s: tagger_attention is NULL with self-attention", file);
    if (!w) return 1;
    gather_self_attn(got, w, lens, T, B);
    return check(kind, label, got, want, n, verbose, file);
}

/* ---- finite differences --------------------------------------------------------------------- */

typedef struct {
    tagger_t *m;
    const uint32_t *tokens, *tags;
    const int *lens;
    int T, B;
} fd_batch_t;

/* The central difference of the summed loss in params[i] at step h, over the step the float
 * parameter actually took. params[i] is restored bit for bit. */
static double central(const fd_batch_t *x, float *params, size_t i, double h) {
    const float keep = params[i];
    const float up = (float)(keep + h), down = (float)(keep - h);
    params[i] = up;
    double lu = tagger_forward(x->m, params, x->tokens, x->lens, x->tags, x->T, x->B);
    params[i] = down;
    double ld = tagger_forward(x->m, params, x->tokens, x->lens, x->tags, x->T, x->B);
    params[i] = keep;
    return (lu - ld) / ((double)up - (double)down);
}

typedef struct {
    char tensor[PARAM_NAME_MAX]; /* the tensor perturbed ("": none, the case failed before) */
    double worst;                /* the largest figure over its entries */
    int entries;
} fd_result_t;

/* FD_SAMPLES entries of tensor t (all of a smaller one), spread over it by a fixed stride from an
 * offset that depends on the case, against grads [total] (drnn's gradient of the sum at params).
 * Returns the entries that failed. */
static size_t finite_differences(const fd_batch_t *x, const param_tensor_t *t, float *params,
                                 const float *grads, int index, int verbose, const char *file,
                                 fd_result_t *res) {
    size_t bad = 0;
    const size_t n = t->size < FD_SAMPLES ? t->size : FD_SAMPLES;
    const size_t stride = t->size / n, first = ((size_t)index * 7919u) % stride;
    *res = (fd_result_t){0};
    snprintf(res->tensor, sizeof res->tensor, "%s", t->name);
    for (size_t k = 0; k < n; k++) {
        const size_t e = first + k * stride, i = t->offset + e;
        /* Richardson: (4 D(h/2) - D(h)) / 3 cancels the h^2 term of the central differences. */
        const double fd =
            (4.0 * central(x, params, i, FD_STEP / 2) - central(x, params, i, FD_STEP)) / 3.0;
        const double g = grads[i], err = fabs(fd - g) / fmax(fabs(fd), FD_FLOOR);
        res->entries++;
        res->worst = fmax(res->worst, err);
        if (verbose || !(err <= FD_TOL))
            printf("    fd %s[%zu]: drnn %.9g  finite differences %.9g  figure %.2e  %s\n", t->name,
                   e, g, fd, err, err <= FD_TOL ? "ok" : "FAIL");
        if (!(err <= FD_TOL)) bad++;
    }
    EXPECT(bad == 0, "%s: drnn's gradient of %s differs from its own finite differences", file,
           t->name);
    return bad;
}

/* ---- one case ------------------------------------------------------------------------------- */

/* Forward, probabilities, both backwards and the finite differences on the file's weights and
 * batch; fills st and fd. Returns elements/tensors that failed (0 = pass). */
static size_t run_tagger(hid_t f, const case_hdr_t *h, int index, int verbose, const char *file,
                         ref_stats_t st[N_CHECKS], fd_result_t *fd) {
    const int T = h->T, B = h->B, C = h->d.classes, roomy = index % 2;
    tagger_t *m = tagger_create(&h->d, T + (roomy ? 2 : 0), B + (roomy ? 3 : 0));
    const param_table_t *tab = tagger_params(m);
    float *params = ref_calloc(tab->total, sizeof(float));
    float *grads = ref_calloc(tab->total, sizeof(float));
    float *want_all = ref_calloc((size_t)T * B * C, sizeof(float));
    float *want = ref_calloc((size_t)T * B * C, sizeof(float));
    float *got = ref_calloc((size_t)T * B * C, sizeof(float));
    uint32_t *tokens = ref_calloc((size_t)T * B, sizeof(uint32_t));
    uint32_t *tags = ref_calloc((size_t)T * B, sizeof(uint32_t));
    uint32_t *junk_tokens = ref_calloc((size_t)T * B, sizeof(uint32_t));
    uint32_t *junk_tags = ref_calloc((size_t)T * B, sizeof(uint32_t));
    int *lens = ref_calloc(B, sizeof(int));
    const int sa = h->d.self_attention > 0;
    /* With self-attention: PyTorch's weights [sum lens^2] and drnn's gathered alike. */
    float *want_attn = ref_calloc((size_t)B * T * T, sizeof(float));
    float *got_attn = ref_calloc((size_t)B * T * T, sizeof(float));
    size_t nattn = 0;
    double want_loss = 0.0;
    hsize_t tbc[3] = {(hsize_t)T, (hsize_t)B, (hsize_t)C};
    char why[128];
    *fd = (fd_result_t){0};

    size_t bad = (size_t)ref_load_params(f, tab, params, file);
    EXPECT(bad == 0, "%s: %zu tensors missing or misshapen between drnn and PyTorch", file, bad);
    if (read_batch(f, h, tokens, tags, lens, file) < 0) bad++;
    if (ref_read_dataset(f, "probs", H5T_NATIVE_FLOAT, want_all, 3, tbc, why, sizeof why) < 0 ||
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
    int fd_tensor = params_find(tab, h->fd_key);
    EXPECT(fd_tensor >= 0, "%s: fd_key %s is not a drnn tensor", file, h->fd_key);
    if (fd_tensor < 0) bad++;
    /* relu's kinks: the encoder's outputs do not move with the output layer's weights. */
    if (h->d.cell == CELL_RNN_RELU && strncmp(h->fd_key, "tagger.", 7) != 0)
        fd_tensor = params_find(tab, "tagger.weight");
    if (bad) goto done; /* a model with missing weights proves nothing */
    memcpy(junk_tokens, tokens, sizeof(uint32_t) * T * B);
    memcpy(junk_tags, tags, sizeof(uint32_t) * T * B);

    const size_t n = gather_real(want, want_all, lens, T, B, C);
    tagger_set_dropout(m, 0.0f, 0, 0, 0);
    double loss = tagger_forward(m, params, tokens, lens, tags, T, B);
    bad += check_loss(&st[K_LOSS], "loss (sum)", loss, want_loss, verbose, file);
    gather_real(got, tagger_probs(m), lens, T, B, C);
    bad += check(&st[K_PROBS], "probs", got, want, n * C, verbose, file);
    if (sa)
        bad += check_sa_attn(&st[K_SA_ATTN], "self-attention", m, want_attn, got_attn, nattn, lens,
                             T, B, verbose, file);
    tagger_backward(m, params, grads, 1.0f);
    bad += check_grads(&st[K_GRAD], f, "grad/", tab, grads, verbose, file);

    /* The loss per real token: a fresh forward, then scale 1/ntokens into zeroed gradients. */
    memset(grads, 0, sizeof(float) * tab->total);
    loss = tagger_forward(m, params, tokens, lens, tags, T, B);
    bad += check_loss(&st[K_LOSS], "loss (sum, again)", loss, want_loss, verbose, file);
    tagger_backward(m, params, grads, 1.0f / (float)h->ntokens);
    bad += check_grads(&st[K_GRAD_MEAN], f, "grad_mean/", tab, grads, verbose, file);

    /* Without tags: no loss, the same probabilities. */
    tagger_forward(m, params, tokens, lens, NULL, T, B);
    gather_real(got, tagger_probs(m), lens, T, B, C);
    bad += check(&st[K_PROBS], "probs (no tags)", got, want, n * C, verbose, file);
    if (sa)
        bad += check_sa_attn(&st[K_SA_ATTN], "self-attention (no tags)", m, want_attn, got_attn,
                             nattn, lens, T, B, verbose, file);

    /* Out-of-range ids and tags at the padded positions: ignored, as tagger.h says. */
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            if (t >= lens[b]) {
                junk_tokens[(size_t)t * B + b] = (uint32_t)h->d.vocab + 7u;
                junk_tags[(size_t)t * B + b] = UINT32_MAX - 1u;
            }
    loss = tagger_forward(m, params, junk_tokens, lens, junk_tags, T, B);
    bad += check_loss(&st[K_LOSS], "loss (junk at padding)", loss, want_loss, verbose, file);
    gather_real(got, tagger_probs(m), lens, T, B, C);
    bad += check(&st[K_PROBS], "probs (junk at padding)", got, want, n * C, verbose, file);

    /* drnn's gradient of the sum against its own forward. */
    memset(grads, 0, sizeof(float) * tab->total);
    tagger_forward(m, params, tokens, lens, tags, T, B);
    tagger_backward(m, params, grads, 1.0f);
    fd_batch_t x = {.m = m, .tokens = tokens, .tags = tags, .lens = lens, .T = T, .B = B};
    bad += finite_differences(&x, &tab->t[fd_tensor], params, grads, index, verbose, file, fd);
done:
    free(params), free(grads), free(want_all), free(want), free(got);
    free(tokens), free(tags), free(junk_tokens), free(junk_tags), free(lens);
    free(want_attn), free(got_attn);
    tagger_free(m);
    return bad;
}

static void run_case(const char *dir, const char *name, int index, int verbose, void *arg) {
    tally_t *tally = arg;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        EXPECT(0, "%s: cannot open (run tests/reference/tagger_reference.py %s first)", path, dir);
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
    if (verbose)
        printf("%s (cell %s, layers %d%s, %s, self-attention heads %d, V %d, E %d, H %d, C %d, "
               "T %d, B %d, %d tokens%s)\n",
               name, cell_name(d->cell), d->layers, d->residual ? " residual" : "",
               d->bidirectional ? "bi" : "uni", d->self_attention, d->vocab, d->embed, d->hidden,
               d->classes, h.T, h.B, h.ntokens, index % 2 ? ", larger arena" : "");
    ref_stats_t st[N_CHECKS] = {{0}};
    fd_result_t fd;
    size_t bad = run_tagger(f, &h, index, verbose, name, st, &fd);
    ref_stats_t all = {0};
    for (int k = 0; k < N_CHECKS; k++) {
        ref_stats_merge(&all, &st[k]);
        ref_stats_merge(&tally->worst[k], &st[k]);
    }
    tally->fd_worst = fmax(tally->fd_worst, fd.worst);
    tally->fd_entries += fd.entries;
    char r[N_CHECKS][16], sa[48] = "";
    if (d->self_attention)
        snprintf(sa, sizeof sa, "  self-attention %s", ref_rel_str(r[4], 16, &st[K_SA_ATTN]));
    printf("%-4s %-28s worst %.3f of tol  max rel: loss %-7s  probs %-7s  grad %-7s  grad_mean "
           "%-7s%s  finite differences on %s: rel %.1e\n",
           bad ? "FAIL" : "ok", name, all.worst, ref_rel_str(r[0], 16, &st[K_LOSS]),
           ref_rel_str(r[1], 16, &st[K_PROBS]), ref_rel_str(r[2], 16, &st[K_GRAD]),
           ref_rel_str(r[3], 16, &st[K_GRAD_MEAN]), sa, fd.tensor[0] ? fd.tensor : "-", fd.worst);
    if (bad) {
        tally->failed++;
    } else {
        tally->passed++;
        if (d->self_attention) {
            if (d->layers >= 2 && d->layers <= 3 &&
                (d->self_attention == 1 || d->self_attention == 4))
                tally->sa_covered[d->cell][d->layers - 2][d->bidirectional][d->self_attention == 4]
                                 [d->residual] = 1;
        } else if (d->residual && d->layers >= 2 && d->layers <= 3)
            tally->res_covered[d->cell][d->layers - 2][d->bidirectional] = 1;
        else if (!d->residual && d->layers <= 2)
            tally->covered[d->cell][d->layers - 1][d->bidirectional] = 1;
    }
    H5Fclose(f);
}

int main(int argc, char **argv) {
    tally_t tally = {0};
    int verbose;
    int rc = ref_run_cases(argc, argv, "test_ref_tagger", "tagger_reference.py", run_case, &tally,
                           &verbose);
    if (rc >= 0) return rc;

    /* Every combination must have passed; a shrunken generator cannot pass by omission. */
    for (int c = 0; c < N_CELLS; c++)
        for (int l = 0; l < 2; l++)
            for (int bi = 0; bi < 2; bi++)
                EXPECT(tally.covered[c][l][bi], "no passing case for cell %s, %d layer%s, %s",
                       cell_name(c), l + 1, l ? "s" : "", bi ? "bidirectional" : "unidirectional");
    static const int res_cells[] = {CELL_RNN_TANH, CELL_GRU, CELL_LSTM};
    for (size_t c = 0; c < sizeof res_cells / sizeof res_cells[0]; c++)
        for (int l = 0; l < 2; l++)
            for (int bi = 0; bi < 2; bi++)
                EXPECT(tally.res_covered[res_cells[c]][l][bi],
                       "no passing residual case for cell %s, %d layers, %s",
                       cell_name(res_cells[c]), l + 2, bi ? "bidirectional" : "unidirectional");
    static const int sa_cells[] = {CELL_LSTM, CELL_GRU};
    for (size_t c = 0; c < sizeof sa_cells / sizeof sa_cells[0]; c++)
        for (int l = 0; l < 2; l++)
            for (int bi = 0; bi < 2; bi++)
                for (int h4 = 0; h4 < 2; h4++)
                    for (int res = 0; res < 2; res++)
                        EXPECT(tally.sa_covered[sa_cells[c]][l][bi][h4][res],
                               "no passing self-attention case for cell %s, %d layers, %s, %d "
                               "head%s, %sresidual",
                               cell_name(sa_cells[c]), l + 2,
                               bi ? "bidirectional" : "unidirectional", h4 ? 4 : 1, h4 ? "s" : "",
                               res ? "" : "not ");

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
    printf("  finite differences: %d entries, worst |fd - drnn| / max(|fd|, %g) %.2e (tolerance "
           "%.0e)\n",
           tally.fd_entries, FD_FLOOR, tally.fd_worst, FD_TOL);
    printf("%d cases: %d passed, %d failed\n", tally.passed + tally.failed, tally.passed,
           tally.failed);
    return TEST_RESULT("test_ref_tagger");
}

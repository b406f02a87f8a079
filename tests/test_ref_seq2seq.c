/* drnn's seq2seq model and its decoders against PyTorch on the same weights (DESIGN §3, §4,
 * model/seq2seq.h, model/search.h). Every file written by tests/reference/seq2seq_reference.py is
 * replayed; values are compared elementwise with |drnn - torch| <= max(1e-6, 1e-5 * |torch|).
 *
 * kind "seq2seq" (teacher forcing), through seq2seq_forward / seq2seq_backward:
 *   loss       the forward's summed cross-entropy over the real target positions (double);
 *   probs      seq2seq_probs at the real target rows (t < tgt_lens[b]);
 *   attention  seq2seq_attention [B, Tt, Ts] at the real target rows (0 at padded sources);
 *   grad       every tensor of seq2seq_params after backward with scale 1 (a training forward
 *              with dropout 0);
 *   grad_mean  the same after a second (non-training) forward and a backward with scale 1/ntok
 *              into zeroed gradients;
 *   step       seq2seq_encode, seq2seq_decoder_start and seq2seq_decode_step fed the
 * teacher-forcing inputs one position at a time: log-probabilities against log_softmax of PyTorch's
 *              logits, and attention weights, at the real target rows.
 * Odd-numbered files run in an arena larger than their batch (Tmax + 2, Bmax + 3).
 *
 * kind "seq2seq-decode", through search_create / search_run, for every run in the file (greedy,
 * beam K = 1, 3, 5, length penalty 0 and 1, n_best = K or fewer, max_ratio 1.5 and 0.5): each
 * source's n_best hypotheses must have exactly PyTorch's tokens (length, <eos>, order), scores
 * within the same tolerance, the same attention matrices [len, src_len], and search_run must
 * return the number of tokens of the best hypotheses.
 *
 * Prints one line per file (its worst error as a fraction of the tolerance), every tensor with -v
 * or when it fails, then the worst of each kind over all files. Nothing is skipped: a missing
 * file, tensor or run fails; every cell rnn, gru, lstm x layers 1, 2 x uni-/bidirectional x
 * attention dot, general (dot with a bidirectional encoder is not a model: drnn must refuse it)
 * and rnn_relu must have passed, and decoding files with greedy and beam runs of each kind.
 * Files with the attribute residual = 1 (absent: 0) run with residual connections in the encoder
 * and decoder stacks (model_desc_t.residual; the reference is tests/reference/residual_rnn.py):
 * gru and lstm encoders x layers 2, 3 x uni-/bidirectional must have passed so too. Files with
 * the attribute self_attention = heads (absent: 0) put model/self_attn.h's block over the encoder's
 * outputs, which the decoder attends over (model_desc_t.self_attention; nn.MultiheadAttention +
 * nn.LayerNorm in the reference; the bridge still reads the stack's final states): gru and lstm
 * encoders x 2 layers x uni-/bidirectional x attention dot, general x heads 1, 4 must have passed
 * all of the above, each cell and head count with and without residual connections, and a
 * decoding file with self-attention too.
 *
 * Usage: test_ref_seq2seq [-v] OUT_DIR
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
#include "model/search.h"
#include "model/seq2seq.h"
#include "tests/refcheck.h"
#include "tests/refutil.h"
#include "tests/testutil.h"

#define REF_FORMAT  "drnn-seq2seq-reference"
#define REF_VERSION 1
#define N_CELLS     4

enum { K_LOSS, K_PROBS, K_ATTN, K_GRAD, K_GRAD_MEAN, K_STEP, K_SCORE, K_DEC_ATTN, N_CHECKS };
static const char *const check_names[N_CHECKS] = {"loss",      "probs", "attention", "grad",
                                                  "grad_mean", "step",  "score",     "dec_attn"};

/* Decoding features that must have been replayed (and passed) somewhere. */
enum {
    F_GREEDY = 1,
    F_GREEDY_LP = 2,    /* greedy with a length penalty */
    F_BEAM1 = 4,        /* K = 1 */
    F_BEAM_A0 = 8,      /* K > 1, alpha 0 */
    F_BEAM_A1 = 16,     /* K > 1, alpha > 0 */
    F_NBEST_LT_K = 32,  /* n_best < K */
    F_SHORT_RATIO = 64, /* max_ratio < 1 */
    F_ALL = 127
};

typedef struct {
    int passed, failed;
    ref_stats_t worst[N_CHECKS];                 /* over all files */
    unsigned char covered[N_CELLS][2][2][3];     /* [cell][layers - 1][bi][attention] */
    unsigned char res_covered[N_CELLS][2][2];    /* residual: [cell][layers - 2][bi] */
    unsigned char sa_covered[N_CELLS][2][3][2];  /* 2 layers: [cell][bi][attention][heads 4] */
    unsigned char sa_res_covered[N_CELLS][2][2]; /* [cell][heads 4][residual] */
    int dec_passed, dec_sa_passed, runs_passed;
    unsigned features;
} tally_t;

typedef struct {
    model_desc_t d;
    int Ts, Tt, B; /* Tt: forward cases only */
    uint32_t bos, eos;
} case_hdr_t;

/* The file's attributes as a model description; kind gets "seq2seq" or "seq2seq-decode".
 * 0, or -1 after EXPECTing why. */
static int read_header(hid_t f, case_hdr_t *h, char *kind, size_t kindlen, const char *file) {
    char fmt[64] = "", cell[32] = "", attention[32] = "", err[256];
    int64_t version = 0;
    int ok = h5_attr_get_string(f, "format", fmt, sizeof fmt) == 0 &&
             strcmp(fmt, REF_FORMAT) == 0 && h5_attr_get_i64(f, "version", &version) == 0 &&
             version == REF_VERSION && h5_attr_get_string(f, "kind", kind, kindlen) == 0 &&
             (strcmp(kind, "seq2seq") == 0 || strcmp(kind, "seq2seq-decode") == 0) &&
             h5_attr_get_string(f, "cell", cell, sizeof cell) == 0 &&
             h5_attr_get_string(f, "attention", attention, sizeof attention) == 0;
    EXPECT(ok,
           "%s: not a %s version %d file of kind seq2seq or seq2seq-decode with cell and "
           "attention attributes (regenerate it with tests/reference/seq2seq_reference.py)",
           file, REF_FORMAT, REF_VERSION);
    if (!ok) return -1;
    *h = (case_hdr_t){0};
    model_desc_t *d = &h->d;
    snprintf(d->kind, sizeof d->kind, "seq2seq");
    d->cell = cell_parse(cell);
    d->attention = model_attention_parse(attention);
    EXPECT(d->cell >= 0, "%s: unknown cell '%s'", file, cell);
    EXPECT(d->attention >= 0, "%s: unknown attention '%s'", file, attention);
    read_encoder_attrs(f, d, file);
    d->vocab = attr_int(f, "src_vocab", 4, file);
    d->tgt_vocab = attr_int(f, "tgt_vocab", 4, file);
    d->embed = attr_int(f, "embed", 1, file);
    d->hidden = attr_int(f, "hidden", 1, file);
    h->Ts = attr_int(f, "Ts", 1, file);
    h->Tt = strcmp(kind, "seq2seq") == 0 ? attr_int(f, "Tt", 1, file) : 0;
    h->B = attr_int(f, "B", 1, file);
    int bos = attr_int(f, "bos", 0, file), eos = attr_int(f, "eos", 0, file);
    if (d->cell < 0 || d->attention < 0 || d->layers < 0 || d->bidirectional < 0 ||
        d->bidirectional > 1 || d->residual < 0 || d->residual > 1 || d->self_attention < 0 ||
        d->vocab < 0 || d->tgt_vocab < 0 || d->embed < 0 || d->hidden < 0 || h->Ts < 0 ||
        h->Tt < 0 || h->B < 0 || bos < 0 || eos < 0)
        return -1;
    EXPECT(bos < d->tgt_vocab && eos < d->tgt_vocab && bos != eos, "%s: bad bos/eos", file);
    if (bos >= d->tgt_vocab || eos >= d->tgt_vocab || bos == eos) return -1;
    h->bos = (uint32_t)bos, h->eos = (uint32_t)eos;
    int rc = model_validate(&seq2seq_model_ops, d, file, err, sizeof err);
    EXPECT(rc == 0, "%s: drnn rejects the description: %s", file, err);
    return rc == 0 ? 0 : -1;
}

/* ids [T, B] < V; 0 or -1 after EXPECTing why. */
static int read_ids(hid_t f, const char *name, uint32_t *ids, int T, int B, int V,
                    const char *file) {
    hsize_t tb[2] = {(hsize_t)T, (hsize_t)B};
    char why[128];
    if (ref_read_dataset(f, name, H5T_NATIVE_UINT32, ids, 2, tb, why, sizeof why) < 0) {
        EXPECT(0, "%s: %s: %s", file, name, why);
        return -1;
    }
    int ok = 1;
    for (int i = 0; i < T * B; i++) ok &= ids[i] < (uint32_t)V;
    EXPECT(ok, "%s: an id of %s out of range", file, name);
    return ok ? 0 : -1;
}

/* lens [B] in [1, T]; 0 or -1 after EXPECTing why. */
static int read_lens(hid_t f, const char *name, int *lens, int T, int B, const char *file) {
    hsize_t b[1] = {(hsize_t)B};
    char why[128];
    if (ref_read_dataset(f, name, H5T_NATIVE_INT, lens, 1, b, why, sizeof why) < 0) {
        EXPECT(0, "%s: %s: %s", file, name, why);
        return -1;
    }
    int ok = 1;
    for (int i = 0; i < B; i++) ok &= lens[i] >= 1 && lens[i] <= T;
    EXPECT(ok, "%s: a length of %s out of [1, %d]", file, name, T);
    return ok ? 0 : -1;
}

/* The model's parameters from the file: 0, or the number of tensors missing or misshapen. */
static size_t load_params(hid_t f, const param_table_t *tab, float *params, const char *file) {
    size_t bad = (size_t)ref_load_params(f, tab, params, file);
    EXPECT(bad == 0, "%s: %zu tensors missing or misshapen between drnn and PyTorch", file, bad);
    return bad;
}

/* ---- teacher forcing ---------------------------------------------------------------------- */

typedef struct {
    uint32_t *src, *tgt_in, *tgt_out;
    int *src_lens, *tgt_lens;
    float *probs, *logits, *attn; /* PyTorch's: [Tt, B, Vt], [Tt, B, Vt], [B, Tt, Ts] */
    double loss;
    int64_t ntok;
} s2s_data_t;

static void free_data(s2s_data_t *x) {
    free(x->src), free(x->tgt_in), free(x->tgt_out), free(x->src_lens), free(x->tgt_lens);
    free(x->probs), free(x->logits), free(x->attn);
}

static size_t read_data(hid_t f, const case_hdr_t *h, s2s_data_t *x, const char *file) {
    const int Ts = h->Ts, Tt = h->Tt, B = h->B, Vt = h->d.tgt_vocab;
    x->src = ref_calloc((size_t)Ts * B, sizeof(uint32_t));
    x->tgt_in = ref_calloc((size_t)Tt * B, sizeof(uint32_t));
    x->tgt_out = ref_calloc((size_t)Tt * B, sizeof(uint32_t));
    x->src_lens = ref_calloc(B, sizeof(int));
    x->tgt_lens = ref_calloc(B, sizeof(int));
    x->probs = ref_calloc((size_t)Tt * B * Vt, sizeof(float));
    x->logits = ref_calloc((size_t)Tt * B * Vt, sizeof(float));
    x->attn = ref_calloc((size_t)B * Tt * Ts, sizeof(float));
    size_t bad = 0;
    bad += read_ids(f, "src", x->src, Ts, B, h->d.vocab, file) < 0;
    bad += read_ids(f, "tgt_in", x->tgt_in, Tt, B, Vt, file) < 0;
    bad += read_ids(f, "tgt_out", x->tgt_out, Tt, B, Vt, file) < 0;
    bad += read_lens(f, "src_lens", x->src_lens, Ts, B, file) < 0;
    bad += read_lens(f, "tgt_lens", x->tgt_lens, Tt, B, file) < 0;
    hsize_t tbv[3] = {(hsize_t)Tt, (hsize_t)B, (hsize_t)Vt};
    hsize_t bts[3] = {(hsize_t)B, (hsize_t)Tt, (hsize_t)Ts};
    char why[128];
    struct {
        const char *name;
        hid_t type;
        void *buf;
        int ndim;
        const hsize_t *dims;
    } sets[] = {{"probs", H5T_NATIVE_FLOAT, x->probs, 3, tbv},
                {"logits", H5T_NATIVE_FLOAT, x->logits, 3, tbv},
                {"attention", H5T_NATIVE_FLOAT, x->attn, 3, bts},
                {"loss", H5T_NATIVE_DOUBLE, &x->loss, 0, NULL},
                {"ntok", H5T_NATIVE_INT64, &x->ntok, 0, NULL}};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        if (ref_read_dataset(f, sets[i].name, sets[i].type, sets[i].buf, sets[i].ndim, sets[i].dims,
                             why, sizeof why) < 0) {
            EXPECT(0, "%s: %s: %s", file, sets[i].name, why);
            bad++;
        }
    }
    if (!bad) {
        int64_t n = 0;
        for (int b = 0; b < B; b++) n += x->tgt_lens[b];
        EXPECT(n == x->ntok, "%s: ntok %lld is not the sum of tgt_lens (%lld)", file,
               (long long)x->ntok, (long long)n);
        bad += n != x->ntok;
    }
    return bad;
}

/* The real target rows (t < tgt_lens[b]) of a [Tt, B, V] array into out [n, V], in (t, b)
 * order; returns n. */
static size_t gather_rows(float *out, const float *tbv, const int *tgt_lens, int Tt, int B, int V) {
    size_t n = 0;
    for (int t = 0; t < Tt; t++)
        for (int b = 0; b < B; b++)
            if (t < tgt_lens[b])
                memcpy(out + n++ * V, tbv + ((size_t)t * B + b) * V, sizeof(float) * V);
    return n;
}

/* The real target rows of an attention array [B, Tt, Ts] into out [n, Ts], in (b, t) order. */
static size_t gather_attn(float *out, const float *btt, const int *tgt_lens, int Tt, int Ts,
                          int B) {
    size_t n = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < tgt_lens[b]; t++)
            memcpy(out + n++ * Ts, btt + ((size_t)b * Tt + t) * Ts, sizeof(float) * Ts);
    return n;
}

/* seq2seq_decode_step fed tgt_in one position at a time against PyTorch's forward. */
static size_t run_steps(seq2seq_t *m, const float *params, const case_hdr_t *h, const s2s_data_t *x,
                        int verbose, const char *file, ref_stats_t *st) {
    const int Ts = h->Ts, Tt = h->Tt, B = h->B, Vt = h->d.tgt_vocab;
    const int S = seq2seq_state_size(m);
    EXPECT(S == h->d.layers * h->d.hidden, "%s: seq2seq_state_size %d, want L*H = %d", file, S,
           h->d.layers * h->d.hidden);
    if (S != h->d.layers * h->d.hidden) return 1;
    int *rows = ref_calloc(B, sizeof(int));
    float *state = ref_calloc((size_t)S * B, sizeof(float));
    float *logp = ref_calloc((size_t)B * Vt, sizeof(float));
    float *attn = ref_calloc((size_t)B * Ts, sizeof(float));
    /* Real rows only, gathered over all steps: drnn's and PyTorch's. */
    float *got_lp = ref_calloc((size_t)Tt * B * Vt, sizeof(float));
    float *want_lp = ref_calloc((size_t)Tt * B * Vt, sizeof(float));
    float *got_at = ref_calloc((size_t)Tt * B * Ts, sizeof(float));
    float *want_at = ref_calloc((size_t)Tt * B * Ts, sizeof(float));
    size_t n = 0;
    for (int b = 0; b < B; b++) rows[b] = b;
    seq2seq_encode(m, params, x->src, x->src_lens, Ts, B);
    seq2seq_decoder_start(m, params, rows, B, state);
    for (int t = 0; t < Tt; t++) {
        seq2seq_decode_step(m, params, x->tgt_in + (size_t)t * B, rows, B, state, logp, attn);
        for (int b = 0; b < B; b++) {
            if (t >= x->tgt_lens[b]) continue;
            /* log_softmax of PyTorch's float32 logits, in double */
            const float *lg = x->logits + ((size_t)t * B + b) * Vt;
            double mx = lg[0], sum = 0.0;
            for (int v = 1; v < Vt; v++) mx = fmax(mx, lg[v]);
            for (int v = 0; v < Vt; v++) sum += exp(lg[v] - mx);
            for (int v = 0; v < Vt; v++) want_lp[n * Vt + v] = (float)(lg[v] - mx - log(sum));
            memcpy(got_lp + n * Vt, logp + (size_t)b * Vt, sizeof(float) * Vt);
            memcpy(got_at + n * Ts, attn + (size_t)b * Ts, sizeof(float) * Ts);
            memcpy(want_at + n * Ts, x->attn + ((size_t)b * Tt + t) * Ts, sizeof(float) * Ts);
            n++;
        }
    }
    size_t bad = check(st, "step logp", got_lp, want_lp, n * Vt, verbose, file);
    bad += check(st, "step attention", got_at, want_at, n * Ts, verbose, file);
    free(rows), free(state), free(logp), free(attn);
    free(got_lp), free(want_lp), free(got_at), free(want_at);
    return bad;
}

/* Forward, probabilities, attention, both backwards and the decoding step on the file's weights
 * and batch; fills st. Returns elements/tensors that failed (0 = pass). */
static size_t run_seq2seq(hid_t f, const case_hdr_t *h, int roomy, int verbose, const char *file,
                          ref_stats_t st[N_CHECKS]) {
    const int Ts = h->Ts, Tt = h->Tt, B = h->B, Vt = h->d.tgt_vocab;
    const int Tmax = (Ts > Tt ? Ts : Tt) + (roomy ? 2 : 0);
    seq2seq_t *m = seq2seq_create(&h->d, Tmax, B + (roomy ? 3 : 0));
    const param_table_t *tab = seq2seq_params(m);
    float *params = ref_calloc(tab->total, sizeof(float));
    float *grads = ref_calloc(tab->total, sizeof(float));
    float *got = ref_calloc((size_t)Tt * B * (Vt > Ts ? Vt : Ts), sizeof(float));
    float *want = ref_calloc((size_t)Tt * B * (Vt > Ts ? Vt : Ts), sizeof(float));
    s2s_data_t x = {0};
    size_t bad = load_params(f, tab, params, file);
    bad += read_data(f, h, &x, file);
    if (bad) goto done; /* a model with missing weights or data proves nothing */

    seq2seq_batch_t bt = {.src = x.src,
                          .src_lens = x.src_lens,
                          .tgt_in = x.tgt_in,
                          .tgt_out = x.tgt_out,
                          .tgt_lens = x.tgt_lens,
                          .Ts = Ts,
                          .Tt = Tt,
                          .B = B};
    seq2seq_set_dropout(m, 0.0f, 0, 0, 0);
    double loss = seq2seq_forward(m, params, &bt, 1);
    bad += check_loss(&st[K_LOSS], "loss (sum)", loss, x.loss, verbose, file);
    size_t n = gather_rows(want, x.probs, x.tgt_lens, Tt, B, Vt);
    gather_rows(got, seq2seq_probs(m), x.tgt_lens, Tt, B, Vt);
    bad += check(&st[K_PROBS], "probs", got, want, n * Vt, verbose, file);
    n = gather_attn(want, x.attn, x.tgt_lens, Tt, Ts, B);
    gather_attn(got, seq2seq_attention(m), x.tgt_lens, Tt, Ts, B);
    bad += check(&st[K_ATTN], "attention", got, want, n * Ts, verbose, file);
    seq2seq_backward(m, params, grads, 1.0f);
    bad += check_grads(&st[K_GRAD], f, "grad/", tab, grads, verbose, file);

    /* Normalized by the real target tokens: a fresh forward, scale 1/ntok into zeroed grads. */
    memset(grads, 0, sizeof(float) * tab->total);
    loss = seq2seq_forward(m, params, &bt, 0);
    bad += check_loss(&st[K_LOSS], "loss (sum, again)", loss, x.loss, verbose, file);
    seq2seq_backward(m, params, grads, 1.0f / (float)x.ntok);
    bad += check_grads(&st[K_GRAD_MEAN], f, "grad_mean/", tab, grads, verbose, file);

    bad += run_steps(m, params, h, &x, verbose, file, &st[K_STEP]);
done:
    free(params), free(grads), free(got), free(want);
    free_data(&x);
    seq2seq_free(m);
    return bad;
}

/* ---- decoding ----------------------------------------------------------------------------- */

typedef struct {
    int beam, n_best;
    double length_penalty, max_ratio;
    int64_t *offsets, *attn_offsets, generated;
    uint32_t *tokens;
    double *scores;
    float *attn;
    int *max_len;
} run_ref_t;

static void free_run(run_ref_t *r) {
    free(r->offsets), free(r->attn_offsets), free(r->tokens), free(r->scores), free(r->attn);
    free(r->max_len);
}

/* offsets [n + 1]: starting at 0, non-decreasing; returns 0 or -1. */
static int read_offsets(hid_t f, const char *path, int64_t *off, int n, const char *file) {
    hsize_t dims[1] = {(hsize_t)n + 1};
    char why[128];
    if (ref_read_dataset(f, path, H5T_NATIVE_INT64, off, 1, dims, why, sizeof why) < 0) {
        EXPECT(0, "%s: %s: %s", file, path, why);
        return -1;
    }
    int ok = off[0] == 0;
    for (int i = 0; i < n; i++) ok &= off[i + 1] >= off[i] && off[i + 1] - off[i] <= 1 << 20;
    EXPECT(ok, "%s: %s is not a list of offsets", file, path);
    return ok ? 0 : -1;
}

/* The run's options and PyTorch's hypotheses; 0, or the number of problems. */
static int read_run(hid_t f, const char *name, const case_hdr_t *h, const int *src_lens,
                    run_ref_t *r, const char *file) {
    char path[512], why[128];
    const int B = h->B;
    int bad = 0;
#define SCALAR(field, type)                                                                        \
    do {                                                                                           \
        snprintf(path, sizeof path, "runs/%s/%s", name, #field);                                   \
        if (ref_read_dataset(f, path, type, &r->field, 0, NULL, why, sizeof why) < 0) {            \
            EXPECT(0, "%s: %s: %s", file, path, why);                                              \
            bad++;                                                                                 \
        }                                                                                          \
    } while (0)
    SCALAR(beam, H5T_NATIVE_INT);
    SCALAR(n_best, H5T_NATIVE_INT);
    SCALAR(length_penalty, H5T_NATIVE_DOUBLE);
    SCALAR(max_ratio, H5T_NATIVE_DOUBLE);
    SCALAR(generated, H5T_NATIVE_INT64);
#undef SCALAR
    if (bad) return bad;
    int nb_max = r->beam > 0 ? r->beam : 1;
    EXPECT(r->beam >= 0 && r->beam <= 64 && r->n_best >= 1 && r->n_best <= nb_max &&
               r->length_penalty >= 0 && r->max_ratio > 0,
           "%s: run %s: options out of range", file, name);
    if (!(r->beam >= 0 && r->beam <= 64 && r->n_best >= 1 && r->n_best <= nb_max &&
          r->length_penalty >= 0 && r->max_ratio > 0))
        return 1;
    const int nh = B * r->n_best;
    r->offsets = ref_calloc(nh + 1, sizeof(int64_t));
    r->attn_offsets = ref_calloc(nh + 1, sizeof(int64_t));
    r->scores = ref_calloc(nh, sizeof(double));
    r->max_len = ref_calloc(B, sizeof(int));
    snprintf(path, sizeof path, "runs/%s/offsets", name);
    if (read_offsets(f, path, r->offsets, nh, file) < 0) return 1;
    snprintf(path, sizeof path, "runs/%s/attn_offsets", name);
    if (read_offsets(f, path, r->attn_offsets, nh, file) < 0) return 1;
    for (int j = 0; j < nh; j++) {
        int64_t len = r->offsets[j + 1] - r->offsets[j];
        int64_t cells = r->attn_offsets[j + 1] - r->attn_offsets[j];
        EXPECT(len >= 1 && cells == len * src_lens[j / r->n_best],
               "%s: run %s: hypothesis %d: %lld tokens, %lld attention weights", file, name, j,
               (long long)len, (long long)cells);
        if (!(len >= 1 && cells == len * src_lens[j / r->n_best])) return 1;
    }
    r->tokens = ref_calloc(r->offsets[nh], sizeof(uint32_t));
    r->attn = ref_calloc(r->attn_offsets[nh], sizeof(float));
    hsize_t ntok[1] = {(hsize_t)r->offsets[nh]}, nat[1] = {(hsize_t)r->attn_offsets[nh]};
    hsize_t nhd[1] = {(hsize_t)nh}, bd[1] = {(hsize_t)B};
    struct {
        const char *field;
        hid_t type;
        void *buf;
        const hsize_t *dims;
    } sets[] = {{"tokens", H5T_NATIVE_UINT32, r->tokens, ntok},
                {"attn", H5T_NATIVE_FLOAT, r->attn, nat},
                {"scores", H5T_NATIVE_DOUBLE, r->scores, nhd},
                {"max_len", H5T_NATIVE_INT, r->max_len, bd}};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        snprintf(path, sizeof path, "runs/%s/%s", name, sets[i].field);
        if (ref_read_dataset(f, path, sets[i].type, sets[i].buf, 1, sets[i].dims, why, sizeof why) <
            0) {
            EXPECT(0, "%s: %s: %s", file, path, why);
            bad++;
        }
    }
    return bad;
}

static void print_tokens(const char *who, const uint32_t *t, int n, double score) {
    printf("        %-6s", who);
    for (int i = 0; i < n; i++) printf(" %u", t[i]);
    printf("  (%d tokens, score %.9f)\n", n, score);
}

/* One search of the file's sources against PyTorch's; returns the problems found. */
static size_t run_search(const case_hdr_t *h, const float *params, const uint32_t *src,
                         const int *src_lens, const char *name, const run_ref_t *r, int roomy,
                         int verbose, const char *file, ref_stats_t st[N_CHECKS]) {
    const int B = h->B, nb = r->n_best;
    search_opts_t o = {.beam = r->beam,
                       .n_best = nb,
                       .length_penalty = (float)r->length_penalty,
                       .max_ratio = (float)r->max_ratio,
                       .bos = h->bos,
                       .eos = h->eos,
                       .attention = 1};
    search_t *s = search_create(&h->d, &o, h->Ts + (roomy ? 2 : 0), B + (roomy ? 3 : 0));
    search_hyp_t *out = ref_calloc((size_t)B * nb, sizeof(search_hyp_t));
    long generated = search_run(s, params, src, src_lens, h->Ts, B, out);
    size_t bad = 0;
    char label[256];
    ref_stats_t score_st = {0}, attn_st = {0};
    for (int j = 0; j < B * nb; j++) {
        const int b = j / nb;
        const uint32_t *want = r->tokens + r->offsets[j];
        const int len = (int)(r->offsets[j + 1] - r->offsets[j]);
        const search_hyp_t *g = &out[j];
        int same = g->len == len && g->tokens != NULL;
        for (int i = 0; same && i < len; i++) same = g->tokens[i] == want[i];
        ref_stats_t s1;
        size_t b1 = ref_compare_double(&s1, g->score, r->scores[j]);
        ref_stats_merge(&score_st, &s1);
        if (!same || b1 || verbose) {
            printf("    %s source %d (length %d, max_len %d) hypothesis %d: %s%s\n", name, b,
                   src_lens[b], r->max_len[b], j % nb, same ? "same tokens" : "TOKENS DIFFER",
                   b1 ? ", SCORE DIFFERS" : "");
            print_tokens("drnn", g->tokens, g->tokens ? g->len : 0, g->score);
            print_tokens("torch", want, len, r->scores[j]);
        }
        EXPECT(same, "%s: run %s: source %d hypothesis %d: tokens differ from PyTorch", file, name,
               b, j % nb);
        EXPECT(b1 == 0, "%s: run %s: source %d hypothesis %d: score %.9f, PyTorch %.9f", file, name,
               b, j % nb, g->score, r->scores[j]);
        bad += !same + b1;
        if (!same) continue; /* attention of another sequence proves nothing */
        EXPECT(g->attn != NULL, "%s: run %s: no attention kept though asked", file, name);
        if (!g->attn) {
            bad++;
            continue;
        }
        ref_stats_t s2;
        size_t n = (size_t)len * src_lens[b];
        size_t b2 = ref_compare(&s2, g->attn, r->attn + r->attn_offsets[j], n);
        if (b2 || verbose) {
            snprintf(label, sizeof label, "%s src %d hyp %d attention", name, b, j % nb);
            ref_stats_print(label, &s2);
        }
        EXPECT(b2 == 0, "%s: run %s: source %d hypothesis %d: attention differs", file, name, b,
               j % nb);
        ref_stats_merge(&attn_st, &s2);
        bad += b2;
    }
    EXPECT(generated == r->generated, "%s: run %s: search_run returned %ld, want %lld tokens", file,
           name, generated, (long long)r->generated);
    bad += generated != r->generated;
    ref_stats_merge(&st[K_SCORE], &score_st);
    ref_stats_merge(&st[K_DEC_ATTN], &attn_st);
    if (verbose || bad)
        printf("    %-4s run %-16s beam %d n_best %d alpha %g max_ratio %g: score worst %.3f, "
               "attention worst %.3f of tolerance\n",
               bad ? "FAIL" : "ok", name, r->beam, nb, r->length_penalty, r->max_ratio,
               score_st.worst, attn_st.worst);
    free(out);
    search_free(s);
    return bad;
}

static unsigned features_of(const run_ref_t *r) {
    unsigned f = 0;
    if (r->beam == 0) f |= r->length_penalty > 0 ? F_GREEDY_LP : F_GREEDY;
    if (r->beam == 1) f |= F_BEAM1;
    if (r->beam > 1) f |= r->length_penalty > 0 ? F_BEAM_A1 : F_BEAM_A0;
    if (r->beam > 1 && r->n_best < r->beam) f |= F_NBEST_LT_K;
    if (r->max_ratio < 1) f |= F_SHORT_RATIO;
    return f;
}

/* Every run of a decoding file; returns the problems found and ORs the features passed. */
static size_t run_decode(hid_t f, const case_hdr_t *h, int roomy, int verbose, const char *file,
                         ref_stats_t st[N_CHECKS], unsigned *features, int *runs_passed) {
    const int Ts = h->Ts, B = h->B;
    seq2seq_t *m = seq2seq_create(&h->d, Ts, B); /* for the parameter table */
    const param_table_t *tab = seq2seq_params(m);
    float *params = ref_calloc(tab->total, sizeof(float));
    uint32_t *src = ref_calloc((size_t)Ts * B, sizeof(uint32_t));
    int *src_lens = ref_calloc(B, sizeof(int));
    char **names = NULL;
    int nruns = 0;
    size_t bad = load_params(f, tab, params, file);
    bad += read_ids(f, "src", src, Ts, B, h->d.vocab, file) < 0;
    bad += read_lens(f, "src_lens", src_lens, Ts, B, file) < 0;
    if (h5_read_strings(f, "run_names", &names, &nruns) < 0 || nruns < 1) {
        EXPECT(0, "%s: no readable run_names (regenerate the file)", file);
        bad++;
    }
    const int setup_bad = bad != 0; /* missing weights or sources: no search proves anything */
    for (int i = 0; !setup_bad && i < nruns; i++) {
        run_ref_t r = {0};
        size_t rb = (size_t)read_run(f, names[i], h, src_lens, &r, file);
        if (!rb)
            rb = run_search(h, params, src, src_lens, names[i], &r, roomy ^ (i & 1), verbose, file,
                            st);
        if (!rb) {
            *features |= features_of(&r);
            (*runs_passed)++;
        }
        bad += rb;
        free_run(&r);
    }
    if (names) h5_free_strings(names, nruns);
    free(params), free(src), free(src_lens);
    seq2seq_free(m);
    return bad;
}

/* ---- driver ------------------------------------------------------------------------------- */

static void run_case(const char *dir, const char *name, int index, int verbose, void *arg) {
    tally_t *tally = arg;
    char path[4096], kind[32] = "";
    snprintf(path, sizeof path, "%s/%s", dir, name);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        EXPECT(0, "%s: cannot open (run tests/reference/seq2seq_reference.py %s first)", path, dir);
        tally->failed++;
        return;
    }
    case_hdr_t h;
    if (read_header(f, &h, kind, sizeof kind, name) < 0) {
        tally->failed++;
        H5Fclose(f);
        return;
    }
    const model_desc_t *d = &h.d;
    const int decode = strcmp(kind, "seq2seq-decode") == 0;
    int roomy = index % 2;
    if (verbose)
        printf("%s (%s: cell %s, layers %d%s, %s, attention %s, self-attention heads %d, Vs %d, "
               "Vt %d, E %d, H %d, Ts %d, Tt %d, B %d%s)\n",
               name, kind, cell_name(d->cell), d->layers, d->residual ? " residual" : "",
               d->bidirectional ? "bi" : "uni", model_attention_name(d->attention),
               d->self_attention, d->vocab, d->tgt_vocab, d->embed, d->hidden, h.Ts, h.Tt, h.B,
               roomy ? ", larger arena" : "");
    ref_stats_t st[N_CHECKS] = {{0}};
    unsigned features = 0;
    int runs = 0;
    size_t bad = decode ? run_decode(f, &h, roomy, verbose, name, st, &features, &runs)
                        : run_seq2seq(f, &h, roomy, verbose, name, st);
    ref_stats_t all = {0};
    for (int k = 0; k < N_CHECKS; k++) {
        ref_stats_merge(&all, &st[k]);
        ref_stats_merge(&tally->worst[k], &st[k]);
    }
    char r[N_CHECKS][16];
    if (decode)
        printf("%-4s %-34s worst %.3f of tol  %d runs  max rel: score %-7s  attention %s\n",
               bad ? "FAIL" : "ok", name, all.worst, runs, ref_rel_str(r[0], 16, &st[K_SCORE]),
               ref_rel_str(r[1], 16, &st[K_DEC_ATTN]));
    else
        printf("%-4s %-34s worst %.3f of tol  max rel: loss %-7s  probs %-7s  attn %-7s  "
               "grad %-7s  grad_mean %-7s  step %s\n",
               bad ? "FAIL" : "ok", name, all.worst, ref_rel_str(r[0], 16, &st[K_LOSS]),
               ref_rel_str(r[1], 16, &st[K_PROBS]), ref_rel_str(r[2], 16, &st[K_ATTN]),
               ref_rel_str(r[3], 16, &st[K_GRAD]), ref_rel_str(r[4], 16, &st[K_GRAD_MEAN]),
               ref_rel_str(r[5], 16, &st[K_STEP]));
    if (bad) {
        tally->failed++;
    } else {
        tally->passed++;
        if (decode) {
            tally->dec_passed++;
            tally->dec_sa_passed += d->self_attention > 0;
            tally->runs_passed += runs;
            tally->features |= features;
        } else if (d->self_attention) {
            if (d->layers == 2 && (d->self_attention == 1 || d->self_attention == 4)) {
                tally->sa_covered[d->cell][d->bidirectional][d->attention][d->self_attention == 4] =
                    1;
                tally->sa_res_covered[d->cell][d->self_attention == 4][d->residual] = 1;
            }
        } else if (d->residual) {
            if (d->layers >= 2 && d->layers <= 3)
                tally->res_covered[d->cell][d->layers - 2][d->bidirectional] = 1;
        } else if (d->layers <= 2) {
            tally->covered[d->cell][d->layers - 1][d->bidirectional][d->attention] = 1;
        }
    }
    H5Fclose(f);
}

/* Dot attention with a bidirectional encoder is the one combination the reference leaves out:
 * drnn must refuse it too. */
static void check_invalid_combination(void) {
    model_desc_t d = {.kind = "seq2seq",
                      .cell = CELL_GRU,
                      .vocab = 13,
                      .embed = 6,
                      .hidden = 5,
                      .layers = 1,
                      .bidirectional = 1,
                      .tgt_vocab = 11,
                      .attention = ATTN_DOT};
    char err[256] = "";
    int rc = model_validate(&seq2seq_model_ops, &d, "test", err, sizeof err);
    EXPECT(rc != 0, "dot attention with a bidirectional encoder was accepted");
}

int main(int argc, char **argv) {
    tally_t tally = {0};
    int verbose;
    int rc = ref_run_cases(argc, argv, "test_ref_seq2seq", "seq2seq_reference.py", run_case, &tally,
                           &verbose);
    if (rc >= 0) return rc;

    /* Every combination must have passed; a shrunken generator cannot pass by omission. */
    static const int cells[] = {CELL_RNN_TANH, CELL_GRU, CELL_LSTM};
    for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++)
        for (int l = 0; l < 2; l++)
            for (int bi = 0; bi < 2; bi++)
                for (int a = ATTN_DOT; a <= ATTN_GENERAL; a++) {
                    if (bi && a == ATTN_DOT) continue; /* not a model: check_invalid_combination */
                    EXPECT(tally.covered[cells[c]][l][bi][a],
                           "no passing case for cell %s, %d layer%s, %s, attention %s",
                           cell_name(cells[c]), l + 1, l ? "s" : "",
                           bi ? "bidirectional" : "unidirectional", model_attention_name(a));
                }
    int relu = 0;
    for (int l = 0; l < 2; l++)
        for (int bi = 0; bi < 2; bi++)
            for (int a = 0; a < 3; a++) relu |= tally.covered[CELL_RNN_RELU][l][bi][a];
    EXPECT(relu, "no passing case for cell rnn_relu");
    static const int res_cells[] = {CELL_GRU, CELL_LSTM};
    for (size_t c = 0; c < sizeof res_cells / sizeof res_cells[0]; c++)
        for (int l = 0; l < 2; l++)
            for (int bi = 0; bi < 2; bi++)
                EXPECT(tally.res_covered[res_cells[c]][l][bi],
                       "no passing residual case for cell %s, %d layers, %s",
                       cell_name(res_cells[c]), l + 2, bi ? "bidirectional" : "unidirectional");
    for (size_t c = 0; c < sizeof res_cells / sizeof res_cells[0]; c++) {
        for (int bi = 0; bi < 2; bi++)
            for (int a = ATTN_DOT; a <= ATTN_GENERAL; a++)
                for (int h4 = 0; h4 < 2; h4++) {
                    if (bi && a == ATTN_DOT) continue;
                    EXPECT(tally.sa_covered[res_cells[c]][bi][a][h4],
                           "no passing self-attention case for cell %s, 2 layers, %s, attention "
                           "%s, %d head%s",
                           cell_name(res_cells[c]), bi ? "bidirectional" : "unidirectional",
                           model_attention_name(a), h4 ? 4 : 1, h4 ? "s" : "");
                }
        for (int h4 = 0; h4 < 2; h4++)
            for (int res = 0; res < 2; res++)
                EXPECT(tally.sa_res_covered[res_cells[c]][h4][res],
                       "no passing self-attention case for cell %s, %d head%s, %sresidual",
                       cell_name(res_cells[c]), h4 ? 4 : 1, h4 ? "s" : "", res ? "" : "not ");
    }
    check_invalid_combination();
    EXPECT(tally.dec_passed >= 1, "no decoding file passed");
    EXPECT(tally.dec_sa_passed >= 1, "no decoding file with self-attention passed");
    EXPECT(tally.features == F_ALL,
           "decoding runs missing or failed (features passed %#x of %#x: greedy, greedy with a "
           "length penalty, beam 1, beam > 1 at alpha 0 and > 0, n_best < K, max_ratio < 1)",
           tally.features, (unsigned)F_ALL);

    printf("worst over all files (max rel: where |torch| >= %g, the relative tolerance's range):\n",
           REF_ABS_TOL / REF_REL_TOL);
    for (int k = 0; k < N_CHECKS; k++) {
        const ref_stats_t *s = &tally.worst[k];
        char r[16];
        printf("  %-10s %6zu values  max abs %.2e  max rel %-7s (over %zu)  worst %.3f of "
               "tolerance%s\n",
               check_names[k], s->n, s->max_abs, ref_rel_str(r, sizeof r, s), s->n_rel_tol,
               s->worst, s->bad ? "  FAIL" : "");
    }
    printf("decoding: %d files (%d with self-attention) and %d searches passed\n", tally.dec_passed,
           tally.dec_sa_passed, tally.runs_passed);
    printf("%d files: %d passed, %d failed\n", tally.passed + tally.failed, tally.passed,
           tally.failed);
    return TEST_RESULT("test_ref_seq2seq");
}

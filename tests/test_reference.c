/* drnn against PyTorch on the same weights (DESIGN §3, §4): every case file written by
 * tests/reference/lm_reference.py is replayed through drnn and compared elementwise with
 * |drnn - torch| <= max(1e-6, 1e-5 * |torch|). Two kinds of case (attribute "kind"):
 *   lm       lm_forward / lm_backward: mean cross-entropy, final state, every gradient tensor;
 *            with the adaptive softmax (attributes softmax, cutoffs, div_value; written by
 *            reference/adaptive_reference.py) also log_prob of every row, each summing to 1;
 *   encoder  stack_forward / stack_backward on a float input x, with the loss sum(R * outputs)
 *            for the file's random R: the loss, final state (both directions), every parameter
 *            gradient and dx.
 * A file with the attribute residual = 1 (absent: 0) runs the same with residual connections
 * (model_desc_t.residual, stack_config_t.residual): y_k = RNN_k(y_{k-1}) + y_{k-1} from the second
 * layer up, as tests/reference/residual_rnn.py.
 *
 * The case list is OUT_DIR/cases.txt (written by the generator, which dumps every cell PyTorch
 * has), opened by "# cover KIND..." naming what it covers: lm, encoder, adaptive, residual. Cases
 * whose cell drnn does not implement yet are reported as SKIPPED, never passed; a cell drnn
 * implements without a 1-layer and a stacked case of each covered kind (bidirectional for
 * encoders) is a failure, so a new cell cannot go unchecked. Residual cases count only for
 * "residual": rnn, gru and lstm must each have run a 2- and a 3-layer residual LM and
 * bidirectional encoder case.
 *
 * Usage: test_reference OUT_DIR
 */
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"
#include "model/lm.h"
#include "model/rnn_stack.h"
#include "tests/refutil.h"
#include "tests/testutil.h"

#define REF_FORMAT  "drnn-reference"
#define REF_VERSION 2
#define N_CELLS     4

enum { KIND_LM, KIND_ENCODER, N_KINDS };
static const char *const kind_names[N_KINDS] = {"lm", "encoder"};
/* What a case list covers: the two kinds, and LMs with the adaptive softmax. */
enum { COVER_LM, COVER_ENCODER, COVER_ADAPTIVE, COVER_RESIDUAL, N_COVER };
static const char *const cover_names[N_COVER] = {"lm", "encoder", "adaptive", "residual"};
static const char *const cover_what[N_COVER] = {"LM", "bidirectional encoder", "adaptive LM",
                                                "residual"};

typedef struct {
    int passed, failed, skipped;
    int required[N_COVER]; /* from cases.txt's "# cover" line */
    /* bit 0: a 1-layer case ran, bit 1: a stacked case ran (encoders: bidirectional ones);
     * residual cases only in res_covered: [lm, encoder][cell] bit 0: 2 layers, bit 1: 3 layers */
    unsigned covered[N_COVER][N_CELLS];
    unsigned res_covered[2][N_CELLS];
} tally_t;

/* One comparison line; returns the number of elements outside the tolerance. */
static size_t compare(const char *label, const float *got, const float *want, size_t n) {
    ref_stats_t s;
    size_t bad = ref_compare(&s, got, want, n);
    ref_stats_print(label, &s);
    return bad;
}

/* Both directions of the name mapping (ref_load_params); returns the problems found. */
static int load_params(hid_t f, const param_table_t *tab, float *params, const char *file) {
    int bad = ref_load_params(f, tab, params, file);
    EXPECT(bad == 0, "%s: %d tensor%s missing or misshapen between drnn and PyTorch", file, bad,
           bad == 1 ? "" : "s");
    return bad;
}

/* Reads h0 (and c0 for lstm) into drnn's state buffer: dims = {rows, B, H} with rows = L (LM) or
 * L*dirs (encoder), state = [h: rows,B,H] then for lstm [c: rows,B,H], as PyTorch's (h_0, c_0).
 * per_stream is drnn's own state size per stream, checked against that layout first. */
static int load_state(hid_t f, float *state, int per_stream, const hsize_t *dims, int parts,
                      const char *file) {
    size_t lbh = (size_t)(dims[0] * dims[1] * dims[2]);
    if ((size_t)per_stream * dims[1] != parts * lbh) {
        EXPECT(0, "%s: drnn state size %d per stream, expected %d x %llu x hidden", file,
               per_stream, parts, (unsigned long long)dims[0]);
        return -1;
    }
    char why[128];
    const char *names[2] = {"h0", "c0"};
    for (int p = 0; p < parts; p++) {
        if (ref_read_dataset(f, names[p], H5T_NATIVE_FLOAT, state + p * lbh, 3, dims, why,
                             sizeof why) < 0) {
            EXPECT(0, "%s: %s: %s", file, names[p], why);
            return -1;
        }
    }
    return 0;
}

/* Reads float dataset NAME of shape dims[ndim]; 0 or -1 (counted as a failure). */
static int read_floats(hid_t f, const char *name, float *buf, int ndim, const hsize_t *dims,
                       const char *file) {
    char why[128];
    if (ref_read_dataset(f, name, H5T_NATIVE_FLOAT, buf, ndim, dims, why, sizeof why) < 0) {
        EXPECT(0, "%s: %s: %s", file, name, why);
        return -1;
    }
    return 0;
}

/* Compares a loss (double) with the file's "loss"; returns 1 on a mismatch. */
static int check_loss(hid_t f, const char *label, double loss, const char *file) {
    double want = 0;
    char why[128];
    if (ref_read_dataset(f, "loss", H5T_NATIVE_DOUBLE, &want, 0, NULL, why, sizeof why) < 0) {
        EXPECT(0, "%s: loss: %s", file, why);
        return 1;
    }
    double d = fabs(loss - want), tol = fmax(REF_ABS_TOL, REF_REL_TOL * fabs(want));
    printf("    %-24s drnn %.9f  torch %.9f  abs %.2e  rel %.2e  %s\n", label, loss, want, d,
           d / fabs(want), d <= tol ? "ok" : "FAIL");
    EXPECT(d <= tol, "%s: loss differs from PyTorch", file);
    return !(d <= tol);
}

static int read_tokens(hid_t f, const char *name, uint32_t *tok, int T, int B, int V,
                       const char *file) {
    hsize_t dims[2] = {(hsize_t)T, (hsize_t)B};
    char why[128];
    if (ref_read_dataset(f, name, H5T_NATIVE_UINT32, tok, 2, dims, why, sizeof why) < 0) {
        EXPECT(0, "%s: %s: %s", file, name, why);
        return -1;
    }
    for (int i = 0; i < T * B; i++) {
        if (tok[i] >= (uint32_t)V) {
            EXPECT(0, "%s: %s[%d] = %u is not below vocab %d", file, name, i, tok[i], V);
            return -1;
        }
    }
    return 0;
}

/* Compares the state after forward with hT (and cT). */
static size_t check_state(hid_t f, const float *state, size_t lbh, int parts, const hsize_t *dims,
                          const char *file) {
    const char *names[2] = {"hT", "cT"};
    size_t bad = 0;
    char why[128];
    float *want = ref_calloc(lbh, sizeof(float));
    for (int p = 0; p < parts; p++) {
        if (ref_read_dataset(f, names[p], H5T_NATIVE_FLOAT, want, 3, dims, why, sizeof why) < 0) {
            EXPECT(0, "%s: %s: %s", file, names[p], why);
            bad++;
            continue;
        }
        size_t b = compare(names[p], state + p * lbh, want, lbh);
        EXPECT(b == 0, "%s: final state %s differs from PyTorch", file, names[p]);
        bad += b;
    }
    free(want);
    return bad;
}

/* Every gradient tensor against grad/<name>. */
static size_t check_grads(hid_t f, const param_table_t *tab, const float *grads, const char *file) {
    size_t bad = ref_check_grads(f, "grad/", tab, grads, file, 1, NULL);
    EXPECT(bad == 0, "%s: gradients differ from PyTorch", file);
    return bad;
}

/* Adaptive softmax: every row of lp [N, V] against the file's log_prob, and exp summing to 1. */
static size_t check_log_prob(hid_t f, const float *lp, size_t N, int V, const char *file) {
    hsize_t dims[2] = {(hsize_t)N, (hsize_t)V};
    float *want = ref_calloc(N * V, sizeof(float));
    size_t bad = 0;
    if (read_floats(f, "log_prob", want, 2, dims, file) < 0) {
        free(want);
        return 1;
    }
    bad += compare("log_prob", lp, want, N * V);
    EXPECT(bad == 0, "%s: log_prob differs from PyTorch's", file);
    double worst = 0.0;
    for (size_t r = 0; r < N; r++) {
        double sum = 0.0;
        for (int j = 0; j < V; j++) sum += exp((double)lp[r * V + j]);
        worst = fmax(worst, fabs(sum - 1.0));
    }
    printf("    %-24s max |sum exp(log_prob) - 1| over %zu rows %.2e  %s\n", "log_prob rows", N,
           worst, worst <= 1e-5 ? "ok" : "FAIL");
    EXPECT(worst <= 1e-5, "%s: a log_prob row does not sum to 1 (off by %.2e)", file, worst);
    free(want);
    return bad + (worst > 1e-5);
}

/* LM case: forward, state and backward on the file's weights. Returns elements/tensors that
 * failed (0 = pass). */
static size_t run_lm(hid_t f, const model_desc_t *cfg, int T, int B, const char *file) {
    lm_t *m = lm_create(cfg, T, B);
    const param_table_t *tab = lm_params(m);
    int parts = cfg->cell == CELL_LSTM ? 2 : 1;
    size_t lbh = (size_t)cfg->layers * B * cfg->hidden, N = (size_t)T * B;
    hsize_t sdims[3] = {(hsize_t)cfg->layers, (hsize_t)B, (hsize_t)cfg->hidden};
    float *params = ref_calloc(tab->total, sizeof(float));
    float *grads = ref_calloc(tab->total, sizeof(float));
    /* size checked by load_state */
    float *state = ref_calloc((size_t)lm_state_size(m) * B, sizeof(float));
    uint32_t *in = ref_calloc(N, sizeof(uint32_t)), *tgt = ref_calloc(N, sizeof(uint32_t));
    size_t bad = (size_t)load_params(f, tab, params, file);
    if (load_state(f, state, lm_state_size(m), sdims, parts, file) < 0) bad++;
    if (read_tokens(f, "inputs", in, T, B, cfg->vocab, file) < 0) bad++;
    if (read_tokens(f, "targets", tgt, T, B, cfg->vocab, file) < 0) bad++;
    if (bad) goto done; /* a model with missing weights proves nothing */

    /* drnn returns the sum over T*B positions; PyTorch stored the mean. */
    bad +=
        check_loss(f, "loss (mean)", lm_forward(m, params, in, tgt, state, T, B) / (double)N, file);
    bad += check_state(f, state, lbh, parts, sdims, file);

    lm_backward(m, params, grads, in, tgt, T, B, 1.0f / (float)N);
    bad += check_grads(f, tab, grads, file);
    if (cfg->softmax == SOFTMAX_ADAPTIVE &&
        load_state(f, state, lm_state_size(m), sdims, parts, file) == 0) {
        lm_forward(m, params, in, NULL, state, T, B); /* no targets: log_prob of every id */
        bad += check_log_prob(f, lm_logits(m), N, cfg->vocab, file);
    }
done:
    free(params), free(grads), free(state), free(in), free(tgt);
    lm_free(m);
    return bad;
}

/* Encoder case: the stack alone under the prefix "encoder" on the file's x, with
 * loss = sum(R * outputs) in double, so d loss / d outputs = R. Compares the loss, the final state
 * ([L*dirs, B, H]: the reverse direction's is the state after position 0, as PyTorch's h_n),
 * every parameter gradient and dx. Returns elements/tensors that failed (0 = pass). */
static size_t run_encoder(hid_t f, const stack_config_t *cfg, int T, int B, const char *file) {
    param_table_t tab = {0};
    rnn_stack_t *s = stack_create(cfg, &tab, "encoder", T, B);
    const int dirs = cfg->bidirectional ? 2 : 1, D = stack_output_size(s);
    int parts = cfg->cell == CELL_LSTM ? 2 : 1;
    size_t N = (size_t)T * B, lbh = (size_t)cfg->layers * dirs * B * cfg->hidden;
    hsize_t sdims[3] = {(hsize_t)cfg->layers * dirs, (hsize_t)B, (hsize_t)cfg->hidden};
    hsize_t xdims[3] = {(hsize_t)T, (hsize_t)B, (hsize_t)cfg->input};
    hsize_t rdims[3] = {(hsize_t)T, (hsize_t)B, (hsize_t)D};
    float *params = ref_calloc(tab.total, sizeof(float));
    float *grads = ref_calloc(tab.total, sizeof(float));
    /* size checked by load_state */
    float *state = ref_calloc((size_t)stack_state_size(s) * B, sizeof(float));
    float *x = ref_calloc(N * cfg->input, sizeof(float));
    float *dx = ref_calloc(N * cfg->input, sizeof(float));
    float *want_dx = ref_calloc(N * cfg->input, sizeof(float));
    float *R = ref_calloc(N * D, sizeof(float)), *dy = ref_calloc(N * D, sizeof(float));
    size_t bad = (size_t)load_params(f, &tab, params, file);
    if (load_state(f, state, stack_state_size(s), sdims, parts, file) < 0) bad++;
    if (read_floats(f, "x", x, 3, xdims, file) < 0) bad++;
    if (read_floats(f, "R", R, 3, rdims, file) < 0) bad++;
    if (read_floats(f, "grad/x", want_dx, 3, xdims, file) < 0) bad++;
    if (bad) goto done;

    const float *out = stack_forward(s, params, x, NULL, state, T, B, NULL);
    double loss = 0.0;
    for (size_t i = 0; i < N * D; i++) loss += (double)R[i] * (double)out[i];
    bad += check_loss(f, "loss (sum R*out)", loss, file);
    bad += check_state(f, state, lbh, parts, sdims, file);

    memcpy(dy, R, sizeof(float) * N * D); /* stack_backward may overwrite dy */
    stack_backward(s, params, grads, dy, dx, x, T, B, NULL, NULL);
    bad += check_grads(f, &tab, grads, file);
    size_t b = compare("grad/x", dx, want_dx, N * cfg->input);
    EXPECT(b == 0, "%s: gradient of x differs from PyTorch", file);
    bad += b;
done:
    free(params), free(grads), free(state), free(x), free(dx), free(want_dx), free(R), free(dy);
    stack_free(s);
    return bad;
}

/* The optional adaptive softmax attributes into d (absent: full softmax). 1 if usable. */
static int read_softmax(hid_t f, model_desc_t *d, const char *file) {
    char name[16] = "full";
    int64_t cut[MODEL_MAX_CLUSTERS];
    if (H5Aexists(f, "softmax") > 0 && h5_attr_get_string(f, "softmax", name, sizeof name) < 0)
        name[0] = '\0';
    d->softmax = model_softmax_parse(name);
    if (d->softmax == SOFTMAX_ADAPTIVE &&
        (h5_attr_get_i64s(f, "cutoffs", cut, MODEL_MAX_CLUSTERS, &d->ncutoffs) < 0 ||
         h5_attr_get_f64(f, "div_value", &d->div_value) < 0))
        d->softmax = -1;
    for (int i = 0; d->softmax == SOFTMAX_ADAPTIVE && i < d->ncutoffs; i++)
        d->cutoffs[i] = (int)cut[i];
    char why[512] = "";
    int ok = d->softmax == SOFTMAX_FULL ||
             (d->softmax == SOFTMAX_ADAPTIVE && model_adaptive_check(d, why, sizeof why) == 0);
    EXPECT(ok, "%s: softmax attributes unusable %s", file, why);
    return ok;
}

/* The optional attribute residual: 0 when absent, else 0 or 1; -1 (EXPECTed) otherwise. */
static int attr_residual(hid_t f, const char *file) {
    int64_t v = 0;
    if (H5Aexists(f, "residual") > 0 && (h5_attr_get_i64(f, "residual", &v) < 0 || v < 0 || v > 1))
        v = -1;
    EXPECT(v >= 0, "%s: attribute residual is not 0 or 1", file);
    return (int)v;
}

static int attr_int(hid_t f, const char *name, const char *file) {
    int64_t v = 0;
    if (h5_attr_get_i64(f, name, &v) < 0 || v <= 0 || v > 1 << 20) {
        EXPECT(0, "%s: attribute %s missing or not a positive size", file, name);
        return -1;
    }
    return (int)v;
}

/* One case file: header checks, then SKIPPED (cell not in this build), run_lm or run_encoder. */
static void run_case(const char *dir, const char *name, tally_t *tally) {
    char path[4096], fmt[64] = "", cellname[32] = "", kindname[32] = "";
    snprintf(path, sizeof path, "%s/%s", dir, name);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        EXPECT(0, "%s: cannot open (run tests/reference/lm_reference.py %s first)", path, dir);
        tally->failed++;
        return;
    }
    int64_t version = 0;
    int ok = h5_attr_get_string(f, "format", fmt, sizeof fmt) == 0 &&
             strcmp(fmt, REF_FORMAT) == 0 && h5_attr_get_i64(f, "version", &version) == 0 &&
             version == REF_VERSION &&
             h5_attr_get_string(f, "cell", cellname, sizeof cellname) == 0 &&
             h5_attr_get_string(f, "kind", kindname, sizeof kindname) == 0;
    EXPECT(ok,
           "%s: not a %s version %d file with cell and kind attributes (regenerate it with "
           "tests/reference/lm_reference.py)",
           name, REF_FORMAT, REF_VERSION);
    int cell = ok ? cell_parse(cellname) : -1, kind = -1;
    for (int k = 0; ok && k < N_KINDS; k++)
        if (strcmp(kindname, kind_names[k]) == 0) kind = k;
    EXPECT(!ok || cell >= 0, "%s: unknown cell '%s'", name, cellname);
    EXPECT(!ok || kind >= 0, "%s: unknown kind '%s'", name, kindname);
    int layers = attr_int(f, "layers", name), hidden = attr_int(f, "hidden", name);
    int T = attr_int(f, "T", name), B = attr_int(f, "B", name), bi = 0;
    int residual = attr_residual(f, name);
    model_desc_t lcfg = {0};
    stack_config_t scfg = {0};
    int sizes_ok = layers > 0 && hidden > 0 && T > 0 && B > 0 && residual >= 0;
    if (kind == KIND_LM) {
        lcfg = (model_desc_t){.kind = "lm",
                              .cell = cell,
                              .vocab = attr_int(f, "vocab", name),
                              .embed = attr_int(f, "embed", name),
                              .hidden = hidden,
                              .layers = layers,
                              .residual = residual};
        sizes_ok = sizes_ok && lcfg.vocab > 0 && lcfg.embed > 0 && read_softmax(f, &lcfg, name);
    } else if (kind == KIND_ENCODER) {
        int64_t v = -1;
        int bi_ok = h5_attr_get_i64(f, "bidirectional", &v) == 0 && (v == 0 || v == 1);
        EXPECT(bi_ok, "%s: attribute bidirectional missing or not 0/1", name);
        bi = (int)v;
        scfg = (stack_config_t){cell, attr_int(f, "input", name), hidden, layers, bi, residual};
        sizes_ok = sizes_ok && bi_ok && scfg.input > 0;
    }
    if (cell < 0 || kind < 0 || !sizes_ok) {
        tally->failed++;
    } else {
        size_t bad;
        if (kind == KIND_LM) {
            char cut[16 * MODEL_MAX_CLUSTERS];
            model_cutoffs_format(cut, sizeof cut, lcfg.cutoffs, lcfg.ncutoffs);
            printf("%s (lm, cell %s, layers %d%s, V %d, E %d, H %d, T %d, B %d, softmax %s%s%s)\n",
                   name, cellname, layers, residual ? " residual" : "", lcfg.vocab, lcfg.embed,
                   hidden, T, B, model_softmax_name(lcfg.softmax), lcfg.ncutoffs ? " cutoffs " : "",
                   cut);
            bad = run_lm(f, &lcfg, T, B, name);
        } else {
            printf("%s (encoder, cell %s, layers %d%s, %s, E %d, H %d, T %d, B %d)\n", name,
                   cellname, layers, residual ? " residual" : "",
                   bi ? "bidirectional" : "unidirectional", scfg.input, hidden, T, B);
            bad = run_encoder(f, &scfg, T, B, name);
        }
        printf("  %s: %s\n", name, bad ? "FAILED" : "ok");
        if (bad)
            tally->failed++;
        else
            tally->passed++;
        /* Encoders are bidirectional where it matters (classifier, seq2seq): those must be
         * covered; unidirectional encoder cases are extra. */
        int cover = kind == KIND_ENCODER               ? COVER_ENCODER
                    : lcfg.softmax == SOFTMAX_ADAPTIVE ? COVER_ADAPTIVE
                                                       : COVER_LM;
        if (residual && (layers == 2 || layers == 3) && (kind == KIND_LM || bi))
            tally->res_covered[kind == KIND_ENCODER][cell] |= layers == 2 ? 1u : 2u;
        else if (!residual && (kind == KIND_LM || bi))
            tally->covered[cover][cell] |= layers > 1 ? 2u : 1u;
    }
    H5Fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_reference OUT_DIR (written by tests/reference/"
                        "lm_reference.py)\n");
        return 64;
    }
    h5_quiet();
    char list[4096], line[512];
    snprintf(list, sizeof list, "%s/cases.txt", argv[1]);
    FILE *fp = fopen(list, "r");
    if (!fp) {
        printf("FAIL: %s missing: run /usr/bin/python3 tests/reference/lm_reference.py %s\n", list,
               argv[1]);
        return 1;
    }
    tally_t tally = {0};
    int declared = 0;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "# cover ", 8) == 0) {
            declared = 1;
            for (char *w = strtok(line + 8, " "); w; w = strtok(NULL, " "))
                for (int k = 0; k < N_COVER; k++)
                    if (strcmp(w, cover_names[k]) == 0) tally.required[k] = 1;
        } else if (line[0]) {
            run_case(argv[1], line, &tally);
        }
    }
    fclose(fp);
    EXPECT(declared, "%s: no '# cover KIND...' line: regenerate the cases", list);

    /* A cell this build implements must be covered by a 1-layer and a stacked case of each
     * covered kind (bidirectional for encoders). */
    for (int k = 0; k < N_COVER; k++)
        for (int c = 0; c < N_CELLS && tally.required[k] && k != COVER_RESIDUAL; c++) {
            EXPECT(tally.covered[k][c] & 1u, "drnn implements %s but no 1-layer %s %s case ran",
                   cell_name(c), cover_what[k], cell_name(c));
            EXPECT(tally.covered[k][c] & 2u, "drnn implements %s but no stacked %s %s case ran",
                   cell_name(c), cover_what[k], cell_name(c));
        }
    /* Residual stacks: a 2- and a 3-layer case of rnn, gru and lstm, LM and bidirectional
     * encoder. */
    static const int res_cells[] = {CELL_RNN_TANH, CELL_GRU, CELL_LSTM};
    for (int k = 0; k < 2 && tally.required[COVER_RESIDUAL]; k++)
        for (size_t c = 0; c < sizeof res_cells / sizeof res_cells[0]; c++)
            for (int l = 2; l <= 3; l++)
                EXPECT(tally.res_covered[k][res_cells[c]] & (l == 2 ? 1u : 2u),
                       "no %d-layer residual %s %s case ran", l, k ? "bidirectional encoder" : "LM",
                       cell_name(res_cells[c]));
    printf("%d cases: %d passed, %d failed, %d SKIPPED\n",
           tally.passed + tally.failed + tally.skipped, tally.passed, tally.failed, tally.skipped);
    return TEST_RESULT("test_reference");
}

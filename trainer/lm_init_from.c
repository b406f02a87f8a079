/* drnn-train --init-from: starting weights from a model.h5 — drnn's own (with attributes and
 * /vocab) or one with only the tensors, written from a PyTorch state_dict (DESIGN §4, §8) — or
 * from another run's checkpoint (its weights only: optimizer state and data position start
 * fresh). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "io/corpus.h"
#include "io/tokenize.h"
#include "io/weights.h"
#include "trainer/lm_train.h"
#include "trainer/model_load.h"

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

/* Untrusted text for a one-line message: at most 40 bytes, control bytes as '?'. */
static const char *shown(const char *s, char *buf, size_t len) {
    size_t i = 0;
    for (; s[i] && i + 1 < len && i < 40; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    buf[i] = '\0';
    return buf;
}

/* A drnn file's attributes against the options (64, naming the option) and the corpus (65). */
static int check_meta(const char *path, const model_meta_t *m, char **vocab, const train_opts_t *o,
                      const corpus_t *c, char *err, size_t errlen) {
    char a[48], b[48], t[48];
    /* Values no drnn writes: a damaged file (attribute strings live in HDF5's global heap, which
     * carries no checksum), not a request for other options. */
    tok_kind_t kind;
    if (strcmp(m->model, "lm") != 0 || lm_cell_parse(m->cell) < 0 ||
        tok_kind_parse(m->tokenizer, &kind) != 0 || m->embed < 1 || m->hidden < 1 ||
        m->layers < 1 || m->layers > 64 || (m->bidirectional != 0 && m->bidirectional != 1))
        return fail(err, errlen, 65,
                    "--init-from %s: attributes model=%s cell=%s tokenizer=%s layers=%d are not "
                    "a drnn model's; the file is damaged or not drnn's",
                    path, shown(m->model, a, sizeof a), shown(m->cell, b, sizeof b),
                    shown(m->tokenizer, t, sizeof t), m->layers);
    if (strcmp(m->model, o->model) != 0)
        return fail(err, errlen, 64, "--init-from %s holds a %s model but --model is %s", path,
                    shown(m->model, a, sizeof a), o->model);
    if (strcmp(m->cell, o->cell) != 0)
        return fail(err, errlen, 64, "--init-from %s has cell %s but --cell is %s; pass --cell %s",
                    path, shown(m->cell, a, sizeof a), o->cell, a);
    const struct {
        const char *opt;
        int file, want;
    } dims[] = {{"embed", m->embed, o->embed},
                {"hidden", m->hidden, o->hidden},
                {"layers", m->layers, o->layers}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        if (dims[i].file != dims[i].want)
            return fail(err, errlen, 64, "--init-from %s has %s = %d but --%s is %d; pass --%s %d",
                        path, dims[i].opt, dims[i].file, dims[i].opt, dims[i].want, dims[i].opt,
                        dims[i].file);
    if (m->bidirectional)
        return fail(err, errlen, 64,
                    "--init-from %s is bidirectional but --bidirectional is off (and not "
                    "implemented for --model lm)",
                    path);
    if (strcmp(m->tokenizer, corpus_tokenizer(c)) != 0)
        return fail(err, errlen, 65, "--init-from %s: tokenizer %s, but the corpus %s uses %s",
                    path, shown(m->tokenizer, a, sizeof a), corpus_path(c), corpus_tokenizer(c));
    if (m->vocab_size != corpus_vocab_size(c))
        return fail(err, errlen, 65,
                    "--init-from %s: vocab_size %d, but the corpus %s has %d tokens; its ids "
                    "would mean other tokens",
                    path, m->vocab_size, corpus_path(c), corpus_vocab_size(c));
    const char *const *cv = corpus_vocab(c);
    for (int i = 0; i < m->vocab_size; i++)
        if (strcmp(vocab[i], cv[i]) != 0)
            return fail(err, errlen, 65,
                        "--init-from %s: /vocab entry %d is \"%s\", the corpus %s has \"%s\"; its "
                        "ids would mean other tokens",
                        path, i, shown(vocab[i], a, sizeof a), corpus_path(c),
                        shown(cv[i], b, sizeof b));
    return 0;
}

/* Another run's checkpoint: its weights, not its optimizer state or data position. */
static int init_from_ckpt(float *params, const param_table_t *tab, const char *path,
                          const train_opts_t *o, const corpus_t *c, char *err, size_t errlen) {
    model_file_t m;
    int rc = model_load(&m, path, 1, 1, err, errlen);
    if (rc) return rc;
    rc = check_meta(m.path, &m.meta, m.vocab, o, c, err, errlen);
    /* Equal options and vocabulary give the same tensor table. */
    if (!rc) memcpy(params, m.params, tab->total * sizeof *params);
    model_unload(&m);
    return rc;
}

int lm_init_from_file(float *params, const param_table_t *tab, const train_opts_t *o,
                      const corpus_t *c, char *err, size_t errlen) {
    char path[4200];
    model_meta_t meta;
    char **vocab = NULL;
    int nv = 0, has_meta = 0, is_ckpt = 0;
    int rc = model_resolve_path(o->init_from, path, sizeof path, &is_ckpt, err, errlen);
    if (!rc && is_ckpt) {
        rc = init_from_ckpt(params, tab, path, o, c, err, errlen);
    } else if (!rc) {
        rc = weights_validate_isolated(path, NULL, err, errlen);
        if (!rc) rc = weights_read_meta_any(path, &meta, &vocab, &nv, &has_meta, err, errlen);
        if (!rc && has_meta) rc = check_meta(path, &meta, vocab, o, c, err, errlen);
        weights_free_vocab(vocab, nv);
        if (!rc) rc = weights_validate_isolated(path, tab, err, errlen);
        if (!rc) rc = weights_read_params(path, tab, params, err, errlen);
    }
    for (int i = 0; i < tab->n && !rc; i++) {
        const param_tensor_t *t = &tab->t[i];
        for (size_t j = 0; j < t->size && !rc; j++)
            if (!isfinite(params[t->offset + j]))
                rc = fail(err, errlen, 65, "weights %s: tensor %s holds NaN or Inf (element %zu)",
                          path, t->name, j);
    }
    if (rc && strncmp(err, "--init-from", 11) != 0) {
        char msg[4400];
        snprintf(msg, sizeof msg, "%s", err);
        snprintf(err, errlen, "--init-from: %s", msg);
    }
    return rc;
}

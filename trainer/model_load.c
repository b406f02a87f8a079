#include "trainer/model_load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/ckpt.h"
#include "io/tokenize.h"

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

int model_resolve_path(const char *arg, char *path, size_t len, int *is_ckpt, char *err,
                       size_t errlen) {
    struct stat st;
    *is_ckpt = 0;
    if (!arg[0])
        return fail(err, errlen, 64,
                    "no model named: give a run folder, a checkpoint or a model.h5");
    if (stat(arg, &st) != 0) return fail(err, errlen, 66, "%s: %s", arg, strerror(errno));
    if (snprintf(path, len, "%s", arg) >= (int)len)
        return fail(err, errlen, 64, "%s: path too long", arg);
    if (!S_ISDIR(st.st_mode)) return 0;
    if (ckpt_is_checkpoint(arg)) {
        *is_ckpt = 1;
        return 0;
    }
    /* Runs of drnn before checkpoints ended with RUN/model.h5. */
    if (snprintf(path, len, "%s/model.h5", arg) >= (int)len)
        return fail(err, errlen, 64, "%s: path too long", arg);
    if (stat(path, &st) != 0)
        return fail(err, errlen, 66,
                    "%s: no checkpoint in this folder (has the run written one? see "
                    "--checkpoint-every)",
                    arg);
    return 0;
}

/* The attributes describe an LM this build can run. */
static int check_meta(const model_file_t *m, char *err, size_t errlen) {
    tok_kind_t kind;
    int cell = lm_cell_parse(m->meta.cell);
    if (strcmp(m->meta.model, "lm") != 0 || cell < 0 || !lm_cell_supported(cell) ||
        m->meta.bidirectional || tok_kind_parse(m->meta.tokenizer, &kind) != 0 ||
        m->meta.layers < 1 || m->meta.embed < 1 || m->meta.hidden < 1 || m->meta.vocab_size < 1)
        return fail(err, errlen, 65,
                    "%s: model=%.15s cell=%.15s tokenizer=%.15s bidirectional=%d is not a model "
                    "this drnn can run",
                    m->path, m->meta.model, m->meta.cell, m->meta.tokenizer, m->meta.bidirectional);
    return 0;
}

/* The weights of checkpoint DIR (CRCs verified before libhdf5 parses a byte) into *m. */
static int load_ckpt(model_file_t *m, const char *dir, int Tmax, int Bmax, char *err,
                     size_t errlen) {
    ckpt_t *ck = NULL;
    int rc = ckpt_open(&ck, dir, err, errlen);
    if (rc) return rc;
    const ckpt_meta_t *cm = ckpt_meta(ck);
    snprintf(m->path, sizeof m->path, "%s", ckpt_dir(ck));
    snprintf(m->meta.model, sizeof m->meta.model, "%s", cm->model);
    snprintf(m->meta.cell, sizeof m->meta.cell, "%s", cm->cell);
    snprintf(m->meta.tokenizer, sizeof m->meta.tokenizer, "%s", cm->tokenizer);
    m->meta.embed = cm->embed, m->meta.hidden = cm->hidden, m->meta.layers = cm->layers;
    m->meta.bidirectional = cm->bidirectional, m->meta.vocab_size = cm->vocab_size;
    m->vocab = calloc((size_t)cm->vocab_size + 1, sizeof *m->vocab);
    if (!m->vocab) {
        rc = fail(err, errlen, 70, "out of memory");
        goto out;
    }
    const char *const *v = ckpt_vocab(ck);
    for (m->nv = 0; m->nv < cm->vocab_size; m->nv++)
        if (!(m->vocab[m->nv] = strdup(v[m->nv]))) {
            rc = fail(err, errlen, 70, "out of memory");
            goto out;
        }
    if ((rc = check_meta(m, err, errlen))) goto out;
    lm_config_t cfg = {lm_cell_parse(cm->cell), m->nv, cm->embed, cm->hidden, cm->layers};
    m->lm = lm_create(&cfg, Tmax, Bmax);
    /* A tensor table that does not describe the model its own attributes name: damaged. */
    if (ckpt_check_table(ck, lm_params(m->lm), err, errlen) != 0) {
        rc = 65;
        goto out;
    }
    m->params = malloc(lm_params(m->lm)->total * sizeof(float));
    if (!m->params) {
        rc = fail(err, errlen, 70, "%s: out of memory for %zu parameters", m->path,
                  lm_params(m->lm)->total);
        goto out;
    }
    rc = ckpt_read(ck, m->params, NULL, NULL, NULL, err, errlen);
out:
    ckpt_close(ck);
    return rc;
}

int model_load(model_file_t *m, const char *arg, int Tmax, int Bmax, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    int is_ckpt = 0;
    int rc = model_resolve_path(arg, m->path, sizeof m->path, &is_ckpt, err, errlen);
    if (!rc && is_ckpt) {
        rc = load_ckpt(m, arg, Tmax, Bmax, err, errlen);
        if (rc) model_unload(m);
        return rc;
    }
    if (!rc) rc = weights_validate_isolated(m->path, NULL, err, errlen);
    if (!rc) rc = weights_read_meta(m->path, &m->meta, &m->vocab, &m->nv, err, errlen);
    if (!rc) rc = check_meta(m, err, errlen);
    if (rc) goto fail;
    lm_config_t cfg = {lm_cell_parse(m->meta.cell), m->nv, m->meta.embed, m->meta.hidden,
                       m->meta.layers};
    m->lm = lm_create(&cfg, Tmax, Bmax);
    rc = weights_validate_isolated(m->path, lm_params(m->lm), err, errlen);
    if (rc) goto fail;
    m->params = malloc(lm_params(m->lm)->total * sizeof(float));
    if (!m->params) {
        rc = fail(err, errlen, 70, "%s: out of memory for %zu parameters", m->path,
                  lm_params(m->lm)->total);
        goto fail;
    }
    rc = weights_read_params(m->path, lm_params(m->lm), m->params, err, errlen);
    if (rc) goto fail;
    return 0;
fail:
    model_unload(m);
    return rc;
}

void model_unload(model_file_t *m) {
    weights_free_vocab(m->vocab, m->nv);
    lm_free(m->lm);
    free(m->params);
    memset(m, 0, sizeof *m);
}

#include "trainer/model_load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/tokenize.h"

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

int model_resolve_path(const char *arg, char *path, size_t len, char *err, size_t errlen) {
    struct stat st;
    if (!arg[0]) return fail(err, errlen, 64, "no model named: give a run folder or a model.h5");
    if (stat(arg, &st) != 0) return fail(err, errlen, 66, "%s: %s", arg, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (snprintf(path, len, "%s", arg) >= (int)len)
            return fail(err, errlen, 64, "%s: path too long", arg);
        return 0;
    }
    if (snprintf(path, len, "%s/model.h5", arg) >= (int)len)
        return fail(err, errlen, 64, "%s: path too long", arg);
    if (stat(path, &st) != 0)
        return fail(err, errlen, 66, "%s: the run folder has no model.h5 (has the run finished?)",
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

int model_load(model_file_t *m, const char *arg, int Tmax, int Bmax, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    int rc = model_resolve_path(arg, m->path, sizeof m->path, err, errlen);
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

/* drnn-train --init-from: starting weights from a model.h5 — drnn's own (with attributes and
 * /vocab) or one with only the tensors, written from a PyTorch state_dict (DESIGN §4, §8) — or
 * from another run's checkpoint (its weights only: optimizer state and data position start
 * fresh). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "io/corpus.h"
#include "io/tokenize.h"
#include "io/weights.h"
#include "trainer/train.h"
#include "trainer/model_load.h"
#include "base/util.h"

/* A drnn file's description against the options' (64, naming the option) and its tokenizer,
 * vocabulary and labels against the corpus (65). */
static int check_meta(const char *path, const model_info_t *mi, const model_desc_t *d,
                      const corpus_t *c, char *err, size_t errlen) {
    char where[4300];
    snprintf(where, sizeof where, "--init-from %s", path);
    int rc = model_desc_compare(d, &mi->desc, where, err, errlen);
    if (rc == 64) return rc;
    return model_info_match_corpus(mi, where, c, err, errlen);
}

/* Another run's checkpoint: its weights, not its optimizer state or data position. */
static int init_from_ckpt(float *params, const param_table_t *tab, const char *path,
                          const model_desc_t *d, const corpus_t *c, char *err, size_t errlen) {
    model_file_t m;
    int rc = model_load(&m, path, 1, 1, err, errlen);
    if (rc) return rc;
    rc = check_meta(m.path, &m.info, d, c, err, errlen);
    /* Equal options and vocabulary give the same tensor table. */
    if (!rc) memcpy(params, m.params, tab->total * sizeof *params);
    model_unload(&m);
    return rc;
}

int init_from_file(float *params, const param_table_t *tab, const model_desc_t *d,
                   const train_opts_t *o, const corpus_t *c, char *err, size_t errlen) {
    char path[4200];
    model_info_t mi;
    memset(&mi, 0, sizeof mi);
    int has_meta = 0, is_ckpt = 0;
    int rc = model_resolve_path(o->init_from, path, sizeof path, &is_ckpt, err, errlen);
    if (!rc && is_ckpt) {
        rc = init_from_ckpt(params, tab, path, d, c, err, errlen);
    } else if (!rc) {
        rc = weights_validate_isolated(path, NULL, err, errlen);
        if (!rc) rc = weights_read_meta_any(path, &mi, &has_meta, err, errlen);
        if (!rc && has_meta) rc = check_meta(path, &mi, d, c, err, errlen);
        model_info_free(&mi);
        if (!rc) rc = weights_validate_isolated(path, tab, err, errlen);
        if (!rc) rc = weights_read_params(path, tab, params, err, errlen);
    }
    for (int i = 0; i < tab->n && !rc; i++) {
        const param_tensor_t *t = &tab->t[i];
        for (size_t j = 0; j < t->size && !rc; j++)
            if (!isfinite(params[t->offset + j]))
                rc = drnn_errf(err, errlen, 65,
                               "weights %s: tensor %s holds NaN or Inf (element %zu)", path,
                               t->name, j);
    }
    if (rc && strncmp(err, "--init-from", 11) != 0) {
        char msg[4400];
        snprintf(msg, sizeof msg, "%s", err);
        snprintf(err, errlen, "--init-from: %s", msg);
    }
    return rc;
}

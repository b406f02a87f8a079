#include "io/model_attrs.h"

#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"
#include "base/util.h"

void model_info_free(model_info_t *mi) {
    if (!mi) return;
    h5_free_strings(mi->vocab, mi->desc.vocab);
    h5_free_strings(mi->labels, mi->desc.classes);
    h5_free_strings(mi->tgt_vocab, mi->desc.tgt_vocab);
    mi->vocab = mi->labels = mi->tgt_vocab = NULL;
    for (int k = 0; k < 2; k++) {
        free(mi->spm[k]);
        mi->spm[k] = NULL;
        mi->spm_len[k] = 0;
    }
}

int model_info_set_spm(model_info_t *mi, int side, const void *bytes, size_t len) {
    free(mi->spm[side]);
    mi->spm[side] = NULL;
    mi->spm_len[side] = 0;
    if (!len) return 0;
    if (!(mi->spm[side] = malloc(len))) return -1;
    memcpy(mi->spm[side], bytes, len);
    mi->spm_len[side] = len;
    return 0;
}

model_spm_t model_info_spm(const model_info_t *mi) {
    return (model_spm_t){{mi->spm[0], mi->spm[1]}, {mi->spm_len[0], mi->spm_len[1]}};
}

tok_vocab_t *model_info_vocab(const model_info_t *mi, int target, char *err, size_t errlen) {
    tok_kind_t kind;
    if (tok_kind_parse(mi->tokenizer, &kind) != 0) {
        snprintf(err, errlen, "tokenizer '%s' is not byte, char, word or spm", mi->tokenizer);
        return NULL;
    }
    int side = target && mi->spm_len[1] ? 1 : 0;
    return tok_vocab_open(kind, (const char *const *)(target ? mi->tgt_vocab : mi->vocab),
                          (size_t)(target ? mi->desc.tgt_vocab : mi->desc.vocab), mi->spm[side],
                          mi->spm_len[side], err, errlen);
}

int model_attrs_write(hid_t f, const model_desc_t *d, const char *tokenizer,
                      const char *const *vocab, const char *const *labels,
                      const char *const *tgt_vocab, const model_spm_t *spm) {
    int bad = h5_attr_set_string(f, "model", d->kind);
    static const char *const spm_names[2] = {"spm_model", "tgt_spm_model"};
    for (int k = 0; spm && k < 2; k++)
        if (spm->len[k]) bad |= h5_write_bytes(f, spm_names[k], spm->bytes[k], spm->len[k]);
    bad |= h5_attr_set_string(f, "cell", cell_name(d->cell));
    bad |= h5_attr_set_string(f, "tokenizer", tokenizer);
    bad |= h5_attr_set_i64(f, "embed", d->embed);
    bad |= h5_attr_set_i64(f, "hidden", d->hidden);
    bad |= h5_attr_set_i64(f, "layers", d->layers);
    bad |= h5_attr_set_i64(f, "bidirectional", d->bidirectional);
    if (d->residual) bad |= h5_attr_set_i64(f, "residual", d->residual); /* absent: 0 */
    if (d->self_attention) bad |= h5_attr_set_i64(f, "self_attention", d->self_attention);
    bad |= h5_attr_set_i64(f, "vocab_size", d->vocab);
    bad |= h5_write_strings(f, "vocab", vocab, d->vocab);
    if (d->classes > 0) {
        bad |= h5_attr_set_i64(f, "classes", d->classes);
        bad |= h5_attr_set_string(f, "pool", model_pool_name(d->pool));
        bad |= h5_write_strings(f, "labels", labels, d->classes);
    }
    if (d->softmax == SOFTMAX_ADAPTIVE) { /* full-softmax files stay as they were */
        int64_t cut[MODEL_MAX_CLUSTERS];
        for (int i = 0; i < d->ncutoffs; i++) cut[i] = d->cutoffs[i];
        bad |= h5_attr_set_string(f, "softmax", model_softmax_name(d->softmax));
        bad |= h5_attr_set_i64s(f, "cutoffs", cut, d->ncutoffs);
        bad |= h5_attr_set_f64(f, "div_value", d->div_value);
    }
    if (d->tgt_vocab > 0) {
        bad |= h5_attr_set_i64(f, "tgt_vocab_size", d->tgt_vocab);
        bad |= h5_attr_set_string(f, "attention", model_attention_name(d->attention));
        bad |= h5_write_strings(f, "tgt_vocab", tgt_vocab, d->tgt_vocab);
    }
    return bad ? -1 : 0;
}

/* softmax, cutoffs and div_value (files without them: a full softmax). 0, or 65. */
static int read_softmax(hid_t f, const char *path, model_desc_t *d, char *err, size_t errlen) {
    char name[16] = "full";
    int64_t cut[MODEL_MAX_CLUSTERS];
    if (H5Aexists(f, "softmax") > 0 && h5_attr_get_string(f, "softmax", name, sizeof name) < 0)
        return drnn_errf(err, errlen, 65, "%s: attribute softmax damaged", path);
    d->softmax = model_softmax_parse(name);
    if (d->softmax < 0)
        return drnn_errf(err, errlen, 65, "%s: softmax '%s' is not full or adaptive", path, name);
    if (d->softmax == SOFTMAX_FULL) return 0;
    if (h5_attr_get_i64s(f, "cutoffs", cut, MODEL_MAX_CLUSTERS, &d->ncutoffs) < 0 ||
        h5_attr_get_f64(f, "div_value", &d->div_value) < 0)
        return drnn_errf(err, errlen, 65,
                         "%s: adaptive softmax without cutoffs (1 to %d integers) or div_value",
                         path, MODEL_MAX_CLUSTERS);
    for (int i = 0; i < d->ncutoffs; i++) {
        if (cut[i] < 1 || cut[i] > (1 << 26))
            return drnn_errf(err, errlen, 65, "%s: cutoffs out of range", path);
        d->cutoffs[i] = (int)cut[i];
    }
    return 0; /* the rest is model_desc_validate's */
}

int model_attrs_read(hid_t f, const char *path, model_info_t *mi, char *err, size_t errlen) {
    char cell[16] = "", pool[16] = "last", attention[16] = "none";
    int64_t v[6] = {0}, classes = 0, tgt_vocab = 0, residual = 0, heads = 0;
    memset(mi, 0, sizeof *mi);
    if (h5_attr_get_string(f, "model", mi->desc.kind, sizeof mi->desc.kind) < 0 ||
        h5_attr_get_string(f, "cell", cell, sizeof cell) < 0 ||
        h5_attr_get_string(f, "tokenizer", mi->tokenizer, sizeof mi->tokenizer) < 0 ||
        h5_attr_get_i64(f, "embed", &v[0]) < 0 || h5_attr_get_i64(f, "hidden", &v[1]) < 0 ||
        h5_attr_get_i64(f, "layers", &v[2]) < 0 || h5_attr_get_i64(f, "bidirectional", &v[3]) < 0 ||
        h5_attr_get_i64(f, "vocab_size", &v[4]) < 0 ||
        (H5Aexists(f, "classes") > 0 && h5_attr_get_i64(f, "classes", &classes) < 0) ||
        (H5Aexists(f, "pool") > 0 && h5_attr_get_string(f, "pool", pool, sizeof pool) < 0) ||
        (H5Aexists(f, "tgt_vocab_size") > 0 &&
         h5_attr_get_i64(f, "tgt_vocab_size", &tgt_vocab) < 0) ||
        (H5Aexists(f, "attention") > 0 &&
         h5_attr_get_string(f, "attention", attention, sizeof attention) < 0) ||
        (H5Aexists(f, "residual") > 0 && h5_attr_get_i64(f, "residual", &residual) < 0) ||
        (H5Aexists(f, "self_attention") > 0 && h5_attr_get_i64(f, "self_attention", &heads) < 0))
        return drnn_errf(err, errlen, 65, "%s: model attributes missing or damaged", path);
    for (int i = 0; i < 5; i++)
        if (v[i] < 0 || v[i] > (1 << 26))
            return drnn_errf(err, errlen, 65, "%s: model attribute out of range", path);
    if (classes < 0 || classes > (1 << 24) || tgt_vocab < 0 || tgt_vocab > (1 << 26))
        return drnn_errf(err, errlen, 65, "%s: classes or tgt_vocab_size out of range", path);
    mi->desc.cell = cell_parse(cell);
    mi->desc.embed = (int)v[0], mi->desc.hidden = (int)v[1], mi->desc.layers = (int)v[2];
    mi->desc.bidirectional = (int)v[3];
    if (residual < 0 || residual > 1 || heads < 0 || heads > 1024)
        return drnn_errf(err, errlen, 65, "%s: residual or self_attention out of range", path);
    mi->desc.residual = (int)residual, mi->desc.self_attention = (int)heads;
    mi->desc.classes = (int)classes;
    mi->desc.pool = model_pool_parse(pool);
    mi->desc.attention =
        strcmp(attention, "none") == 0 ? ATTN_NONE : model_attention_parse(attention);
    int rc = read_softmax(f, path, &mi->desc, err, errlen);
    if (rc) return rc;
    int nv = 0, nl = 0;
    /* vocab stays 0 until /vocab is read, so model_info_free frees what was read. */
    if (h5_read_strings(f, "vocab", &mi->vocab, &nv) < 0 || nv != (int)v[4]) {
        h5_free_strings(mi->vocab, nv);
        mi->vocab = NULL;
        return drnn_errf(err, errlen, 65, "%s: /vocab missing or not vocab_size entries", path);
    }
    mi->desc.vocab = nv;
    if (classes > 0 && (h5_read_strings(f, "labels", &mi->labels, &nl) < 0 || nl != classes)) {
        h5_free_strings(mi->labels, nl);
        mi->labels = NULL, mi->desc.classes = 0;
        return drnn_errf(err, errlen, 65, "%s: /labels missing or not 'classes' entries", path);
    }
    int nt = 0;
    if (tgt_vocab > 0 &&
        (h5_read_strings(f, "tgt_vocab", &mi->tgt_vocab, &nt) < 0 || nt != tgt_vocab)) {
        h5_free_strings(mi->tgt_vocab, nt);
        mi->tgt_vocab = NULL;
        return drnn_errf(err, errlen, 65, "%s: /tgt_vocab missing or not tgt_vocab_size entries",
                         path);
    }
    mi->desc.tgt_vocab = nt;
    static const char *const spm_names[2] = {"spm_model", "tgt_spm_model"};
    for (int k = 0; k < 2; k++) {
        int got = h5_read_bytes(f, spm_names[k], &mi->spm[k], &mi->spm_len[k]);
        if (got < 0)
            return drnn_errf(err, errlen, 65, "%s: /%s damaged (its CRC-32 does not match)", path,
                             spm_names[k]);
    }
    if (strcmp(mi->tokenizer, "spm") == 0 && !mi->spm_len[0])
        return drnn_errf(err, errlen, 65, "%s: tokenizer spm without /spm_model", path);
    rc = model_desc_validate(&mi->desc, path, err, errlen);
    return rc;
}

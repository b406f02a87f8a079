#include "model/desc.h"

#include <string.h>

#include "model/model.h"
#include "model/util.h"

static const char *const pool_names[] = {"last", "mean", "max"};

int model_pool_parse(const char *name) {
    for (int i = 0; i < 3; i++)
        if (strcmp(name, pool_names[i]) == 0) return i;
    return -1;
}

const char *model_pool_name(int pool) {
    return pool >= 0 && pool < 3 ? pool_names[pool] : "?";
}

int model_desc_validate(const model_desc_t *d, const char *where, char *err, size_t errlen) {
    if (!model_ops_find(d->kind))
        return drnn_errf(err, errlen, 65,
                         "%s: model kind '%.15s' is not one this drnn knows (lm, "
                         "classifier)",
                         where, d->kind);
    if (d->cell < CELL_RNN_TANH || d->cell > CELL_LSTM)
        return drnn_errf(err, errlen, 65, "%s: unknown cell", where);
    if (d->vocab < 1 || d->embed < 1 || d->hidden < 1 || d->layers < 1 || d->layers > 64)
        return drnn_errf(err, errlen, 65,
                         "%s: sizes out of range (vocab %d, embed %d, hidden %d, layers %d)", where,
                         d->vocab, d->embed, d->hidden, d->layers);
    if (d->bidirectional != 0 && d->bidirectional != 1)
        return drnn_errf(err, errlen, 65, "%s: bidirectional must be 0 or 1", where);
    if (strcmp(d->kind, "lm") == 0) {
        if (d->bidirectional)
            return drnn_errf(err, errlen, 65,
                             "%s: a language model cannot be bidirectional (it would see the "
                             "tokens it predicts)",
                             where);
        if (d->classes != 0)
            return drnn_errf(err, errlen, 65, "%s: a language model has no classes", where);
    } else {
        if (d->classes < 2)
            return drnn_errf(err, errlen, 65, "%s: a classifier needs at least 2 classes, has %d",
                             where, d->classes);
        if (d->pool < POOL_LAST || d->pool > POOL_MAX)
            return drnn_errf(err, errlen, 65, "%s: unknown pool", where);
    }
    return 0;
}

int model_desc_compare(const model_desc_t *mine, const model_desc_t *theirs, const char *where,
                       char *err, size_t errlen) {
    if (strcmp(mine->kind, theirs->kind) != 0)
        return drnn_errf(err, errlen, 64,
                         "%s holds a model of kind '%.15s', not '%.15s'; use --model %.15s or "
                         "another model",
                         where, theirs->kind, mine->kind, theirs->kind);
#define SAME_INT(opt, field)                                                                       \
    if (mine->field != theirs->field)                                                              \
        return drnn_errf(err, errlen, 64, "--%s %d differs from %s (%d); use --%s %d", opt,        \
                         mine->field, where, theirs->field, opt, theirs->field);
#define SAME_NAME(opt, field, name)                                                                \
    if (mine->field != theirs->field)                                                              \
        return drnn_errf(err, errlen, 64, "--%s %s differs from %s (%s); use --%s %s", opt,        \
                         name(mine->field), where, name(theirs->field), opt, name(theirs->field));
    SAME_NAME("cell", cell, cell_name);
    SAME_INT("embed", embed);
    SAME_INT("hidden", hidden);
    SAME_INT("layers", layers);
    if (mine->bidirectional != theirs->bidirectional)
        return drnn_errf(err, errlen, 64, "--bidirectional %s differs from %s (%s)",
                         mine->bidirectional ? "on" : "off", where,
                         theirs->bidirectional ? "on" : "off");
    SAME_NAME("pool", pool, model_pool_name);
#undef SAME_INT
#undef SAME_NAME
    if (mine->vocab != theirs->vocab)
        return drnn_errf(
            err, errlen, 65,
            "%s: vocab_size %d, but the corpus has %d tokens; its ids would mean other "
            "tokens: use the corpus the model was trained on",
            where, theirs->vocab, mine->vocab);
    if (mine->classes != theirs->classes)
        return drnn_errf(err, errlen, 65,
                         "%s: %d classes, but the corpus has %d labels; use the corpus the model "
                         "was trained on",
                         where, theirs->classes, mine->classes);
    return 0;
}

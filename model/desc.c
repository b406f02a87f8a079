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

static const char *const attention_names[] = {"none", "dot", "general"};

int model_attention_parse(const char *name) {
    for (int i = ATTN_DOT; i <= ATTN_GENERAL; i++)
        if (strcmp(name, attention_names[i]) == 0) return i;
    return -1;
}

const char *model_attention_name(int attention) {
    return attention >= ATTN_NONE && attention <= ATTN_GENERAL ? attention_names[attention] : "?";
}

int model_desc_validate(const model_desc_t *d, const char *where, char *err, size_t errlen) {
    if (!model_ops_find(d->kind))
        return drnn_errf(err, errlen, 65,
                         "%s: model kind '%.15s' is not one this drnn knows (lm, "
                         "classifier, seq2seq)",
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
        if (d->tgt_vocab != 0 || d->attention != ATTN_NONE)
            return drnn_errf(err, errlen, 65,
                             "%s: a language model has no target vocabulary or "
                             "attention",
                             where);
    } else if (strcmp(d->kind, "seq2seq") == 0) {
        if (d->classes != 0)
            return drnn_errf(err, errlen, 65, "%s: a seq2seq model has no classes", where);
        if (d->vocab < 4 || d->tgt_vocab < 4)
            return drnn_errf(err, errlen, 65,
                             "%s: seq2seq vocabularies need <unk> <pad> <bos> <eos> at least "
                             "(source %d, target %d entries)",
                             where, d->vocab, d->tgt_vocab);
        if (d->attention != ATTN_DOT && d->attention != ATTN_GENERAL)
            return drnn_errf(err, errlen, 65, "%s: unknown attention (dot or general)", where);
        if (d->attention == ATTN_DOT && d->bidirectional)
            return drnn_errf(err, errlen, 65,
                             "%s: dot attention needs encoder states as wide as the decoder's; "
                             "a bidirectional encoder's are twice as wide: use --attention "
                             "general",
                             where);
    } else {
        if (d->classes < 2)
            return drnn_errf(err, errlen, 65, "%s: a classifier needs at least 2 classes, has %d",
                             where, d->classes);
        if (d->pool < POOL_LAST || d->pool > POOL_MAX)
            return drnn_errf(err, errlen, 65, "%s: unknown pool", where);
        if (d->tgt_vocab != 0 || d->attention != ATTN_NONE)
            return drnn_errf(err, errlen, 65,
                             "%s: a classifier has no target vocabulary or attention", where);
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
    SAME_NAME("attention", attention, model_attention_name);
#undef SAME_INT
#undef SAME_NAME
    if (mine->vocab != theirs->vocab)
        return drnn_errf(
            err, errlen, 65,
            "%s: vocab_size %d, but the corpus has %d tokens; its ids would mean other "
            "tokens: use the corpus the model was trained on",
            where, theirs->vocab, mine->vocab);
    if (mine->tgt_vocab != theirs->tgt_vocab)
        return drnn_errf(err, errlen, 65,
                         "%s: target vocabulary of %d entries, but the corpus has %d; use the "
                         "corpus the model was trained on",
                         where, theirs->tgt_vocab, mine->tgt_vocab);
    if (mine->classes != theirs->classes)
        return drnn_errf(err, errlen, 65,
                         "%s: %d classes, but the corpus has %d labels; use the corpus the model "
                         "was trained on",
                         where, theirs->classes, mine->classes);
    return 0;
}

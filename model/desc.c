#include "model/desc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

/* The kinds' option names: a table per option, looked up from FIRST (attention's "none" is
 * written, never parsed). */
static int name_find(const char *const *names, int first, int n, const char *name) {
    for (int i = first; i < n; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return -1;
}

static const char *name_at(const char *const *names, int n, int i) {
    return i >= 0 && i < n ? names[i] : "?";
}

static const char *const pool_names[] = {"last", "mean", "max"};
static const char *const attention_names[] = {"none", "dot", "general"};
static const char *const softmax_names[] = {"full", "adaptive"};

int model_pool_parse(const char *name) {
    return name_find(pool_names, 0, 3, name);
}

const char *model_pool_name(int pool) {
    return name_at(pool_names, 3, pool);
}

int model_attention_parse(const char *name) {
    return name_find(attention_names, ATTN_DOT, ATTN_GENERAL + 1, name);
}

const char *model_attention_name(int attention) {
    return name_at(attention_names, ATTN_GENERAL + 1, attention);
}

int model_softmax_parse(const char *name) {
    return name_find(softmax_names, SOFTMAX_FULL, SOFTMAX_ADAPTIVE + 1, name);
}

const char *model_softmax_name(int softmax) {
    return name_at(softmax_names, SOFTMAX_ADAPTIVE + 1, softmax);
}

void model_cutoffs_format(char *out, size_t len, const int *cutoffs, int n) {
    size_t k = 0;
    if (len) out[0] = '\0';
    for (int i = 0; i < n && k < len; i++)
        k += (size_t)snprintf(out + k, len - k, "%s%d", i ? "," : "", cutoffs[i]);
}

int model_adaptive_proj(int hidden, double div_value, int i) {
    /* Python's float floor division v // w (floatobject.c's float_floor_div): from fmod, so
     * that a quotient just below an integer is not rounded up to it as floor(v / w) may be. */
    const double v = hidden, w = pow(div_value, i + 1);
    double mod = fmod(v, w), q = (v - mod) / w;
    if (mod != 0.0 && (w < 0) != (mod < 0)) q -= 1.0;
    double fq = floor(q);
    if (q - fq > 0.5) fq += 1.0;
    return fq >= 0 && fq < 1e9 ? (int)fq : -1;
}

int model_adaptive_check(const model_desc_t *d, char *err, size_t errlen) {
    char list[16 * MODEL_MAX_CLUSTERS];
    model_cutoffs_format(list, sizeof list, d->cutoffs, d->ncutoffs);
    if (d->ncutoffs < 1 || d->ncutoffs > MODEL_MAX_CLUSTERS)
        return drnn_errf(err, errlen, 64,
                         "--softmax adaptive needs --cutoffs c1,c2,... (1 to %d increasing token "
                         "ids below the vocabulary size %d)",
                         MODEL_MAX_CLUSTERS, d->vocab);
    for (int i = 0; i < d->ncutoffs; i++) {
        if (d->cutoffs[i] < 1 || (i > 0 && d->cutoffs[i] <= d->cutoffs[i - 1]))
            return drnn_errf(err, errlen, 64,
                             "--cutoffs %s: cutoffs must be positive and strictly increasing "
                             "(the head holds ids below the first, cluster i ids from the i-th "
                             "to the next)",
                             list);
        if (d->cutoffs[i] >= d->vocab)
            return drnn_errf(err, errlen, 64,
                             "--cutoffs %s: every cutoff must be below the vocabulary size %d "
                             "(the last cluster ends at the vocabulary's end)",
                             list, d->vocab);
    }
    if (!(d->div_value >= 1.0 && d->div_value <= 1e6))
        return drnn_errf(err, errlen, 64, "--div-value %g: expected a number in [1, 1e6]",
                         d->div_value);
    for (int i = 0; i < d->ncutoffs; i++)
        if (model_adaptive_proj(d->hidden, d->div_value, i) < 1)
            return drnn_errf(err, errlen, 64,
                             "--div-value %g: tail cluster %d would project --hidden %d to "
                             "int(%d // %g^%d) = 0 features; lower --div-value, give fewer "
                             "--cutoffs or a larger --hidden",
                             d->div_value, i + 1, d->hidden, d->hidden, d->div_value, i + 1);
    return 0;
}

int model_desc_validate(const model_desc_t *d, const char *where, char *err, size_t errlen) {
    if (d->cell < CELL_RNN_TANH || d->cell > CELL_LSTM)
        return drnn_errf(err, errlen, 65, "%s: unknown cell", where);
    if (d->vocab < 1 || d->embed < 1 || d->hidden < 1 || d->layers < 1 || d->layers > 64)
        return drnn_errf(err, errlen, 65,
                         "%s: sizes out of range (vocab %d, embed %d, hidden %d, layers %d)", where,
                         d->vocab, d->embed, d->hidden, d->layers);
    if (d->bidirectional != 0 && d->bidirectional != 1)
        return drnn_errf(err, errlen, 65, "%s: bidirectional must be 0 or 1", where);
    if (d->residual != 0 && d->residual != 1)
        return drnn_errf(err, errlen, 65, "%s: residual must be 0 or 1", where);
    const int D = d->hidden * (d->bidirectional ? 2 : 1);
    if (d->self_attention < 0 || d->self_attention > 1024 ||
        (d->self_attention > 0 && D % d->self_attention != 0))
        return drnn_errf(err, errlen, 65,
                         "%s: self_attention %d heads do not divide the encoder width %d", where,
                         d->self_attention, D);
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
    if (mine->residual != theirs->residual)
        return drnn_errf(err, errlen, 64, "--residual %s differs from %s (%s)",
                         mine->residual ? "on" : "off", where, theirs->residual ? "on" : "off");
    SAME_INT("self-attention", self_attention);
    SAME_NAME("pool", pool, model_pool_name);
    SAME_NAME("attention", attention, model_attention_name);
    SAME_NAME("softmax", softmax, model_softmax_name);
    if (mine->ncutoffs != theirs->ncutoffs ||
        memcmp(mine->cutoffs, theirs->cutoffs, sizeof(int) * (size_t)mine->ncutoffs) != 0) {
        char a[16 * MODEL_MAX_CLUSTERS], b[16 * MODEL_MAX_CLUSTERS];
        model_cutoffs_format(a, sizeof a, mine->cutoffs, mine->ncutoffs);
        model_cutoffs_format(b, sizeof b, theirs->cutoffs, theirs->ncutoffs);
        return drnn_errf(err, errlen, 64, "--cutoffs %s differs from %s (%s); use --cutoffs %s", a,
                         where, b, b);
    }
    if (mine->div_value != theirs->div_value)
        return drnn_errf(err, errlen, 64,
                         "--div-value %.10g differs from %s (%.10g); use "
                         "--div-value %.10g",
                         mine->div_value, where, theirs->div_value, theirs->div_value);
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

/* Checks and reports the training rows of several kinds share (trainer/kind.h). */
#include "trainer/kind.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "io/tokenize.h"

kind_opts_t kind_opts_from(const train_opts_t *o) {
    return (kind_opts_t){.model = o->model,
                         .data = o->data,
                         .cell = o->cell,
                         .embed = o->embed,
                         .hidden = o->hidden,
                         .layers = o->layers,
                         .bidirectional = o->bidirectional,
                         .residual = o->residual,
                         .self_attention = o->self_attention,
                         .dropout = o->dropout,
                         .batch = o->batch,
                         .seed = o->seed,
                         .pool = o->pool,
                         .attention = o->attention,
                         .batch_tokens = o->batch_tokens,
                         .seq_len = o->seq_len,
                         .truncate = o->truncate,
                         .max_pair_len = o->max_pair_len,
                         .softmax = o->softmax,
                         .cutoffs = o->cutoffs,
                         .div_value = o->div_value};
}

int kind_describe_common(model_desc_t *d, const kind_opts_t *o, const corpus_t *c, char *err,
                         size_t errlen) {
    memset(d, 0, sizeof *d);
    snprintf(d->kind, sizeof d->kind, "%s", o->model);
    d->cell = cell_parse(o->cell);
    d->vocab = corpus_vocab_size(c);
    d->embed = o->embed, d->hidden = o->hidden, d->layers = o->layers;
    d->bidirectional = o->bidirectional, d->residual = o->residual;
    d->self_attention = o->self_attention;
    const int D = o->hidden * (o->bidirectional ? 2 : 1);
    if (o->self_attention > 0 && D % o->self_attention != 0)
        return drnn_errf(err, errlen, 64,
                         "--self-attention %d: the heads must divide the encoder's width %d "
                         "(--hidden, twice with --bidirectional); give a divisor of %d",
                         o->self_attention, D, D);
    return 0;
}

void kind_report_truncated(const kind_env_t *env, uint64_t cut) {
    if (cut && env->rank == 0)
        printf("drnn-train: %llu example%s longer than --truncate %d tokens read as their first "
               "%d (memory and time grow with the longest example of a batch)\n",
               (unsigned long long)cut, cut == 1 ? "" : "s", env->o->truncate, env->o->truncate);
}

int kind_check_layer_dropout(const kind_opts_t *o, char *err, size_t errlen) {
    if (o->dropout > 0 && o->layers < 2)
        return drnn_errf(err, errlen, 64,
                         "--dropout %g acts between stacked layers; use --layers 2 or more",
                         o->dropout);
    return 0;
}

int kind_check_full_softmax(const kind_opts_t *o, char *err, size_t errlen) {
    const char *opt = strcmp(o->softmax, "full") != 0           ? "--softmax"
                      : o->cutoffs[0]                           ? "--cutoffs"
                      : o->div_value != TRAIN_DIV_VALUE_DEFAULT ? "--div-value"
                                                                : NULL;
    if (opt)
        return drnn_errf(err, errlen, 64,
                         "%s: the adaptive softmax is a language model's output layer; --model "
                         "%s has none",
                         opt, o->model);
    return 0;
}

int kind_check_batch_ranks(const kind_env_t *env, char *err, size_t errlen) {
    if (env->B % env->nranks != 0)
        return drnn_errf(err, errlen, 64,
                         "--batch %d is not divisible by the number of ranks %d; use a multiple "
                         "of %d",
                         env->B, env->nranks, env->nranks);
    return 0;
}

void kind_report_accuracy(const kind_sums_t *s, char *text, size_t n) {
    snprintf(text, n, "acc %.3f", s->v[3] / s->v[KIND_COUNT]);
}

tok_vocab_t *kind_sample_vocab(const corpus_t *c, int target, char *err, size_t errlen) {
    tok_kind_t kind;
    if (tok_kind_parse(corpus_tokenizer(c), &kind) != 0) {
        drnn_errf(err, errlen, 65, "corpus: unknown tokenizer %s", corpus_tokenizer(c));
        return NULL;
    }
    const char *const *v = target ? corpus_tgt_vocab(c) : corpus_vocab(c);
    size_t n = (size_t)(target ? corpus_tgt_vocab_size(c) : corpus_vocab_size(c));
    model_spm_t spm = corpus_spm(c);
    int side = target && spm.len[1] ? 1 : 0;
    return tok_vocab_open(kind, v, n, spm.bytes[side], spm.len[side], err, errlen);
}

void kind_sample_line(const char *prefix, const tok_vocab_t *v, const uint32_t *ids, size_t n) {
    size_t len = 0;
    char *text = tok_decode(v, ids, n, &len);
    if (!text) drnn_die(70, "--sample-every: out of memory");
    size_t cut = len > 100 ? 100 : len;
    while (cut < len && cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80) cut--; /* UTF-8 */
    for (size_t i = 0; i < cut; i++)
        if (text[i] == '\n' || text[i] == '\t' || text[i] == '\0') text[i] = ' ';
    printf("%s%.*s%s\n", prefix, (int)cut, text, cut < len ? "..." : "");
    free(text);
}

/* Checks and reports the training rows of several kinds share (trainer/kind.h). */
#include "trainer/kind.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

int kind_check_layer_dropout(const train_opts_t *o, char *err, size_t errlen) {
    if (o->dropout > 0 && o->layers < 2)
        return drnn_errf(err, errlen, 64,
                         "--dropout %g acts between stacked layers; use --layers 2 or more",
                         o->dropout);
    return 0;
}

int kind_check_full_softmax(const train_opts_t *o, char *err, size_t errlen) {
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

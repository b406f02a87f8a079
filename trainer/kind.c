#include "trainer/kind.h"

#include <stdio.h>
#include <string.h>

#include "model/util.h"

/* One row per model kind drnn-train can train. */
static const train_kind_t *const kinds[] = {&train_kind_lm, &train_kind_classifier,
                                            &train_kind_seq2seq};

const train_kind_t *train_kind_find(const char *name) {
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i]->name, name) == 0) return kinds[i];
    return NULL;
}

const char *train_kind_names(void) {
    static char names[128];
    if (!names[0])
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                     kinds[i]->name);
    return names;
}

int kind_check_layer_dropout(const train_opts_t *o, char *err, size_t errlen) {
    if (o->dropout > 0 && o->layers < 2)
        return drnn_errf(err, errlen, 64,
                         "--dropout %g acts between stacked layers; use --layers 2 or more",
                         o->dropout);
    return 0;
}

int kind_check_full_softmax(const train_opts_t *o, const char *kind, char *err, size_t errlen) {
    const char *opt = strcmp(o->softmax, "full") != 0           ? "--softmax"
                      : o->cutoffs[0]                           ? "--cutoffs"
                      : o->div_value != TRAIN_DIV_VALUE_DEFAULT ? "--div-value"
                                                                : NULL;
    if (opt)
        return drnn_errf(err, errlen, 64,
                         "%s: the adaptive softmax is a language model's output layer (--model "
                         "lm); --model %s has none",
                         opt, kind);
    return 0;
}

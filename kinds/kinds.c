#include "kinds/kinds.h"

#include <stdio.h>
#include <string.h>

#include "model/classifier.h"
#include "model/lm.h"
#include "model/seq2seq.h"
#include "model/tagger.h"

extern const train_kind_t lm_train_kind, classifier_train_kind, seq2seq_train_kind,
    tagger_train_kind;
extern const tool_kind_t lm_tools, classifier_tools, seq2seq_tools, tagger_tools;

/* One row per model kind. */
static const drnn_kind_t kinds[] = {
    {KINDS_DEFAULT, &lm_model_ops, &lm_train_kind, &lm_tools},
    {"classifier", &classifier_model_ops, &classifier_train_kind, &classifier_tools},
    {"seq2seq", &seq2seq_model_ops, &seq2seq_train_kind, &seq2seq_tools},
    {"tagger", &tagger_model_ops, &tagger_train_kind, &tagger_tools},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

const drnn_kind_t *kinds_find(const char *name) {
    for (size_t i = 0; i < NKINDS; i++)
        if (strcmp(kinds[i].name, name) == 0) return &kinds[i];
    return NULL;
}

const char *kinds_names(void) {
    static char names[256];
    if (!names[0])
        for (size_t i = 0; i < NKINDS; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                     kinds[i].name);
    return names;
}

const char *kinds_for_data(const char *data) {
    static char names[256];
    names[0] = '\0';
    for (size_t i = 0; i < NKINDS; i++)
        if (strcmp(kinds[i].train->data, data) == 0)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     names[0] ? " or " : "", kinds[i].name);
    return names;
}

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

/* The options of kind k's row for PROGRAM, space-separated. */
static const char *kinds_options(const drnn_kind_t *k, kinds_program_t program) {
    switch (program) {
    case KINDS_TRAIN:
        return k->train->options;
    case KINDS_EVAL:
        return k->tools->eval_options;
    case KINDS_SAMPLE:
        return k->tools->sample_options;
    }
    return "";
}

#define USAGE_WIDTH 100

/* One row: LABEL padded to WIDTH columns after two spaces, then LIST's words as --word, wrapped
 * under the first word. */
static void usage_row(FILE *f, const char *label, int width, const char *list) {
    int col = fprintf(f, "  %-*s", width, label);
    const int indent = col;
    if (!list[strspn(list, " ")]) fputs("(none)", f);
    for (const char *p = list; *p;) {
        p += strspn(p, " ");
        const int len = (int)strcspn(p, " ");
        if (!len) break;
        if (col > indent && col + 3 + len > USAGE_WIDTH) col = fprintf(f, "\n%*s", indent, "") - 1;
        col += fprintf(f, "%s--%.*s", col > indent ? " " : "", len, p);
        p += len;
    }
    fputc('\n', f);
}

void kinds_usage(FILE *f, kinds_program_t program, const char *all, const char *title) {
    int width = (int)strlen("(all)");
    for (size_t i = 0; i < NKINDS; i++)
        if ((int)strlen(kinds[i].name) > width) width = (int)strlen(kinds[i].name);
    fprintf(f, "%s\n", title);
    for (size_t i = 0; i < NKINDS; i++)
        usage_row(f, kinds[i].name, width + 2, kinds_options(&kinds[i], program));
    usage_row(f, "(all)", width + 2, all);
}

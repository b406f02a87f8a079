/* kinds/kinds.h — the one table of model kinds (STYLE 16, 17).
 *
 * A kind is one row here: its name (--model, the `model` attribute of checkpoints and model.h5)
 * and its row in each layer — the math (model/model.h), training (trainer/kind.h) and the
 * inference tools (tools/tools.h), each filled in the kind's own file of that layer. No other
 * list of kinds exists: programs find a kind by name here and never switch on it. Adding a kind
 * is one file per layer and one row in kinds.c.
 */
#ifndef DRNN_KINDS_KINDS_H
#define DRNN_KINDS_KINDS_H

#include <stdio.h>

#include "model/model.h"
#include "tools/tools.h"
#include "trainer/kind.h"

/* --model's default: the first row's name. */
#define KINDS_DEFAULT "lm"

typedef struct {
    const char *name;
    const model_ops_t *model;
    const train_kind_t *train;
    const tool_kind_t *tools;
} drnn_kind_t;

/* The kind named NAME, or NULL. */
const drnn_kind_t *kinds_find(const char *name);
/* "lm, classifier, ..." (every kind's name), for messages. */
const char *kinds_names(void);
/* The options a kind's rows list as read by drnn-train (trainer/kind.h `options`), drnn-eval or
 * drnn-sample (tools/tools.h `eval_options`, `sample_options`). */
typedef enum { KINDS_TRAIN, KINDS_EVAL, KINDS_SAMPLE } kinds_program_t;
/* --help's table of PROGRAM's kind options: the line TITLE, then one row per kind with the
 * options it reads and a last row "(all)" with ALL (space-separated, the program's whole list;
 * a kind refuses those it does not read), as --name words wrapped within 100 columns. */
void kinds_usage(FILE *f, kinds_program_t program, const char *all, const char *title);
/* The names of the kinds that train on corpus data DATA ("text", "labels", ...), "a or b"; ""
 * when none does. */
const char *kinds_for_data(const char *data);

#endif

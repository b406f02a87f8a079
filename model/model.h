/* model/model.h — what every model kind offers the rest of the program (DESIGN §3, §4).
 *
 * Each kind's math file fills one model_ops_t (model/lm.c: lm_model_ops, ...); the one table of
 * kinds (kinds/kinds.c) names it. Code that only needs a model's parameters — export,
 * --init-from, checkpoint checks, the training loop's buffers and hooks — goes through these
 * operations and never asks which kind it holds. Kind-specific math (forward, backward) stays
 * behind each kind's own header.
 */
#ifndef DRNN_MODEL_MODEL_H
#define DRNN_MODEL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "model/desc.h"
#include "model/params.h"

typedef struct model_ops {
    /* Which kind-shaped fields of model_desc_t the kind reads (MODEL_USES_*); the others must
     * hold their zero value in a description of this kind. */
    unsigned uses;
    /* The kind's own checks of d (its fields' ranges and combinations), after the generic
     * ones: 0, or 65 with a one-line message naming WHERE. */
    int (*validate)(const model_desc_t *d, const char *where, char *err, size_t errlen);
    /* d validated by model_validate; activations for Tmax x Bmax (the LM's bound; the others
     * grow theirs for a larger batch). Dies on OOM. */
    void *(*create)(const model_desc_t *d, int Tmax, int Bmax);
    void (*destroy)(void *m);
    const param_table_t *(*params)(const void *m);
    /* PyTorch-default initialization from Philox keyed by seed into params [total]. */
    void (*init_params)(const void *m, float *params, uint64_t seed);
    /* Backward hooks (model/params.h) for the following backwards; NULL turns them off. */
    void (*set_hooks)(void *m, const backward_hooks_t *hooks);
} model_ops_t;

/* The whole check of a description of the kind whose operations are OPS: the generic one
 * (model_desc_validate), fields the kind does not use at their zero value, then ops->validate.
 * 0, or 65 with a message naming WHERE. */
int model_validate(const model_ops_t *ops, const model_desc_t *d, const char *where, char *err,
                   size_t errlen);

#endif

/* model/model.h — every model kind behind one interface, found by its name in one table
 * (DESIGN §3, §4). Code that only needs a model's parameters — export, --init-from, checkpoint
 * checks, the training loop's buffers and hooks — goes through these operations and never asks
 * which kind it holds; adding a kind adds one row. Kind-specific math (forward, backward, data)
 * stays behind each kind's own header (model/lm.h, model/classifier.h).
 */
#ifndef DRNN_MODEL_MODEL_H
#define DRNN_MODEL_MODEL_H

#include <stdint.h>

#include "model/desc.h"
#include "model/params.h"

typedef struct model_ops {
    const char *kind; /* model_desc_t.kind */
    /* d validated by model_desc_validate; activations for up to Tmax x Bmax. Dies on OOM. */
    void *(*create)(const model_desc_t *d, int Tmax, int Bmax);
    void (*destroy)(void *m);
    const param_table_t *(*params)(const void *m);
    /* PyTorch-default initialization from Philox keyed by seed into params [total]. */
    void (*init_params)(const void *m, float *params, uint64_t seed);
    /* Backward hooks (model/params.h) for the following backwards; NULL turns them off. */
    void (*set_hooks)(void *m, const backward_hooks_t *hooks);
} model_ops_t;

/* The operations of KIND, or NULL when this build has no such kind. */
const model_ops_t *model_ops_find(const char *kind);

#endif

/* model/params.h — the flat parameter table (DESIGN §4).
 *
 * All parameters live in one float32 buffer; a table of {name, shape, offset} gives named views
 * into it. Gradients, momentum and checkpoint shards use the same layout. Names are the PyTorch
 * state_dict keys, and also the HDF5 dataset names and test labels.
 */
#ifndef DRNN_MODEL_PARAMS_H
#define DRNN_MODEL_PARAMS_H

#include <stddef.h>

#define PARAM_NAME_MAX    64
#define PARAM_MAX_TENSORS 256 /* a 16-layer bidirectional stack (128) with room to spare */

typedef struct {
    char name[PARAM_NAME_MAX];
    int ndim;        /* 1 or 2 */
    size_t shape[2]; /* row-major; shape[1] unused when ndim == 1 */
    size_t offset;   /* in floats, into the flat buffer */
    size_t size;     /* shape[0] * shape[1] (or shape[0]) */
} param_tensor_t;

typedef struct {
    param_tensor_t t[PARAM_MAX_TENSORS];
    int n;
    size_t total; /* floats in the flat buffer */
} param_table_t;

/* Appends a tensor at the end of the buffer and returns its index (dies if the table is full). */
int params_add(param_table_t *tab, const char *name, int ndim, size_t d0, size_t d1);

/* Index of the tensor called NAME, or -1. */
int params_find(const param_table_t *tab, const char *name);

/* Callbacks a backward pass makes so its caller can overlap communication with it (DESIGN §11);
 * model/ stays free of MPI. Every member may be NULL. ready(ctx, offset, count): gradients
 * [offset, offset + count) of the flat buffer are final for this backward and will not be written
 * again by it. progress(ctx): once per BPTT time step; must be cheap and must not touch the
 * gradients still being computed. */
typedef struct {
    void (*ready)(void *ctx, size_t offset, size_t count);
    void (*progress)(void *ctx);
    void *ctx;
} backward_hooks_t;

/* Tells hooks (if it has a ready callback) that tensors first..last of tab — contiguous in the
 * buffer — are final. first < 0: nothing (a tensor the model does not have). */
void params_report_ready(const param_table_t *tab, const backward_hooks_t *hooks, int first,
                         int last);

#endif

#include "model/params.h"

#include <string.h>

#include "base/util.h"

int params_add(param_table_t *tab, const char *name, int ndim, size_t d0, size_t d1) {
    DRNN_ASSERT(tab->n < PARAM_MAX_TENSORS);
    DRNN_ASSERT(strlen(name) < PARAM_NAME_MAX);
    DRNN_ASSERT(ndim == 1 || ndim == 2);
    param_tensor_t *p = &tab->t[tab->n];
    memset(p, 0, sizeof *p);
    strcpy(p->name, name);
    p->ndim = ndim;
    p->shape[0] = d0;
    p->shape[1] = ndim == 2 ? d1 : 1;
    p->offset = tab->total;
    p->size = p->shape[0] * p->shape[1];
    tab->total += p->size;
    return tab->n++;
}

int params_find(const param_table_t *tab, const char *name) {
    for (int i = 0; i < tab->n; i++)
        if (strcmp(tab->t[i].name, name) == 0) return i;
    return -1;
}

void params_report_ready(const param_table_t *tab, const backward_hooks_t *hooks, int first,
                         int last) {
    if (!hooks->ready || first < 0) return;
    const param_tensor_t *a = &tab->t[first], *z = &tab->t[last];
    hooks->ready(hooks->ctx, a->offset, z->offset + z->size - a->offset);
}

#include "model/model.h"

#include <string.h>

#include "base/util.h"

/* A kind-shaped field a kind does not read: its zero value, or the description is damaged. */
static int unused_field(const model_desc_t *d, unsigned uses, const char *where, char *err,
                        size_t errlen) {
    static const struct {
        unsigned bit;
        const char *what;
    } fields[] = {{MODEL_USES_CLASSES, "classes"},
                  {MODEL_USES_POOL, "a pool"},
                  {MODEL_USES_TARGET, "a target vocabulary or attention"},
                  {MODEL_USES_SOFTMAX, "an adaptive softmax"},
                  {MODEL_USES_SELF_ATTN, "a self-attention block"}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (uses & fields[i].bit) continue;
        int set = fields[i].bit == MODEL_USES_CLASSES     ? d->classes != 0
                  : fields[i].bit == MODEL_USES_POOL      ? d->pool != 0
                  : fields[i].bit == MODEL_USES_SELF_ATTN ? d->self_attention != 0
                  : fields[i].bit == MODEL_USES_TARGET
                      ? d->tgt_vocab != 0 || d->attention != ATTN_NONE
                      : d->softmax != SOFTMAX_FULL || d->ncutoffs != 0 || d->div_value != 0.0;
        if (set)
            return drnn_errf(err, errlen, 65, "%s: a model of kind '%.15s' has no %s", where,
                             d->kind, fields[i].what);
    }
    return 0;
}

int model_validate(const model_ops_t *ops, const model_desc_t *d, const char *where, char *err,
                   size_t errlen) {
    int rc = model_desc_validate(d, where, err, errlen);
    if (!rc) rc = unused_field(d, ops->uses, where, err, errlen);
    if (!rc && ops->validate) rc = ops->validate(d, where, err, errlen);
    return rc;
}

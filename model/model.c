#include "model/model.h"

#include <string.h>

#include "model/classifier.h"
#include "model/lm.h"
#include "model/seq2seq.h"

/* ---- lm ---- */
static void *lm_op_create(const model_desc_t *d, int Tmax, int Bmax) {
    return lm_create(d, Tmax, Bmax);
}
static void lm_op_destroy(void *m) {
    lm_free(m);
}
static const param_table_t *lm_op_params(const void *m) {
    return lm_params(m);
}
static void lm_op_init(const void *m, float *params, uint64_t seed) {
    lm_init_params(m, params, seed);
}
static void lm_op_hooks(void *m, const backward_hooks_t *h) {
    lm_set_backward_hooks(m, h ? h->ready : NULL, h ? h->progress : NULL, h ? h->ctx : NULL);
}

/* ---- classifier ---- */
static void *cls_op_create(const model_desc_t *d, int Tmax, int Bmax) {
    return classifier_create(d, Tmax, Bmax);
}
static void cls_op_destroy(void *m) {
    classifier_free(m);
}
static const param_table_t *cls_op_params(const void *m) {
    return classifier_params(m);
}
static void cls_op_init(const void *m, float *params, uint64_t seed) {
    classifier_init_params(m, params, seed);
}
static void cls_op_hooks(void *m, const backward_hooks_t *h) {
    classifier_set_backward_hooks(m, h);
}

/* ---- seq2seq ---- */
static void *s2s_op_create(const model_desc_t *d, int Tmax, int Bmax) {
    return seq2seq_create(d, Tmax, Bmax);
}
static void s2s_op_destroy(void *m) {
    seq2seq_free(m);
}
static const param_table_t *s2s_op_params(const void *m) {
    return seq2seq_params(m);
}
static void s2s_op_init(const void *m, float *params, uint64_t seed) {
    seq2seq_init_params(m, params, seed);
}
static void s2s_op_hooks(void *m, const backward_hooks_t *h) {
    seq2seq_set_backward_hooks(m, h);
}

static const model_ops_t kinds[] = {
    {"lm", lm_op_create, lm_op_destroy, lm_op_params, lm_op_init, lm_op_hooks},
    {"classifier", cls_op_create, cls_op_destroy, cls_op_params, cls_op_init, cls_op_hooks},
    {"seq2seq", s2s_op_create, s2s_op_destroy, s2s_op_params, s2s_op_init, s2s_op_hooks},
};

const model_ops_t *model_ops_find(const char *kind) {
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0) return &kinds[i];
    return NULL;
}

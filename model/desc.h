/* model/desc.h — one description of a model, whatever its kind (DESIGN §3, §4, §8).
 *
 * The trainer's options, a checkpoint manifest, a model.h5's attributes and the tools that load
 * a model all describe it with a model_desc_t; model_desc_compare is the one comparison used by
 * --resume, --init-from, drnn-eval, drnn-sample and drnn-export, so every mismatch is reported the
 * same way, naming the option. No files, no MPI.
 */
#ifndef DRNN_MODEL_DESC_H
#define DRNN_MODEL_DESC_H

#include <stddef.h>

#include "model/cells.h"

typedef enum { POOL_LAST = 0, POOL_MEAN, POOL_MAX } pool_kind_t;
/* Seq2seq attention score (model/seq2seq.h); ATTN_NONE for the other kinds. */
typedef enum { ATTN_NONE = 0, ATTN_DOT, ATTN_GENERAL } attention_kind_t;
/* LM output layer: one softmax over the vocabulary, or the adaptive softmax (model/adaptive.h). */
typedef enum { SOFTMAX_FULL = 0, SOFTMAX_ADAPTIVE } softmax_kind_t;

#define MODEL_MAX_CLUSTERS 16 /* adaptive softmax: tail clusters (cutoffs) at most */

/* The kind-shaped fields below, as a kind declares which it reads (model/model.h). */
#define MODEL_USES_CLASSES   1u  /* classes: labels or tags */
#define MODEL_USES_POOL      2u  /* pool */
#define MODEL_USES_TARGET    4u  /* tgt_vocab, attention */
#define MODEL_USES_SOFTMAX   8u  /* softmax, ncutoffs, cutoffs, div_value */
#define MODEL_USES_SELF_ATTN 16u /* self_attention */

typedef struct {
    char kind[16]; /* the kind's name in the one table of kinds (kinds/kinds.c) */
    int cell;      /* cell_kind_t (seq2seq: the encoder's; its decoder is a GRU) */
    int vocab, embed, hidden, layers; /* vocab: the (source) vocabulary */
    int bidirectional;  /* 0/1 (classifier and seq2seq encoders; the LM is unidirectional) */
    int residual;       /* 0/1: residual connections from the second stacked layer up */
    int self_attention; /* heads of the self-attention block over the top encoder layer; 0 none */
    int classes;        /* classifier: number of labels; 0 otherwise */
    int pool;           /* classifier: pool_kind_t */
    int tgt_vocab;      /* seq2seq: target vocabulary; 0 otherwise */
    int attention;      /* seq2seq: attention_kind_t; ATTN_NONE otherwise */
    /* LM: softmax_kind_t. Adaptive: ncutoffs tail clusters split by cutoffs[0] < ... < vocab
     * (PyTorch's cutoffs without the final vocab), div_value as PyTorch's. Full softmax and the
     * other kinds: SOFTMAX_FULL, ncutoffs 0, div_value 0. */
    int softmax;
    int ncutoffs;
    int cutoffs[MODEL_MAX_CLUSTERS];
    double div_value;
} model_desc_t;

/* "last", "mean", "max" <-> pool_kind_t (-1 / "?" when unknown). */
int model_pool_parse(const char *name);
const char *model_pool_name(int pool);
/* "dot", "general" <-> attention_kind_t (-1 / "none" otherwise). */
int model_attention_parse(const char *name);
const char *model_attention_name(int attention);

/* "full", "adaptive" <-> softmax_kind_t (-1 / "?" otherwise). */
int model_softmax_parse(const char *name);
const char *model_softmax_name(int softmax);
/* out [len] = "c1,c2,..." of the n cutoffs (truncated to fit). */
void model_cutoffs_format(char *out, size_t len, const int *cutoffs, int n);
/* Adaptive softmax, tail cluster i (0-based): PyTorch's int(hidden // div_value ** (i + 1)),
 * Python's float floor division included. */
int model_adaptive_proj(int hidden, double div_value, int i);
/* The first problem with the adaptive softmax of d (cutoffs not strictly increasing in
 * [1, vocab - 1], a projection of 0 features, div_value below 1 or not finite) as a message
 * naming the options (--cutoffs, --div-value) into err, returning 64; 0 when there is none. */
int model_adaptive_check(const model_desc_t *d, char *err, size_t errlen);

/* The checks every kind shares (the kind's name is the one table's, kinds/kinds.c): a known cell,
 * sizes in range, bidirectional 0/1. The kind's own checks are its model_ops_t's (model_validate in
 * model/model.h runs both). Returns 0, or 65 with a one-line message in err naming WHERE (a file,
 * or "options") and the attribute. */
int model_desc_validate(const model_desc_t *d, const char *where, char *err, size_t errlen);

/* Compares MINE (from the options) with THEIRS (a checkpoint's or a file's, named by WHERE).
 * Returns 0 when every field agrees; otherwise 64 with "--OPTION X differs from WHERE (Y); ..."
 * for the first option that differs, or, for a different kind, a message naming both kinds. The
 * vocabulary and class counts are data, not options: a difference there returns 65. */
int model_desc_compare(const model_desc_t *mine, const model_desc_t *theirs, const char *where,
                       char *err, size_t errlen);

#endif

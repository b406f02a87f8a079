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

typedef struct {
    char kind[16]; /* "lm", "classifier" or "seq2seq" */
    int cell;      /* cell_kind_t (seq2seq: the encoder's; its decoder is a GRU) */
    int vocab, embed, hidden, layers; /* vocab: the (source) vocabulary */
    int bidirectional; /* 0/1 (classifier and seq2seq encoders; the LM is unidirectional) */
    int classes;       /* classifier: number of labels; 0 otherwise */
    int pool;          /* classifier: pool_kind_t */
    int tgt_vocab;     /* seq2seq: target vocabulary; 0 otherwise */
    int attention;     /* seq2seq: attention_kind_t; ATTN_NONE otherwise */
} model_desc_t;

/* "last", "mean", "max" <-> pool_kind_t (-1 / "?" when unknown). */
int model_pool_parse(const char *name);
const char *model_pool_name(int pool);
/* "dot", "general" <-> attention_kind_t (-1 / "none" otherwise). */
int model_attention_parse(const char *name);
const char *model_attention_name(int attention);

/* Checks that d describes a model this build can build: known kind and cell, positive sizes,
 * classes >= 2 for a classifier, no bidirectional LM, a seq2seq target vocabulary with
 * its four special tokens and dot attention only where the encoder width equals the decoder's.
 * Returns 0, or 65 with a one-line message in err naming WHERE (a file, or "options") and the
 * attribute. */
int model_desc_validate(const model_desc_t *d, const char *where, char *err, size_t errlen);

/* Compares MINE (from the options) with THEIRS (a checkpoint's or a file's, named by WHERE).
 * Returns 0 when every field agrees; otherwise 64 with "--OPTION X differs from WHERE (Y); ..."
 * for the first option that differs, or, for a different kind, a message naming both kinds. The
 * vocabulary and class counts are data, not options: a difference there returns 65. */
int model_desc_compare(const model_desc_t *mine, const model_desc_t *theirs, const char *where,
                       char *err, size_t errlen);

#endif

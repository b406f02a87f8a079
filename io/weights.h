/* io/weights.h — model.h5 files: one float32 dataset per tensor named by its PyTorch state_dict
 * key, /vocab, and scalar attributes describing the model (DESIGN §8).
 *
 * Writes go to a temporary name in the same folder, are fsynced and renamed: a crash never
 * leaves a half-written model.h5 under the real name.
 */
#ifndef DRNN_IO_WEIGHTS_H
#define DRNN_IO_WEIGHTS_H

#include <stddef.h>

#include "model/params.h"

#define WEIGHTS_FORMAT "drnn-model"
#define WEIGHTS_VERSION 1

typedef struct {
    char model[16];     /* "lm" */
    char cell[16];      /* "gru", ... */
    char tokenizer[16]; /* "byte", "char", "word" */
    int embed, hidden, layers, bidirectional, vocab_size;
} model_meta_t;

/* Writes params (laid out by tab), meta and vocab [meta->vocab_size] to PATH.
 * Returns 0, or 74 with a message naming the file in err. */
int weights_write(const char *path, const param_table_t *tab, const float *params,
                  const model_meta_t *meta, const char *const *vocab, char *err, size_t errlen);

/* Reads the attributes and vocabulary of a drnn-model file. *vocab: malloc'd array of *nv
 * strings (free with h5_free_strings from io/h5util.h, or weights_free_vocab).
 * Returns 0, 66 (missing) or 65 (not a drnn model, damaged) with a message in err. */
int weights_read_meta(const char *path, model_meta_t *meta, char ***vocab, int *nv, char *err,
                      size_t errlen);
void weights_free_vocab(char **vocab, int nv);

/* Fills params from the datasets named as tab's tensors; checks every name, shape and dtype
 * (float32, or float64 converted). Returns 0, 66, or 65 naming the tensor in err. */
int weights_read_params(const char *path, const param_table_t *tab, float *params, char *err,
                        size_t errlen);

#endif

/* io/model_attrs.h — a model's description (model/desc.h) as HDF5 attributes, plus its /vocab
 * and /labels string datasets: the one encoding shared by checkpoint manifests and model.h5
 * files (DESIGN §7, §8). No MPI.
 *
 * Attributes: model (kind), cell, tokenizer, embed, hidden, layers, bidirectional, vocab_size,
 * for a classifier classes and pool, for seq2seq tgt_vocab_size and attention (with /tgt_vocab),
 * for an LM with the adaptive softmax softmax = "adaptive", cutoffs (int64 [n]) and div_value
 * (float64). Files written before the classifier have neither: they read as classes 0, pool
 * "last"; files without softmax as a full softmax (full-softmax models never write it).
 */
#ifndef DRNN_IO_MODEL_ATTRS_H
#define DRNN_IO_MODEL_ATTRS_H

#include <hdf5.h>

#include "io/tokenize.h"
#include "model/desc.h"

/* The SentencePiece models of an spm model (io/spm.h, serialized): [0] the text's or the
 * source's, [1] the target's (seq2seq); len 0: none. Stored as /spm_model and /tgt_spm_model
 * (io/h5util.h h5_write_bytes). Borrowed. */
typedef struct {
    const void *bytes[2];
    size_t len[2];
} model_spm_t;

/* What a trained model carries besides its tensors. vocab [desc.vocab], labels [desc.classes]
 * (NULL unless a classifier) and tgt_vocab [desc.tgt_vocab] (NULL unless seq2seq) are owned
 * (model_info_free). */
typedef struct {
    model_desc_t desc;
    char tokenizer[16];
    char **vocab;
    char **labels;
    char **tgt_vocab;
    void *spm[2]; /* spm tokenizer: the models (owned), as model_spm_t */
    size_t spm_len[2];
} model_info_t;

void model_info_free(model_info_t *mi);
/* Sets mi's SentencePiece model of SIDE to a copy of BYTES[0..len). 0, or -1 out of memory. */
int model_info_set_spm(model_info_t *mi, int side, const void *bytes, size_t len);
/* mi's models as model_spm_t. */
model_spm_t model_info_spm(const model_info_t *mi);
/* The vocabulary of mi (TARGET: a seq2seq model's target side) as a lookup table, with its
 * SentencePiece model for spm. NULL with a message in err (65: damaged). */
tok_vocab_t *model_info_vocab(const model_info_t *mi, int target, char *err, size_t errlen);

/* Writes the attributes and /vocab (and /labels when desc.classes > 0, /tgt_vocab when
 * desc.tgt_vocab > 0, the SentencePiece models SPM has). 0, or -1. */
int model_attrs_write(hid_t f, const model_desc_t *d, const char *tokenizer,
                      const char *const *vocab, const char *const *labels,
                      const char *const *tgt_vocab, const model_spm_t *spm);

/* Reads what model_attrs_write wrote into *mi (zeroed first; free with model_info_free even on
 * failure). 0, or 65 with a message naming PATH: attributes missing, of another type, out of
 * range, a description this build cannot build (model_desc_validate), or /vocab, /labels of
 * the wrong length. */
int model_attrs_read(hid_t f, const char *path, model_info_t *mi, char *err, size_t errlen);

#endif

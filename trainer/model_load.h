/* trainer/model_load.h — finding and loading a trained model for the programs that use one
 * (drnn-eval, drnn-export, drnn-train --init-from; drnn-sample can switch to it).
 *
 * model_resolve_path is the one place that turns a RUN|CKPT|MODEL.h5 argument into a file: a run
 * folder means its newest complete checkpoint, a step-N folder that checkpoint (DESIGN §8), a file
 * a model.h5. Checkpoints are CRC-verified before libhdf5 parses them; model files, which carry
 * no CRC, are checked in a child process first (DESIGN §7). No MPI.
 */
#ifndef DRNN_TRAINER_MODEL_LOAD_H
#define DRNN_TRAINER_MODEL_LOAD_H

#include <stddef.h>

#include "io/corpus.h"
#include "io/weights.h"
#include "model/model.h"

/* ARG -> PATH [len]: a model file as it is; a run folder with checkpoints, a step-N folder or a
 * pointer file RUN/ckpt/best or RUN/ckpt/latest as
 * it is, with *is_ckpt = 1 (its newest complete checkpoint, or that one, is what it means); a run
 * folder from before checkpoints: RUN/model.h5. Returns 0, or 66 (nothing there, a run folder with
 * no checkpoint yet) or 64 (path too long) with a one-line message in err. */
int model_resolve_path(const char *arg, char *path, size_t len, int *is_ckpt, char *err,
                       size_t errlen);

/* --best: RUN -> RUN/ckpt/best into path [len]. 0, or 66 (a run without a best checkpoint: train
 * with --keep-best or --early-stop) / 64 (too long) with a message in err. */
int model_best_path(const char *run, char *path, size_t len, char *err, size_t errlen);

typedef struct model_file {
    char path[4200];   /* the resolved file */
    model_info_t info; /* description, tokenizer, vocab, labels */
    const model_ops_t *ops;
    void *model;   /* built by ops->create for windows up to Tmax x Bmax (lm_t, classifier_t) */
    float *params; /* [ops->params(model)->total] */
} model_file_t;

/* Resolves ARG, checks the file in isolation, reads its description, builds the model it
 * describes (any kind) and reads every tensor. Returns 0 with *m filled (free with model_unload),
 * or 66, 65 (not a drnn model this build can run, damaged, wrong tensors) or 70 (out of memory)
 * with a one-line message naming the file in err; *m then holds nothing to free. */
int model_load(model_file_t *m, const char *arg, int Tmax, int Bmax, char *err, size_t errlen);
void model_unload(model_file_t *m);
/* The loaded model's parameter table. */
const param_table_t *model_file_params(const model_file_t *m);

/* The corpus c must use mi's tokenizer, vocabulary and (classifier) labels, or its ids would mean
 * other tokens or classes. 0, or 65 with a message starting with WHERE (the model file) that
 * names the corpus and the first difference. */
int model_info_match_corpus(const model_info_t *mi, const char *where, const corpus_t *c, char *err,
                            size_t errlen);

#endif

/* trainer/kind.h — the seam between the training loop and a model kind (DESIGN §5, STYLE 16).
 *
 * trainer/train.c owns ranks, the step's scalar reduction, the bucketed all-reduce, clipping,
 * the optimizer, progress, metrics, the evaluation schedule, checkpoints, signals and watchdog
 * phases. It never asks which kind it trains: everything that differs is one train_kind_t, found
 * by --model in one table (train_kind_find); adding a kind adds one file and one row.
 *
 * A kind owns its model (built through model/model.h), how it reads a global batch from the
 * corpus and which part belongs to this rank, forward/backward over that part, its validation
 * figures, and the carried state it saves in a checkpoint (LM: every stream's hidden state, keyed
 * by global stream id; the classifier: none — its data position is a function of the step and
 * the seed). Functions are rank-local: the loop does every collective.
 */
#ifndef DRNN_TRAINER_KIND_H
#define DRNN_TRAINER_KIND_H

#include <stddef.h>

#include "io/corpus.h"
#include "model/desc.h"
#include "model/model.h"
#include "trainer/train.h"

typedef struct kind_ctx kind_ctx_t;

/* This rank's place in the job. */
typedef struct {
    const train_opts_t *o;
    corpus_t *corpus;
    int rank, nranks;
    int B, Bl; /* global batch (streams or examples) and this rank's share, B / nranks */
} kind_env_t;

#define KIND_EXTRA 32

/* Sums over this rank's part of a batch or of an evaluation; the loop adds them over ranks
 * (an evaluation's extra[] too: counts only the kind interprets, e.g. BLEU's n-gram matches). */
typedef struct {
    double loss;    /* cross-entropy, nats */
    double count;   /* what the loss is a mean over: targets (LM, seq2seq) or examples */
    double tokens;  /* input tokens read */
    double correct; /* classifier: predictions equal to the label */
    double extra[KIND_EXTRA];
} kind_sums_t;

typedef struct train_kind {
    const char *name; /* --model */
    const char *data; /* corpus data kind it trains on: "text", "labels" or "pairs" */
    int has_accuracy; /* report accuracy (and use it as the headline validation figure) */
    int uses_seq_len; /* --seq-len shapes the data layout (must match on resume) */
    /* The model the options and the corpus describe. 0, or 64 (option) / 65 with err. */
    int (*describe)(model_desc_t *d, const train_opts_t *o, const corpus_t *c, char *err,
                    size_t errlen);
    /* Builds this rank's model, readers and buffers. 0, or 64/65/70 with err. */
    int (*open)(kind_ctx_t **out, const model_desc_t *d, const kind_env_t *env, char *err,
                size_t errlen);
    void (*close)(kind_ctx_t *k);
    void *(*model)(kind_ctx_t *k); /* for model_ops_t (params, init, hooks) */
    long (*steps_per_epoch)(const kind_ctx_t *k);
    /* Reads this rank's part of global batch `step` (1-based; the epoch is (step-1) / spe).
     * 0, or 65 with err (corpus read error). */
    int (*load_batch)(kind_ctx_t *k, long step, char *err, size_t errlen);
    /* The global count the mean loss of the loaded batch divides by (same on every rank). */
    double (*batch_norm)(const kind_ctx_t *k);
    /* Forward and backward of the loaded batch: grads += scale * d(loss sum)/d params (the
     * model's backward hooks start the all-reduce), dropout keyed by step; fills *s. */
    void (*forward_backward)(kind_ctx_t *k, const float *params, float *grads, long step,
                             float scale, kind_sums_t *s);
    /* 1 when there is a validation split to score. */
    int (*has_valid)(const kind_ctx_t *k);
    /* Scores this rank's part of the valid split (dropout off). 0, or 65 with err. */
    int (*evaluate)(kind_ctx_t *k, const float *params, kind_sums_t *s, char *err, size_t errlen);
    /* The validation figures of sums s (added over ranks) as text for the progress line
     * ("loss 1.2345 | ppl 3.44 | ...") and as JSON members for metrics.jsonl
     * ("\"loss\": 1.2345, ..."). */
    void (*eval_report)(const kind_sums_t *s, char *text, size_t tn, char *json, size_t jn);
    /* --trace-bptt (both NULL: the kind has none). trace_size: layers L and positions T of the
     * trace. trace_request: for the next forward_backward only, fill out [L * T] with this
     * rank's mean over its streams of ||dJ/dh_t|| (J: the last position's loss; layer-major,
     * t = 0..T-1) and *seconds with the time the extra pass took. */
    void (*trace_size)(const kind_ctx_t *k, int *L, int *T);
    void (*trace_request)(kind_ctx_t *k, double *out, double *seconds);
    /* Validation figures --metric may name, space-separated; the first is the default. */
    const char *metrics;
    /* Those of `metrics` whose larger values are better (space-separated; "" none). */
    const char *higher_better;
    /* The figure NAME (one of `metrics`) of sums s. */
    double (*metric)(const kind_sums_t *s, const char *name);
    /* Carried state: global items (0: none), floats per item (h part; the c part as many when
     * state_has_c), and this rank's items as [Bl_items, floats] h then c, in global id order
     * starting at rank * local items. Called only when items > 0. */
    int (*state_items)(const kind_ctx_t *k);
    int (*state_floats)(const kind_ctx_t *k);
    int (*state_has_c)(const kind_ctx_t *k);
    void (*state_pack)(const kind_ctx_t *k, float *h, float *c);
    void (*state_unpack)(kind_ctx_t *k, const float *h, const float *c);
} train_kind_t;

/* The kind named NAME, or NULL. */
const train_kind_t *train_kind_find(const char *name);
/* "lm, classifier, seq2seq" for messages. */
const char *train_kind_names(void);

/* --dropout acting only between stacked layers needs two of them: 0, or 64 with err. */
int kind_check_layer_dropout(const train_opts_t *o, char *err, size_t errlen);
/* For the kinds without the LM's adaptive softmax: --softmax adaptive, --cutoffs or a
 * --div-value other than its default are 64 naming the option and KIND. */
int kind_check_full_softmax(const train_opts_t *o, const char *kind, char *err, size_t errlen);

extern const train_kind_t train_kind_lm;
extern const train_kind_t train_kind_classifier;
extern const train_kind_t train_kind_seq2seq;

#endif

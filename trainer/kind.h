/* trainer/kind.h — the seam between the training loop and a model kind (DESIGN §5, STYLE 16).
 *
 * trainer/train.c owns ranks, the step's scalar reduction, the bucketed all-reduce, clipping,
 * the optimizer, progress, metrics, the evaluation schedule, checkpoints, signals and watchdog
 * phases. It never asks which kind it trains: everything that differs is one train_kind_t, the
 * training layer's row of the kind --model names in the one table of kinds (kinds/kinds.h).
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
#include "trainer/train_opts.h"

typedef struct kind_ctx kind_ctx_t;

/* The options a kind reads: what shapes its model and its data, never the loop's (optimizer,
 * schedule, checkpoints, logging); filled once from drnn-train's options (kind_opts_from). */
typedef struct {
    const char *model, *data; /* --model, --data (for messages) */
    const char *cell;
    int embed, hidden, layers, bidirectional;
    int residual, self_attention; /* --residual; --self-attention heads (0: none) */
    double dropout;
    int batch;             /* --batch B */
    uint64_t seed;         /* data order and dropout masks */
    const char *pool;      /* classifier */
    const char *attention; /* seq2seq */
    int batch_tokens;      /* seq2seq */
    int seq_len;           /* LM */
    int truncate;          /* classifier, tagger: longer examples read as their first N */
    int max_pair_len;      /* seq2seq: pairs with a longer side left out (0: keep all) */
    const char *softmax, *cutoffs;
    double div_value; /* LM output layer (the other kinds refuse them) */
} kind_opts_t;

/* o's kind options (pointers into o). */
kind_opts_t kind_opts_from(const train_opts_t *o);

/* This rank's place in the job. */
typedef struct {
    const kind_opts_t *o;
    corpus_t *corpus;
    int rank, nranks;
    int B, Bl; /* global batch (streams or examples) and this rank's share, B / nranks */
} kind_env_t;

/* Sums over this rank's part of a batch or of an evaluation: a vector of doubles the loop adds
 * over ranks without knowing what they mean. The first three are the same for every kind: the
 * loss sum (cross-entropy, nats), what the loss is a mean over (targets or examples) and the
 * input tokens read; the rest (up to KIND_SUMS_MAX in all, the row's nsums) are the kind's own:
 * correct predictions, BLEU's n-gram counts, ... Only the kind reads or formats them. */
#define KIND_SUMS_MAX 36
#define KIND_LOSS     0
#define KIND_COUNT    1
#define KIND_TOKENS   2
typedef struct {
    double v[KIND_SUMS_MAX];
} kind_sums_t;

struct ckpt_meta; /* io/ckpt.h */

typedef struct train_kind {
    const char *data; /* corpus data kind it trains on: "text", "labels", "pairs", "tags" */
    /* The options of train_kind_options (trainer/train_opts.h) it reads, space-separated; the
     * others are refused when given. */
    const char *options;
    int nsums; /* entries of kind_sums_t.v a step fills (3 to KIND_SUMS_MAX - 1) */
    /* The model the options and the corpus describe. 0, or 64 (option) / 65 with err. */
    int (*describe)(model_desc_t *d, const kind_opts_t *o, const corpus_t *c, char *err,
                    size_t errlen);
    /* Builds this rank's model, readers and buffers. 0, or 64/65/70 with err. */
    int (*open)(kind_ctx_t **out, const model_desc_t *d, const kind_env_t *env, char *err,
                size_t errlen);
    void (*close)(kind_ctx_t *k);
    void *(*model)(kind_ctx_t *k); /* for model_ops_t (params, init, hooks) */
    long (*steps_per_epoch)(const kind_ctx_t *k);
    /* "about 2000 target tokens": what one step's global batch is, for the start line (NULL:
     * --batch's B). */
    void (*batch_text)(const kind_ctx_t *k, char *text, size_t n);
    /* Reads this rank's part of global batch `step` (1-based; the epoch is (step-1) / spe).
     * 0, or 65 with err (corpus read error). */
    int (*load_batch)(kind_ctx_t *k, long step, char *err, size_t errlen);
    /* The global count the mean loss of the loaded batch divides by (same on every rank). */
    double (*batch_norm)(const kind_ctx_t *k);
    /* Forward and backward of the loaded batch: grads += scale * d(loss sum)/d params (the
     * model's backward hooks start the all-reduce), dropout keyed by step; fills *s. */
    void (*forward_backward)(kind_ctx_t *k, const float *params, float *grads, long step,
                             float scale, kind_sums_t *s);
    /* The progress line's figure of a step's sums s (added over ranks): "ppl 3.44", "acc 0.912". */
    void (*step_report)(const kind_sums_t *s, char *text, size_t n);
    /* 1 when there is a validation split to score. */
    int (*has_valid)(const kind_ctx_t *k);
    /* Scores this rank's part of the valid split (dropout off). 0, or 65 with err. */
    int (*evaluate)(kind_ctx_t *k, const float *params, kind_sums_t *s, char *err, size_t errlen);
    /* The validation figures of sums s (added over ranks) as text for the progress line
     * ("loss 1.2345 | ppl 3.44 | ...") and as JSON members for metrics.jsonl
     * ("\"loss\": 1.2345, ..."). */
    void (*eval_report)(const kind_sums_t *s, char *text, size_t tn, char *json, size_t jn);
    /* Data-layout options of this kind that must match checkpoint m (in folder dir) on resume
     * (NULL: none beyond the model description and --batch). 0, or 64 naming the option. */
    int (*resume_check)(const kind_ctx_t *k, const struct ckpt_meta *m, const char *dir, char *err,
                        size_t errlen);
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
    /* Carried state (all NULL: none). Global items, floats per item (h part; the c part as
     * many when state_has_c), and this rank's items as [Bl_items, floats] h then c, in global
     * id order starting at rank * local items. */
    int (*state_items)(const kind_ctx_t *k);
    int (*state_floats)(const kind_ctx_t *k);
    int (*state_has_c)(const kind_ctx_t *k);
    void (*state_pack)(const kind_ctx_t *k, float *h, float *c);
    void (*state_unpack)(kind_ctx_t *k, const float *h, const float *c);
    /* --sample-every (NULL: the kind has none, and the option is refused): rank 0 alone prints
     * to stdout a few lines of what the model with params does at `step` (LM: generated text;
     * the others: the first validation examples, prediction next to truth). Dropout off; it
     * must leave what training reads alone (data position, carried state, random streams), so
     * the losses do not change. 0, or 65/70 with err. */
    int (*sample)(kind_ctx_t *k, const float *params, long step, char *err, size_t errlen);
} train_kind_t;

/* The fields every kind describes the same way from o and the corpus c: kind, cell, vocab,
 * embed, hidden, layers, bidirectional, residual, self_attention (the rest zero). 0, or 64 when
 * --self-attention's heads do not divide the encoder width. */
int kind_describe_common(model_desc_t *d, const kind_opts_t *o, const corpus_t *c, char *err,
                         size_t errlen);
/* Rank 0 says how many examples --truncate cuts (nothing when none). */
void kind_report_truncated(const kind_env_t *env, uint64_t cut);
/* --dropout acting only between stacked layers needs two of them: 0, or 64 with err. */
int kind_check_layer_dropout(const kind_opts_t *o, char *err, size_t errlen);
/* For the kinds without the LM's adaptive softmax: --softmax adaptive, --cutoffs or a
 * --div-value other than its default are 64 naming the option and the kind --model names. */
int kind_check_full_softmax(const kind_opts_t *o, char *err, size_t errlen);
/* --batch B split over env->nranks ranks: 0, or 64 asking for a multiple. */
int kind_check_batch_ranks(const kind_env_t *env, char *err, size_t errlen);
/* The step figure of the kinds that count correct predictions in v[3]: "acc 0.912". */
void kind_report_accuracy(const kind_sums_t *s, char *text, size_t n);
/* --sample-every: the corpus's vocabulary (target: pairs' target side) for tok_decode_write;
 * the caller frees it (tok_vocab_free). NULL with err (65) when it cannot be built. */
struct tok_vocab *kind_sample_vocab(const corpus_t *c, int target, char *err, size_t errlen);
/* Writes "PREFIX<text of ids [n]>\n" to stdout: newlines and tabs as spaces, cut at 100 bytes
 * ("..." then). */
void kind_sample_line(const char *prefix, const struct tok_vocab *v, const uint32_t *ids, size_t n);

#endif

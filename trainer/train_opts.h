/* trainer/train_opts.h — drnn-train's options (DESIGN §8): the struct the option table
 * (trainer/train_flags.c) fills from the command line and --config files. */
#ifndef DRNN_TRAINER_TRAIN_OPTS_H
#define DRNN_TRAINER_TRAIN_OPTS_H

#include <stdint.h>

#include "base/config.h"

/* --div-value's default (PyTorch's): options that only act with --softmax adaptive compare
 * against it to tell whether it was changed. */
#define TRAIN_DIV_VALUE_DEFAULT  4
#define TRAIN_STRINGIFY(x)       #x
#define TRAIN_STRINGIFY_VALUE(x) TRAIN_STRINGIFY(x)

typedef struct {
    char data[4096], run_dir[4096], config[4096], init_from[4096], resume[4096];
    char model[16], cell[16], pool[16], attention[16];
    char softmax[16], cutoffs[256]; /* LM output layer: full or adaptive, "c1,c2,..." */
    double div_value;               /* adaptive softmax: cluster i projects to H // X^(i+1) */
    int embed, hidden, layers, bidirectional, seq_len, batch, batch_tokens;
    int residual, self_attention; /* residual connections; self-attention heads (0: none) */
    int truncate;                 /* classifier, tagger: examples cut to their first N tokens */
    int max_pair_len;             /* seq2seq: pairs with a longer side left out (0: none) */
    char optimizer[8];
    double lr, momentum, clip, dropout;
    double beta1, beta2, eps, weight_decay;
    double lr_decay, min_lr;       /* step decay factor (1: none); floor of the decayed rate */
    long decay_every, decay_start; /* decay every N steps after step decay_start */
    long warmup;                   /* linear warm-up over the first N steps (0: none) */
    double lr_plateau;             /* factor on the rate after `patience` flat evaluations */
    double min_delta;              /* relative margin an evaluation must beat the best by */
    int patience, early_stop;      /* early_stop: end after N flat evaluations (0: never) */
    int keep_best;                 /* keep and name the best checkpoint (RUN/ckpt/best) */
    char metric[16];               /* validation figure they watch ("" : the kind's default) */
    long steps, epochs, checkpoint_every;
    int keep, ckpt_deflate;
    int log_every, eval_every, threads;
    long sample_every; /* steps between rank 0's samples of what the model does (0: never) */
    double bucket_mb, hang_timeout; /* gradient bucket size (MiB); watchdog timeout (s) */
    double time_limit;              /* seconds of training before a graceful stop; 0: none */
    char allreduce_dtype[8];        /* fp32 or bf16 */
    int powersgd;                   /* PowerSGD rank R of the gradient matrices (0: off) */
    long powersgd_start;            /* uncompressed steps before PowerSGD starts */
    char on_nonfinite[8];           /* abort or skip */
    int max_skips;                  /* skip: more non-finite steps in a row than this: exit 70 */
    uint64_t seed;
    int log_grad_norms, trace_bptt; /* per-tensor gradient norms; dJ/dh_t trace, logged steps */
    int selftest, help;
} train_opts_t;

extern const opt_spec_t train_opt_spec[];
extern const int train_opt_count;
extern const char *const train_opt_reserved[];
/* The options that shape a model kind or its data, space-separated: a kind reads those of its
 * row's `options` (trainer/kind.h) and refuses the others when given. */
extern const char *const train_kind_options;

#endif

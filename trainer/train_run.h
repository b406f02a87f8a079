/* trainer/train_run.h — what one rank of drnn-train holds during a run, shared by the loop
 * (trainer/train.c) and its reporting (trainer/train_report.c); not for other modules. */
#ifndef DRNN_TRAINER_TRAIN_RUN_H
#define DRNN_TRAINER_TRAIN_RUN_H

#include <stddef.h>

#include "base/config.h"
#include "comm/powersgd.h"
#include "comm/reduce.h"
#include "io/metrics.h"
#include "model/model.h"
#include "trainer/kind.h"
#include "trainer/mem_report.h"
#include "trainer/optim.h"
#include "trainer/train_opts.h"
#include "trainer/train_ckpt.h"

/* Everything one rank needs during the loop. */
typedef struct {
    const train_opts_t *o;
    const config_cli_t *cli; /* which options the command line or --config gave */
    int rank, nranks, B, Bl;
    corpus_t *corpus;
    const train_kind_t *kind;
    kind_opts_t kopts; /* what the kind sees of o */
    const model_ops_t *mops;
    kind_ctx_t *k;
    model_desc_t desc;
    float *params, *grads;
    optim_t opt;
    train_state_t state;
    const char *metric; /* --metric, or the kind's default */
    size_t P;
    long steps_per_epoch, total_steps;
    metrics_t metrics;
    comm_reduce_t *red;  /* bucketed gradient all-reduce over grads (--powersgd: psgd's) */
    comm_psgd_t *psgd;   /* --powersgd R: the compressed reduction over grads, or NULL */
    double comm_time;    /* exposed: waiting for the gradients and the step's scalars */
    mem_kind_t kind_mem; /* heap the model kind holds, and its most (trainer/mem_report.h) */
    double rss_before;   /* peak RSS before the kind opened: the process's own */
    train_ckpt_ctx_t ck; /* what a checkpoint saves and a resume restores */
    int threads;
    /* The loop's running figures. */
    double tokens;                       /* seen since the run's start (resumed runs: restored) */
    double t0, t_log, comm_log, tok_log; /* start, last log line, and since it */
    long start_step;                     /* the step this job resumed from (0: a fresh run) */
    int stopped, over_time;              /* a stop signal or --time-limit ended this step */
    long skipped_total;                  /* non-finite steps skipped in this job */
    int trace_L, trace_T;
    double *trace; /* --trace-bptt: [L, T] of a logged step */
} run_t;

/* trainer/train_setup.c: the steps before the first training step, in the order the loop calls
 * them. Options that are invalid together, or that the kind does not read, end the job (64). */
void train_validate(run_t *r);
/* Every rank opens the corpus and builds its part of the model kind; any rank's failure ends the
 * job on every rank with that rank's message. */
void train_open_data_and_model(run_t *r);
/* --metric must be a figure the kind reports; without it, the kind's first. */
void train_choose_metric(run_t *r);
/* Parameters, gradients and optimizer; rank 0 draws or reads (--init-from) the weights, every
 * rank gets its bytes. */
void train_build_model(run_t *r);
/* The gradient all-reduce (or PowerSGD's), hooked into the model's backward. */
void train_setup_reduce(run_t *r);
/* Rank 0 creates the run folder and its files (config.txt, metrics); every rank learns the
 * outcome. */
void train_prepare_run_dir(run_t *r);
/* NAME is one of the space-separated words of LIST. */
int train_in_list(const char *list, const char *name);
/* Test-only fault injection (DRNN_TEST_FAIL="WHAT:RANK"): 1 when this rank is to fail at WHAT. */
int train_injected_fault(const run_t *r, const char *what);

/* The rate in effect at step n (schedule and plateau factor). */
double train_rate(const run_t *r, long n);
/* The options that do not act in this run, NULL-terminated (config.txt and the start lines leave
 * them out). */
const char *const *train_unused_options(const run_t *r);

/* One updating line only when run alone on a terminal (trainer/train_report.c). */
int train_live_tty(void);
/* trainer/train_report.c. Rank 0 prints the start lines (threads: BLAS threads per rank). */
void train_print_start(const run_t *r, int threads);
/* The progress line of a logged step: sums s added over ranks, tokens/s, share of time in
 * communication, seconds since this job started. */
void train_progress(run_t *r, long step, const kind_sums_t *s, double norm, int clipped, double tps,
                    double comm_frac, double elapsed);
/* Rank 0: the validation line and its metrics.jsonl record (a failed write ends the job, 74). */
void train_report_eval(run_t *r, long step, const kind_sums_t *s);
/* The extra members of a logged step's metrics record (--log-grad-norms, --trace-bptt),
 * malloc'd, or NULL. */
char *train_step_extras(const run_t *r, double norm, int clipped, const double *trace, int L, int T,
                        double trace_s);

#endif

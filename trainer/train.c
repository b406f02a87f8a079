#include "trainer/train.h"
#include "base/test_knobs.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comm/comm.h"
#include "base/cpus.h"
#include "model/kernels.h"
#include "comm/reduce.h"
#include "comm/watchdog.h"
#include "io/ckpt.h"
#include "io/corpus.h"
#include "io/metrics.h"
#include "model/model.h"
#include "base/util.h"
#include "trainer/kind.h"
#include "trainer/mem_report.h"
#include "trainer/train_ckpt.h"
#include "trainer/train_psgd.h"
#include "trainer/train_run.h"

/* Graceful stop (DESIGN §9): SIGUSR1 (mpirun forwards it to every rank), and SIGTERM or SIGINT
 * received by a rank itself (srun, scancel), set a flag that rides along the next step's scalar
 * reduction; every rank then finishes that step, checkpoints, writes RUN/stopped (rank 0) and
 * exits 75. SA_RESTART: a signal during a checkpoint write does not fail the write. A second
 * SIGTERM or SIGINT takes the default action: Ctrl-C twice ends a run that cannot reach a step. */
static volatile sig_atomic_t stop_signal;
static void on_stop_signal(int sig) {
    if (stop_signal && sig != SIGUSR1) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    stop_signal = sig;
}
static void install_stop_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* Test-only: DRNN_TEST_NAN_STEPS="7,8" makes the last rank's loss sum NaN at those steps; the
 * step's reduction carries it to every rank, as a real blow-up on one rank would. */
static int injected_nan(const run_t *r, long step) {
    const char *v = test_knob(KNOB_NAN_STEPS);
    if (!v || r->rank != r->nranks - 1) return 0;
    for (const char *p = v; *p;) {
        char *end;
        long s = strtol(p, &end, 10);
        if (end == p) return 0;
        if (s == step) return 1;
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}

/* ---- one step ---------------------------------------------------------------------------- */

/* A step's scalars travel in one fp64 all-reduce: the kind's n sums with the stop flag (ranks
 * that saw a stop signal; rank 0 adds the time limit) third — loss, count, flag, tokens, then
 * the kind's own, at least 5 in all — the layout every run has had, so that Open MPI's
 * reduction adds each one in the same order and fixtures stay bit-identical. Returns the
 * count. */
static int step_sums_pack(double *out, const kind_sums_t *s, int n, double flag) {
    memset(out, 0, sizeof(double) * (KIND_SUMS_MAX + 1));
    out[0] = s->v[KIND_LOSS], out[1] = s->v[KIND_COUNT], out[2] = flag;
    for (int i = KIND_TOKENS; i < n; i++) out[i + 1] = s->v[i];
    return n + 1 > 5 ? n + 1 : 5;
}

/* The kind's sums back from step_sums_pack's layout; returns the stop flag. */
static double step_sums_unpack(kind_sums_t *s, const double *in, int n) {
    s->v[KIND_LOSS] = in[0], s->v[KIND_COUNT] = in[1];
    for (int i = KIND_TOKENS; i < n; i++) s->v[i] = in[i + 1];
    return in[2];
}

/* The learning rate of step n (1-based): a pure function of the step, so a resumed run follows
 * the same rates. Step decay as torch.optim.lr_scheduler.StepLR(step_size = decay_every,
 * gamma = lr_decay) stepped once per optimizer step, counted from decay_start, floored at
 * min_lr; times n / warmup during the first warmup steps. */
static double lr_at(const train_opts_t *o, long n) {
    double lr = o->lr;
    if (o->lr_decay != 1.0 && o->decay_every > 0 && n - 1 > o->decay_start) {
        lr *= pow(o->lr_decay, (double)((n - 1 - o->decay_start) / o->decay_every));
        lr = lr > o->min_lr ? lr : o->min_lr;
    }
    if (o->warmup > 0 && n < o->warmup) lr *= (double)n / (double)o->warmup;
    return lr;
}

/* The rate in effect at step n: the schedule times the plateau factor. */
double train_rate(const run_t *r, long n) {
    double lr = lr_at(r->o, n) * r->state.lr_scale;
    return r->state.lr_scale < 1.0 && lr < r->o->min_lr ? r->o->min_lr : lr;
}

/* The watched figure's larger values are better (the kind says which). */
static int higher_better(const run_t *r) {
    return train_in_list(r->kind->higher_better, r->metric);
}

/* The watched figure of an evaluation at `step` into the state: returns 1 when it is the best so
 * far. Flat evaluations count towards --lr-plateau (which then scales the rate) and
 * --early-stop. Every rank computes the same from the same sums. */
static int track_metric(run_t *r, long step, const kind_sums_t *v) {
    const train_opts_t *o = r->o;
    double m = r->kind->metric(v, r->metric);
    if (higher_better(r)) m = -m; /* lower is better from here on */
    train_state_t *s = &r->state;
    /* ReduceLROnPlateau's threshold_mode 'rel': below best * (1 - X) when lower is better,
     * above best * (1 + X) when higher is (negated: below best * (1 + X)); the best is
     * positive and negated figures negative in every kind, so both read as follows. */
    if (s->best_step == 0 || m < s->best_metric - o->min_delta * fabs(s->best_metric)) {
        s->best_metric = m, s->best_step = step, s->bad_evals = 0;
        return 1;
    }
    s->bad_evals++;
    if (o->lr_plateau < 1.0 && s->bad_evals % o->patience == 0) {
        s->lr_scale *= o->lr_plateau;
        if (r->rank == 0)
            printf("drnn-train: %s has not improved for %ld evaluations (best %.6g at step %ld): "
                   "rate now %g\n",
                   r->metric, s->bad_evals, higher_better(r) ? -s->best_metric : s->best_metric,
                   s->best_step, train_rate(r, step + 1));
    }
    return 0;
}

/* Global-norm clip as torch.nn.utils.clip_grad_norm_, then the optimizer (trainer/optim.h).
 * Returns the norm before clipping. */
static double grad_norm(const run_t *r) {
    return sqrt(vec_sumsq(r->grads, r->P));
}

static void clip_and_update(run_t *r, long step, double norm, int *clipped) {
    float coef = 1.0f;
    *clipped = 0;
    if (r->o->clip > 0 && r->o->clip / (norm + 1e-6) < 1.0) {
        coef = (float)(r->o->clip / (norm + 1e-6));
        *clipped = 1;
    }
    optim_step(&r->opt, r->params, r->grads, coef, train_rate(r, step));
}

/* The kind's validation figures over every rank's part: identical for any rank count. */
static kind_sums_t evaluate(run_t *r) {
    char err[4400] = "";
    kind_sums_t s = {{0}};
    const size_t heap0 = mem_heap_in_use(); /* the kind's buffers may grow: mem_report.h */
    int rc = r->kind->evaluate(r->k, r->params, &s, err, sizeof err);
    mem_kind_track(&r->kind_mem, heap0);
    comm_phase_begin(0, "eval-reduce");
    comm_agree(rc, err);
    /* All of them, whatever the kind fills: the same count and positions on every run, so the
     * all-reduce adds each figure in the same order (fixtures are bit-identical). */
    comm_allreduce_sum_doubles(s.v, KIND_SUMS_MAX);
    comm_phase_end();
    return s;
}

/* ---- the run: setup, one step, what follows a step -------------------------------------- */

/* Everything before the first step; returns the step the run continues after (0: fresh). */
static long setup(run_t *r) {
    const train_opts_t *o = r->o;
    r->state.lr_scale = 1.0;
    train_validate(r);
    ckpt_lock_run_dir(o, r->rank, 0); /* before anything reads or writes the run folder */
    install_stop_handlers(); /* before the long setup: a signal then stops after the first step */
    comm_watchdog_start(o->hang_timeout);
    r->Bl = r->B / r->nranks;
    train_open_data_and_model(r);
    train_choose_metric(r);
    r->threads = cpus_threads_for(o->threads, comm_local_size());
    model_set_threads(r->threads);
    ckpt_guard(o);
    train_build_model(r); /* before the run folder: a bad --init-from leaves nothing behind */
    train_setup_reduce(r);
    r->ck =
        (train_ckpt_ctx_t){o,         r->corpus, r->kind,   r->mops, r->k,      &r->desc, r->rank,
                           r->nranks, r->B,      r->params, &r->opt, &r->state, r->P,     r->psgd};
    long start = train_ckpt_resume(&r->ck, &r->tokens);
    if (r->rank == 0 && o->resume[0]) ckpt_trim_metrics(o->run_dir, start);
    train_prepare_run_dir(r);
    train_print_start(r, r->threads);
    if (o->trace_bptt) {
        if (!r->kind->trace_request)
            comm_fail(64,
                      "--trace-bptt follows a language model's hidden states; --model %s has "
                      "none to trace",
                      o->model);
        r->kind->trace_size(r->k, &r->trace_L, &r->trace_T);
        if (!(r->trace = calloc((size_t)r->trace_L * r->trace_T, sizeof *r->trace)))
            drnn_die(70, "out of memory (--trace-bptt)");
    }
    r->t0 = r->t_log = comm_wtime();
    return start;
}

/* A non-finite loss or gradient norm at `step` (the same on every rank): abort, or count a
 * skipped update (--on-nonfinite skip). */
static void nonfinite(run_t *r, long step, const char *what) {
    const train_opts_t *o = r->o;
    char err[4400] = "";
    if (strcmp(o->on_nonfinite, "skip") != 0)
        comm_fail(70,
                  "non-finite %s at step %ld: nothing of it was applied or saved; lower --lr, set "
                  "--clip, or give --on-nonfinite skip (resume from the last checkpoint with "
                  "--resume auto)",
                  what, step);
    if (++r->state.skips > o->max_skips)
        comm_fail(70,
                  "non-finite %s at step %ld, %ld steps in a row (--max-skips %d): the run "
                  "diverged; lower --lr or set --clip and resume from the last checkpoint",
                  what, step, r->state.skips, o->max_skips);
    r->skipped_total++;
    /* The error feedback holds the non-finite gradient too: PowerSGD starts again. */
    if (r->psgd) comm_psgd_set_state(r->psgd, 0);
    if (r->rank == 0) {
        printf("drnn-train: step %ld: non-finite %s, update skipped (%ld in a row, %ld in all)\n",
               step, what, r->state.skips, r->skipped_total);
        if (metrics_skip(&r->metrics, step, what, r->state.skips, err, sizeof err) != 0)
            drnn_die(74, "%s", err);
    }
}

/* One optimizer step: this rank's part of the batch forward and backward, the gradient and
 * scalar reductions, clip and update, and (logged steps) the progress line and metrics. */
static void step_run(run_t *r, long step) {
    const train_opts_t *o = r->o;
    char err[4400] = "";
    size_t heap0 = mem_heap_in_use(); /* the kind's buffers grow with its batches: mem_report.h */
    int rc = r->kind->load_batch(r->k, step, err, sizeof err);
    mem_kind_track(&r->kind_mem, heap0);
    if (!rc && step == 3 && train_injected_fault(r, "step3"))
        rc = drnn_errf(err, sizeof err, 65, "corpus %s: read failed at step 3 (injected)", o->data);
    if (rc) drnn_die(rc, "%s", err); /* this rank's corpus read: MPI_Abort ends the job */
    const float scale = 1.0f / (float)r->kind->batch_norm(r->k);
    memset(r->grads, 0, sizeof(float) * r->P);
    r->over_time = r->rank == 0 && o->time_limit > 0 && comm_wtime() - r->t0 >= o->time_limit;
    kind_sums_t ks = {{0}};
    const int logged = step % o->log_every == 0 || step == r->total_steps;
    double *trace = r->trace && logged ? r->trace : NULL, trace_s = 0.0;
    if (trace) r->kind->trace_request(r->k, trace, &trace_s);
    const int compressed =
        r->psgd ? train_psgd_begin(r->psgd, step, o->powersgd_start, o->seed, r->rank) : 0;
    /* Starts each gradient bucket's reduction as soon as backward has finished it. */
    heap0 = mem_heap_in_use();
    r->kind->forward_backward(r->k, r->params, r->grads, step, scale, &ks);
    mem_kind_track(&r->kind_mem, heap0);
    if (trace) { /* the mean over every rank's streams (each has Bl) */
        comm_allreduce_sum_doubles(trace, (size_t)r->trace_L * r->trace_T);
        for (int i = 0; i < r->trace_L * r->trace_T; i++) trace[i] /= r->nranks;
    }
    if (injected_nan(r, step)) ks.v[KIND_LOSS] = NAN;
    double sums[KIND_SUMS_MAX + 1];
    const int ns = step_sums_pack(sums, &ks, r->kind->nsums, (stop_signal != 0) + r->over_time);
    double tc = comm_wtime();
    comm_phase_begin(step, "grad-allreduce");
    if (r->psgd)
        comm_psgd_wait(r->psgd);
    else
        comm_reduce_wait(r->red);
    if (compressed) train_psgd_dump(r->psgd, step, r->rank);
    comm_phase_begin(step, "scalar-reduce");
    comm_allreduce_sum_doubles(sums, ns);
    const double stop_flag = step_sums_unpack(&ks, sums, r->kind->nsums);
    comm_phase_end();
    r->comm_time += comm_wtime() - tc;
    double loss = ks.v[KIND_LOSS] / ks.v[KIND_COUNT];
    /* Loss and gradients are the same on every rank after the reductions: so is this. */
    double norm = grad_norm(r);
    int clipped = 0;
    if (!isfinite(loss) || !isfinite(norm)) {
        nonfinite(r, step, !isfinite(loss) ? "loss" : "gradient norm");
    } else {
        r->state.skips = 0;
        clip_and_update(r, step, norm, &clipped);
    }
    r->tokens += ks.v[KIND_TOKENS];
    r->tok_log += ks.v[KIND_TOKENS];
    r->stopped = stop_flag > 0.0 && step < r->total_steps; /* at the last step: just finish */
    if (r->rank == 0 && (logged || r->stopped)) {
        double now = comm_wtime(), dt = now - r->t_log;
        double tps = r->tok_log / (dt > 0 ? dt : 1e-9);
        double cf = (r->comm_time - r->comm_log) / (dt > 0 ? dt : 1e-9);
        train_progress(r, step, &ks, norm, clipped, tps, cf, now - r->t0);
        char *extra = train_step_extras(r, norm, clipped, trace, r->trace_L, r->trace_T, trace_s);
        int mrc = metrics_train(&r->metrics, step, r->tokens, loss, train_rate(r, step), norm,
                                clipped, tps, cf, now - r->t0, extra, err, sizeof err);
        free(extra);
        if (mrc != 0) drnn_die(mrc, "%s", err); /* rank 0 alone: MPI_Abort ends the job */
        r->t_log = now, r->comm_log = r->comm_time, r->tok_log = 0.0;
    }
}

/* --sample-every: rank 0 prints what the model does now; the others go on (nothing of it is
 * shared, and the kind leaves what training reads alone). */
static void sample(run_t *r, long step) {
    if (r->rank != 0) return;
    char err[4400] = "";
    if (train_live_tty()) printf("\n");
    const size_t heap0 = mem_heap_in_use();
    int rc = r->kind->sample(r->k, r->params, step, err, sizeof err);
    mem_kind_track(&r->kind_mem, heap0);
    fflush(stdout);
    if (rc) drnn_die(rc, "%s", err); /* rank 0 alone: MPI_Abort ends the job */
}

/* After step `step`: validation, checkpoint, the best checkpoint, early stop and a stop
 * signal's end. Returns 1 when the run ends here. */
static int after_step(run_t *r, long step) {
    const train_opts_t *o = r->o;
    char err[4400] = "";
    /* Validation every --eval-every steps and at the end; its figure feeds the plateau,
     * early-stopping and best-checkpoint state before the step's checkpoint saves it. */
    int best = 0, early = 0;
    if (r->kind->has_valid(r->k) &&
        ((o->eval_every > 0 && step % o->eval_every == 0) || step == r->total_steps)) {
        kind_sums_t v = evaluate(r);
        train_report_eval(r, step, &v);
        best = track_metric(r, step, &v) && (o->keep_best || o->early_stop > 0);
        early = o->early_stop > 0 && r->state.bad_evals >= o->early_stop;
    }
    if (o->sample_every > 0 && step % o->sample_every == 0) sample(r, step);
    if (step == r->total_steps || r->stopped || best || early ||
        (o->checkpoint_every > 0 && step % o->checkpoint_every == 0))
        train_ckpt_save(&r->ck, step, (step - 1) / r->steps_per_epoch,
                        (step - 1) % r->steps_per_epoch + 1, r->tokens);
    if (best) {
        int brc = r->rank == 0 ? ckpt_mark_best(o->run_dir, step, err, sizeof err) : 0;
        comm_agree(brc, err);
    }
    if (early) {
        if (r->rank == 0) {
            printf("drnn-train: early stop at step %ld: %s has not improved for %ld "
                   "evaluations; the best, %.6g at step %ld, is %s/ckpt/best\n",
                   step, r->metric, r->state.bad_evals,
                   higher_better(r) ? -r->state.best_metric : r->state.best_metric,
                   r->state.best_step, o->run_dir);
            fflush(stdout);
        }
        return 1;
    }
    if (r->stopped && r->rank == 0) {
        if (ckpt_mark_stopped(o->run_dir, step) != 0)
            fprintf(stderr, "drnn-train: warning: cannot write %s/stopped: %s\n", o->run_dir,
                    strerror(errno));
        printf("drnn-train: stopped after step %ld (%s); resume with --resume auto\n", step,
               r->over_time ? "--time-limit reached" : "stop signal");
        fflush(stdout);
    }
    return r->stopped;
}

/* The options in effect: o, with the defaults that depend on another option filled in as PyTorch
 * has them (--weight-decay: AdamW's 0.01, SGD's and Adam's 0), so that config.txt and the start
 * lines show the value the run uses and --config RUN/config.txt repeats it. */
static void effective_opts(train_opts_t *eff, const train_opts_t *o, const config_cli_t *cli) {
    *eff = *o;
    if (!config_given(cli, train_opt_spec, train_opt_count, "weight-decay"))
        eff->weight_decay = optim_parse(o->optimizer) == OPTIM_ADAMW ? 0.01 : 0.0;
}

int train_run(const train_opts_t *opts, const config_cli_t *cli) {
    static train_opts_t eff; /* 20 KiB: not on the stack */
    effective_opts(&eff, opts, cli);
    const train_opts_t *o = &eff;
    run_t r = {.o = o, .cli = cli, .rank = comm_rank(), .nranks = comm_size(), .B = o->batch};
    mem_policy_init();
    long start = setup(&r);
    r.start_step = start;
    for (long step = start + 1; step <= r.total_steps; step++) {
        step_run(&r, step);
        if (after_step(&r, step)) break;
    }
    char err[4400] = "";
    mem_budget_t mb = {4.0 * r.P, 4.0 * r.P, 4.0 * r.P * r.opt.nstate, r.kind_mem.peak,
                       r.rss_before};
    mem_report(&mb, r.rank, r.nranks);
    if (r.psgd)
        comm_psgd_free(r.psgd); /* and r.red, its own */
    else
        comm_reduce_free(r.red);
    comm_watchdog_stop();
    if (metrics_close(&r.metrics, err, sizeof err) != 0) drnn_die(74, "%s", err);
    r.kind->close(r.k);
    corpus_close(r.corpus);
    free(r.params), free(r.grads), free(r.trace);
    optim_free(&r.opt);
    return r.stopped ? 75 : 0;
}

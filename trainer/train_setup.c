/* trainer/train_setup.c — everything drnn-train does before its first step: the options'
 * checks, the corpus and the model kind, the run folder, the weights, the gradient reduction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/test_knobs.h"
#include "base/util.h"
#include "comm/comm.h"
#include "comm/watchdog.h"
#include "io/ckpt.h"
#include "io/corpus.h"
#include "io/fsutil.h"
#include "io/metrics.h"
#include "kinds/kinds.h"
#include "trainer/kind.h"
#include "trainer/mem_report.h"
#include "trainer/train.h"
#include "trainer/train_psgd.h"
#include "trainer/train_run.h"

/* Why option NAME does not act in this run (a model option the kind does not read, an Adam
 * option with SGD, --max-skips without skipping), or NULL when it does. */
static const char *not_applied(const run_t *r, const char *name) {
    static char why[512];
    const train_opts_t *o = r->o;
    if (train_in_list(train_kind_options, name) && !train_in_list(r->kind->options, name)) {
        snprintf(why, sizeof why, "does not apply to --model %s; its model options are: %s",
                 o->model, r->kind->options);
        return why;
    }
    if (train_in_list("beta1 beta2 eps", name) && optim_parse(o->optimizer) == OPTIM_SGD)
        return "is Adam's and AdamW's; --optimizer sgd does not use it";
    if (strcmp(name, "max-skips") == 0 && strcmp(o->on_nonfinite, "skip") != 0)
        return "counts skipped steps; it needs --on-nonfinite skip";
    if (strcmp(name, "min-delta") == 0 && o->lr_plateau >= 1.0 && o->early_stop <= 0 &&
        !o->keep_best)
        return "tells improvements apart for --lr-plateau, --early-stop and --keep-best; give one";
    if (strcmp(name, "powersgd-start") == 0 && o->powersgd == 0)
        return "sets when PowerSGD starts; it needs --powersgd R";
    if (strcmp(name, "sample-every") == 0 && !r->kind->sample) {
        snprintf(why, sizeof why, "does not apply to --model %s: it has no sample to print",
                 o->model);
        return why;
    }
    return NULL;
}

/* NAME is one of the space-separated words of LIST. */
int train_in_list(const char *list, const char *name) {
    const size_t len = strlen(name);
    for (const char *p = list; *p; p += strcspn(p, " "), p += *p == ' ')
        if (strncmp(p, name, len) == 0 && (p[len] == ' ' || p[len] == '\0')) return 1;
    return 0;
}

/* The longest path drnn makes under the run folder is a checkpoint shard being written,
 * RUN/ckpt/step-N.tmp/shard-R-of-W.h5: a folder too deep for it would train and then fail at
 * the first checkpoint, so it is refused before anything is created. */
static void check_run_dir_length(const run_t *r) {
    const train_opts_t *o = r->o;
    const long step = o->steps > 99999999 ? o->steps : 99999999;
    const int w = r->nranks > 99999 ? r->nranks : 99999;
    int n =
        snprintf(NULL, 0, "%s/ckpt/step-%08ld.tmp/shard-%05d-of-%05d.h5", o->run_dir, step, w, w);
    if (n >= PATH_MAX)
        comm_fail(64,
                  "--run-dir %.60s...: %zu characters; its checkpoint files would have paths of "
                  "%d, longer than the system allows (%d); choose a shorter folder",
                  o->run_dir, strlen(o->run_dir), n, PATH_MAX - 1);
}

void train_validate(run_t *r) {
    const train_opts_t *o = r->o;
    if (!o->data[0]) comm_fail(64, "--data is required (a corpus from drnn-prep; see --help)");
    if (!o->run_dir[0]) comm_fail(64, "--run-dir is required (see --help)");
    const drnn_kind_t *kd = kinds_find(o->model);
    if (!kd) comm_fail(64, "--model %s: expected one of %s", o->model, kinds_names());
    r->kind = kd->train, r->mops = kd->model;
    r->kopts = kind_opts_from(o);
    /* Options that do not act in this run are refused, not ignored (before the run folder is
     * touched). */
    for (int i = 0; i < train_opt_count; i++) {
        const char *why = not_applied(r, train_opt_spec[i].name);
        if (why && config_given(r->cli, train_opt_spec, train_opt_count, train_opt_spec[i].name))
            comm_fail(64, "--%s %s", train_opt_spec[i].name, why);
    }
    if (cell_parse(o->cell) < 0)
        comm_fail(64, "--cell %s: expected rnn, rnn_relu, gru or lstm", o->cell);
    if (optim_parse(o->optimizer) < 0)
        comm_fail(64, "--optimizer %s: expected sgd, adam or adamw", o->optimizer);
    if (o->momentum > 0 && optim_parse(o->optimizer) != OPTIM_SGD)
        comm_fail(64, "--momentum is SGD's; --optimizer %s uses --beta1 and --beta2", o->optimizer);
    if (strcmp(o->on_nonfinite, "abort") != 0 && strcmp(o->on_nonfinite, "skip") != 0)
        comm_fail(64, "--on-nonfinite %s: expected abort or skip", o->on_nonfinite);
    if ((o->lr_plateau < 1.0 || o->early_stop > 0 || o->keep_best) && o->eval_every <= 0)
        comm_fail(64, "--lr-plateau, --early-stop and --keep-best act on evaluations; give "
                      "--eval-every N");
    if (o->lr_decay != 1.0 && o->decay_every <= 0)
        comm_fail(64, "--lr-decay %g needs --decay-every N (steps between decays)", o->lr_decay);
    if (strcmp(o->allreduce_dtype, "fp32") != 0 && strcmp(o->allreduce_dtype, "bf16") != 0)
        comm_fail(64, "--allreduce-dtype %s: expected fp32 or bf16", o->allreduce_dtype);
    check_run_dir_length(r);
}

/* Test-only fault injection: DRNN_TEST_FAIL="WHAT:RANK" makes rank RANK fail at WHAT ("open":
 * opening the corpus, "step3": reading the batch of step 3), so tests can show that an error one
 * rank alone sees ends the whole job with that rank's message and exit code. */
int train_injected_fault(const run_t *r, const char *what) {
    const char *v = test_knob(KNOB_FAIL);
    size_t n = strlen(what);
    return v && strncmp(v, what, n) == 0 && v[n] == ':' && atoi(v + n + 1) == r->rank;
}

/* --metric must be a figure the kind reports; without it, the kind's first. */
void train_choose_metric(run_t *r) {
    static char first[16];
    const char *list = r->kind->metrics;
    size_t n = strcspn(list, " ");
    snprintf(first, sizeof first, "%.*s", (int)(n < sizeof first ? n : sizeof first - 1), list);
    r->metric = r->o->metric[0] ? r->o->metric : first;
    if (!train_in_list(list, r->metric))
        comm_fail(64, "--metric %s: a %s model reports %s", r->metric, r->o->model, list);
    if ((r->o->lr_plateau < 1.0 || r->o->early_stop > 0 || r->o->keep_best) &&
        !r->kind->has_valid(r->k))
        comm_fail(64,
                  "--lr-plateau, --early-stop and --keep-best watch the validation figures, "
                  "but --data %s has no valid split to score",
                  r->o->data);
}

/* Every rank opens the corpus and builds its part of the model kind; any rank's failure ends
 * the job on every rank with that rank's message. */
void train_open_data_and_model(run_t *r) {
    char err[4400] = "";
    comm_phase_begin(0, "open-corpus");
    int rc = corpus_open(&r->corpus, r->o->data, err, sizeof err);
    if (!rc && train_injected_fault(r, "open"))
        rc = drnn_errf(err, sizeof err, 65, "corpus %s: cannot read it on this rank (injected)",
                       r->o->data);
    if (!rc && strcmp(corpus_data_kind(r->corpus), r->kind->data) != 0) {
        const char *fits = kinds_for_data(corpus_data_kind(r->corpus));
        rc =
            drnn_errf(err, sizeof err, 64,
                      "--data %s holds %s data but --model %s trains on %s data (drnn-prep "
                      "--format %s); %s%s",
                      r->o->data, corpus_data_kind(r->corpus), r->o->model, r->kind->data,
                      r->kind->data, fits[0] ? "use --model " : "no model kind trains on it", fits);
    }
    if (!rc) rc = r->kind->describe(&r->desc, &r->kopts, r->corpus, err, sizeof err);
    if (!rc) rc = model_validate(r->mops, &r->desc, "options", err, sizeof err) ? 64 : 0;
    kind_env_t env = {&r->kopts, r->corpus, r->rank, r->nranks, r->B, r->Bl};
    size_t heap0 = mem_heap_in_use();
    r->rss_before = mem_peak_rss();
    if (!rc) rc = r->kind->open(&r->k, &r->desc, &env, err, sizeof err);
    mem_kind_track(&r->kind_mem, heap0);
    comm_agree(rc, err);
    comm_phase_end();
    r->steps_per_epoch = r->kind->steps_per_epoch(r->k);
    r->total_steps = r->o->steps > 0 ? r->o->steps : r->o->epochs * r->steps_per_epoch;
    if (r->total_steps <= 0) comm_fail(64, "--steps or --epochs must be positive");
}

/* config.txt and the start lines show what the run does: --epochs does nothing when --steps is
 * given, and the model options the kind does not read are left out (given, they are refused). */
const char *const *train_unused_options(const run_t *r) {
    static const char *skip[128];
    int n = 0;
    if (r->o->steps > 0) skip[n++] = "epochs";
    for (int i = 0; i < train_opt_count && n < 127; i++)
        if (not_applied(r, train_opt_spec[i].name)) skip[n++] = train_opt_spec[i].name;
    skip[n] = NULL;
    return skip;
}

/* Rank 0 creates the run folder (locking it, if it did not exist when the job started) and its
 * files; every rank learns the outcome. */
void train_prepare_run_dir(run_t *r) {
    char err[4400] = "";
    int rc = 0;
    if (r->rank == 0 && fs_mkdirs(r->o->run_dir) != 0)
        rc = drnn_errf(err, sizeof err, 74, "--run-dir %s: cannot create: %s", r->o->run_dir,
                       strerror(errno));
    comm_agree(rc, err);
    ckpt_lock_run_dir(r->o, r->rank, 1);
    if (r->rank == 0) {
        char path[4200];
        snprintf(path, sizeof path, "%s/config.txt", r->o->run_dir);
        FILE *f = fopen(path, "w");
        if (!f) {
            rc = drnn_errf(err, sizeof err, 74, "%s: cannot write: %s", path, strerror(errno));
        } else {
            config_write(f, r->o, train_opt_spec, train_opt_count, train_unused_options(r));
            if (fclose(f) != 0)
                rc = drnn_errf(err, sizeof err, 74, "%s: cannot write: %s", path, strerror(errno));
        }
        if (!rc) rc = metrics_open(&r->metrics, r->o->run_dir, err, sizeof err);
        if (!rc && ckpt_clear_stopped(r->o->run_dir) != 0)
            rc = drnn_errf(err, sizeof err, 74, "%s/stopped: cannot remove: %s", r->o->run_dir,
                           strerror(errno));
    }
    comm_agree(rc, err);
}

void train_build_model(run_t *r) {
    const train_opts_t *o = r->o;
    void *m = r->kind->model(r->k);
    const param_table_t *tab = r->mops->params(m);
    r->P = tab->total;
    r->params = calloc(r->P, sizeof(float));
    r->grads = calloc(r->P, sizeof(float));
    optim_cfg_t oc = {
        optim_parse(o->optimizer), o->momentum, o->beta1, o->beta2, o->eps, o->weight_decay};
    if (!r->params || !r->grads || optim_init(&r->opt, &oc, r->P) != 0)
        drnn_die(70, "out of memory for a model of %zu parameters", r->P);
    /* One rank draws or reads the initial weights; every rank starts from its bytes. */
    char err[4400] = "";
    int rc = 0;
    if (r->rank == 0 && o->init_from[0])
        rc = init_from_file(r->params, tab, &r->desc, o, r->corpus, err, sizeof err);
    else if (r->rank == 0)
        r->mops->init_params(m, r->params, o->seed);
    comm_phase_begin(0, "broadcast");
    comm_agree(rc, err);
    comm_bcast_floats(r->params, r->P, 0);
    comm_phase_end();
}

/* Backward reports finished gradient ranges and asks for progress once per time step; the
 * bucketed all-reduce (comm/reduce.h) overlaps them with the rest of BPTT. */
static void grads_ready(void *ctx, size_t offset, size_t count) {
    comm_reduce_ready(ctx, offset, count);
}
static void grads_progress(void *ctx) {
    comm_reduce_progress(ctx);
}

static void psgd_ready(void *ctx, size_t offset, size_t count) {
    comm_psgd_ready(ctx, offset, count);
}
static void psgd_progress(void *ctx) {
    comm_psgd_progress(ctx);
}

void train_setup_reduce(run_t *r) {
    comm_reduce_dtype_t dt =
        strcmp(r->o->allreduce_dtype, "bf16") == 0 ? COMM_REDUCE_BF16 : COMM_REDUCE_FP32;
    size_t bytes = (size_t)(r->o->bucket_mb * 1048576.0);
    void *m = r->kind->model(r->k);
    if (r->o->powersgd > 0) { /* trainer/train_psgd.h */
        r->psgd =
            train_psgd_create(r->grads, r->mops->params(m), r->o->powersgd, bytes, dt, r->rank);
        r->red = comm_psgd_full(r->psgd);
        backward_hooks_t hooks = {psgd_ready, psgd_progress, r->psgd};
        r->mops->set_hooks(m, &hooks);
        return;
    }
    r->red = comm_reduce_create(r->grads, r->P, bytes, dt);
    backward_hooks_t hooks = {grads_ready, grads_progress, r->red};
    r->mops->set_hooks(m, &hooks);
}

/* What drnn-train prints and logs (DESIGN §10): the start lines, the progress line, the
 * validation line, and a logged step's extra metrics members. Rank-local; no collectives. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "comm/comm.h"
#include "comm/reduce.h"
#include "trainer/train_run.h"

/* The extra members of a logged step's metrics record (--log-grad-norms, --trace-bptt), malloc'd
 * or NULL. */
char *train_step_extras(const run_t *r, double norm, int clipped, const double *trace, int L, int T,
                        double trace_s) {
    const train_opts_t *o = r->o;
    if (!o->log_grad_norms && !trace) return NULL;
    const param_table_t *tab = r->mops->params(r->kind->model(r->k));
    size_t cap = 64 + (size_t)tab->n * (PARAM_NAME_MAX + 24) + (size_t)L * T * 20 + (size_t)L * 4;
    char *s = calloc(cap, 1);
    if (!s) return NULL;
    size_t n = 0;
#define PUT(...) n += (size_t)snprintf(s + n, cap - n, __VA_ARGS__)
    if (o->log_grad_norms) {
        double coef = clipped ? o->clip / (norm + 1e-6) : 1.0;
        PUT(", \"clip_factor\": %.9g, \"grad_norms\": {", coef);
        for (int i = 0; i < tab->n; i++) {
            const param_tensor_t *t = &tab->t[i];
            double sq = 0.0;
            for (size_t j = 0; j < t->size; j++)
                sq += (double)r->grads[t->offset + j] * r->grads[t->offset + j];
            PUT("%s\"%s\": %.9g", i ? ", " : "", t->name, sqrt(sq));
        }
        PUT("}");
    }
    if (trace) {
        PUT(", \"trace_seconds\": %.6g, \"dJdh\": [", trace_s);
        for (int l = 0; l < L; l++) {
            PUT("%s[", l ? ", " : "");
            for (int t = 0; t < T; t++) PUT("%s%.9g", t ? ", " : "", trace[(size_t)l * T + t]);
            PUT("]");
        }
        PUT("]");
    }
#undef PUT
    DRNN_ASSERT(n < cap); /* cap counted every member above */
    return s;
}

static void fmt_duration(char *buf, size_t n, double s) {
    if (s < 0 || !isfinite(s))
        snprintf(buf, n, "?");
    else if (s < 60)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, n, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, n, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

/* One updating line only when run alone on a terminal: Open MPI gives ranks a pseudo-terminal
 * even when mpirun's own output goes to a file or a pipe, so launched ranks print plain lines. */
int train_live_tty(void) {
    static int tty = -1;
    if (tty < 0)
        tty = isatty(STDOUT_FILENO) && !getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_RANK") &&
              !getenv("PMIX_RANK") && !getenv("SLURM_PROCID");
    return tty;
}

void train_progress(run_t *r, long step, const kind_sums_t *s, double norm, int clipped, double tps,
                    double comm_frac, double elapsed) {
    char eta[32], fig[64];
    const double loss = s->v[KIND_LOSS] / s->v[KIND_COUNT];
    /* ELAPSED is this job's time: per step of this job, not of the resumed ones too */
    fmt_duration(eta, sizeof eta, elapsed / (step - r->start_step) * (r->total_steps - step));
    r->kind->step_report(s, fig, sizeof fig);
    int tty = train_live_tty();
    printf("%sstep %ld/%ld | epoch %ld | loss %.4f | %s | lr %g | gnorm %.3f%s | %.0f tok/s | "
           "comm %.1f%% | ETA %s%s",
           tty ? "\r" : "", step, r->total_steps, (step - 1) / r->steps_per_epoch + 1, loss, fig,
           train_rate(r, step), norm, clipped ? " (clipped)" : "", tps, 100.0 * comm_frac, eta,
           tty ? "\033[K" : "\n");
    fflush(stdout);
}

/* Rank 0 alone writes metrics.jsonl: a write that fails ends the job with 74 naming it. */
void train_report_eval(run_t *r, long step, const kind_sums_t *s) {
    if (r->rank != 0) return;
    char text[512], json[1024], err[4400] = "";
    r->kind->eval_report(s, text, sizeof text, json, sizeof json);
    printf("%svalid step %ld | %s\n", train_live_tty() ? "\n" : "", step, text);
    int rc = metrics_eval_fields(&r->metrics, step, "valid", json, err, sizeof err);
    fflush(stdout);
    if (rc) drnn_die(rc, "%s", err);
}

void train_print_start(const run_t *r, int threads) {
    if (r->rank != 0) return;
    char batch[64];
    if (r->kind->batch_text)
        r->kind->batch_text(r->k, batch, sizeof batch);
    else
        snprintf(batch, sizeof batch, "%d", r->B);
    char hosts[64] = "";
    if (comm_hosts() > 1)
        snprintf(hosts, sizeof hosts, " on %d hosts (at most %d per host)", comm_hosts(),
                 comm_most_per_host());
    printf("drnn-train: %s, %d rank%s%s x %d thread%s, %zu parameters, %ld steps of batch %s "
           "(%ld per epoch)\n",
           r->o->model, r->nranks, r->nranks > 1 ? "s" : "", hosts, threads, threads > 1 ? "s" : "",
           r->P, r->total_steps, batch, r->steps_per_epoch);
    config_write(stdout, r->o, train_opt_spec, train_opt_count, train_unused_options(r));
    if (r->nranks > 1)
        printf("drnn-train: gradient all-reduce: %s in %d bucket%s of at most %g MiB, "
               "comm_bytes %.0f per rank per step\n",
               r->o->allreduce_dtype, comm_reduce_buckets(r->red),
               comm_reduce_buckets(r->red) > 1 ? "s" : "", r->o->bucket_mb,
               comm_reduce_bytes_per_step(r->red));
    if (r->nranks > 1 && r->psgd)
        printf("drnn-train: powersgd from step %ld: comm_bytes %.0f per rank per step\n",
               r->o->powersgd_start + 1, comm_psgd_bytes_per_step(r->psgd));
    fflush(stdout);
}

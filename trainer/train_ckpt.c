#include "trainer/train_ckpt.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "comm/comm.h"
#include "comm/watchdog.h"
#include "io/ckpt.h"
#include "io/fsutil.h"
#include "model/model.h"
#include "base/util.h"

#define ERRLEN 4600

/* Rank 0: RUN/.lock, or 64 naming the job that holds it. */
static int take_lock(const char *run_dir, char *err, size_t n) {
    char path[4200], holder[320], host[256] = "";
    long pid = 0;
    snprintf(path, sizeof path, "%s/.lock", run_dir);
    int rc = fs_lock_file(path, holder, sizeof holder);
    if (rc < 0)
        return drnn_errf(err, n, 74, "%s: cannot create or lock: %s", path, strerror(errno));
    if (rc == 0) return 0;
    if (sscanf(holder, "%255s %ld", host, &pid) == 2)
        return drnn_errf(err, n, 64,
                         "--run-dir %s is in use by another drnn-train job (pid %ld on host %s "
                         "holds %s); wait for it to end, or choose another --run-dir",
                         run_dir, pid, host, path);
    return drnn_errf(err, n, 64,
                     "--run-dir %s is in use by another drnn-train job, which is just starting "
                     "(it holds %s); wait for it to end, or choose another --run-dir",
                     run_dir, path);
}

static int has_checkpoints(const char *run_dir) {
    return ckpt_exists(run_dir) || ckpt_newest_step(run_dir) >= 0;
}

void ckpt_lock_run_dir(const train_opts_t *o, int rank, int created) {
    static int held; /* rank 0: this process holds the lock */
    char err[ERRLEN] = "";
    struct stat st;
    int rc = 0;
    if (rank == 0 && !held && (created || stat(o->run_dir, &st) == 0)) {
        rc = take_lock(o->run_dir, err, sizeof err);
        held = rc == 0;
        /* The folder did not exist when this job started: whatever is in it now, another job
         * wrote while this one was starting. */
        if (!rc && created && has_checkpoints(o->run_dir))
            rc = drnn_errf(err, sizeof err, 64,
                           "--run-dir %s: another job wrote checkpoints into it while this one "
                           "was starting (nothing was overwritten); start again, with --resume "
                           "auto to continue them, or choose another --run-dir",
                           o->run_dir);
    }
    comm_agree(rc, err);
}

void ckpt_guard(const train_opts_t *o) {
    if (o->resume[0] != '\0' || !has_checkpoints(o->run_dir)) return;
    if (ckpt_exists(o->run_dir))
        comm_fail(64,
                  "--run-dir %s already has checkpoints; continue it with --resume auto, or "
                  "choose another --run-dir (nothing was overwritten)",
                  o->run_dir);
    comm_fail(64,
              "--run-dir %s already has checkpoints (step folders, but no ckpt/latest); continue "
              "from one with --resume %s/ckpt/step-%08ld (the newest), or choose another "
              "--run-dir (nothing was overwritten)",
              o->run_dir, o->run_dir, ckpt_newest_step(o->run_dir));
}

static const param_table_t *table_of(const train_ckpt_ctx_t *c) {
    return c->mops->params(c->kind->model(c->k));
}

/* Carried state of the kind: global items, floats per item (h part), whether a c part exists. */
typedef struct {
    int items, local, hf, has_c;
} state_shape_t;

static state_shape_t state_shape(const train_ckpt_ctx_t *c) {
    state_shape_t s = {c->kind->state_items ? c->kind->state_items(c->k) : 0, 0, 0, 0};
    if (s.items) {
        s.local = s.items / c->nranks;
        s.hf = c->kind->state_floats(c->k);
        s.has_c = c->kind->state_has_c(c->k);
    }
    return s;
}

static void fill_meta(ckpt_meta_t *m, const train_ckpt_ctx_t *c, long step, long epoch,
                      long batch_in_epoch, double tokens) {
    const train_opts_t *o = c->o;
    state_shape_t ss = state_shape(c);
    memset(m, 0, sizeof *m);
    m->step = step, m->epoch = epoch, m->batch_in_epoch = batch_in_epoch, m->tokens = tokens;
    m->world = c->nranks, m->batch = c->B, m->seq_len = o->seq_len;
    m->spm = corpus_spm(c->corpus);
    m->batch_tokens = o->batch_tokens;
    m->desc = *c->desc;
    snprintf(m->tokenizer, sizeof m->tokenizer, "%s", corpus_tokenizer(c->corpus));
    m->lr = o->lr, m->momentum = o->momentum, m->clip = o->clip, m->dropout = o->dropout;
    m->seed = o->seed;
    snprintf(m->corpus_uuid, sizeof m->corpus_uuid, "%s", corpus_uuid(c->corpus));
    m->train_tokens = corpus_split_tokens(c->corpus, CORPUS_TRAIN);
    m->valid_tokens = corpus_split_tokens(c->corpus, CORPUS_VALID);
    m->train_crc32 = corpus_split_crc32(c->corpus, CORPUS_TRAIN);
    m->valid_crc32 = corpus_split_crc32(c->corpus, CORPUS_VALID);
    const optim_t *op = c->opt;
    snprintf(m->optimizer, sizeof m->optimizer, "%s", optim_name(op->c.kind));
    m->nopt = op->have_state ? op->nstate : 0; /* SGD momentum exists after the first step */
    m->optim_steps = op->steps;
    m->beta1 = op->c.beta1, m->beta2 = op->c.beta2, m->eps = op->c.eps;
    m->weight_decay = op->c.weight_decay;
    const train_state_t *ts = c->state;
    m->lr_scale = ts->lr_scale, m->best_metric = ts->best_metric, m->best_step = ts->best_step;
    m->bad_evals = ts->bad_evals, m->skips = ts->skips;
    m->streams = ss.items;
    m->state_floats = ss.hf * (ss.has_c ? 2 : 1);
    size_t nq = 0;
    m->powersgd_rank = o->powersgd;
    m->powersgd_state =
        c->psgd && comm_psgd_has_state(c->psgd) && (comm_psgd_q_all(c->psgd, &nq), nq > 0);
}

void train_ckpt_save(const train_ckpt_ctx_t *c, long step, long epoch, long batch_in_epoch,
                     double tokens) {
    char err[ERRLEN] = "";
    const train_opts_t *o = c->o;
    double t0 = comm_wtime();
    state_shape_t ss = state_shape(c);
    uint64_t *ids = calloc((size_t)ss.local + 1, sizeof *ids);
    uint64_t *cur = calloc((size_t)ss.local + 1, sizeof *cur);
    float *h = calloc((size_t)ss.local * ss.hf + 1, sizeof *h);
    float *cs = ss.has_c ? calloc((size_t)ss.local * ss.hf, sizeof *cs) : NULL;
    double *crcs = calloc((size_t)c->nranks, sizeof *crcs);
    if (!ids || !cur || !h || (ss.has_c && !cs) || !crcs)
        drnn_die(70, "out of memory (checkpoint)");
    /* The whole commit is one watched phase: a rank stuck on storage ends the job (70). */
    comm_phase_begin(step, "checkpoint");
    int rc = c->rank == 0 ? ckpt_begin(o->run_dir, step, err, sizeof err) : 0;
    comm_agree(rc, err);
    if (ss.items) c->kind->state_pack(c->k, h, cs);
    for (int s = 0; s < ss.local; s++) ids[s] = (uint64_t)c->rank * ss.local + s, cur[s] = 0;
    ckpt_shard_t sh = {.rank = c->rank,
                       .world = c->nranks,
                       .nstreams = ss.local,
                       .stream_ids = ids,
                       .cursors = cur,
                       .h = h,
                       .c = cs,
                       .hfloats = ss.hf};
    ckpt_slice(c->P, c->rank, c->nranks, &sh.lo, &sh.hi);
    sh.params = c->params + sh.lo;
    sh.nopt = c->opt->have_state ? c->opt->nstate : 0;
    for (int i = 0; i < sh.nopt; i++) {
        sh.opt_names[i] = optim_state_name(c->opt, i);
        sh.opt[i] = c->opt->state[i] + sh.lo;
    }
    if (c->psgd && comm_psgd_has_state(c->psgd)) {
        sh.psgd_q = comm_psgd_q_all(c->psgd, &sh.npsgd_q);
        sh.psgd_error = comm_psgd_error(c->psgd, &sh.npsgd_error);
    }
    uint32_t crc = 0;
    rc = ckpt_write_shard(o->run_dir, step, &sh, o->ckpt_deflate, &crc, err, sizeof err);
    /* Every rank has left its shard by now. When any failed, rank 0 removes step-N.tmp/ before
     * comm_agree lets the failing ranks end the job. */
    if (comm_allreduce_max_int(rc) != 0 && c->rank == 0) ckpt_discard(o->run_dir, step);
    comm_agree(rc, err);
    crcs[c->rank] = crc; /* exact in a double; the sum gathers them */
    comm_allreduce_sum_doubles(crcs, c->nranks);

    if (c->rank == 0) {
        ckpt_meta_t m;
        fill_meta(&m, c, step, epoch, batch_in_epoch, tokens);
        size_t *lo = calloc((size_t)c->nranks, sizeof *lo);
        size_t *hi = calloc((size_t)c->nranks, sizeof *hi);
        uint32_t *cc = calloc((size_t)c->nranks, sizeof *cc);
        if (!lo || !hi || !cc) {
            ckpt_discard(o->run_dir, step);
            drnn_die(70, "out of memory (checkpoint)");
        }
        for (int r = 0; r < c->nranks; r++) {
            ckpt_slice(c->P, r, c->nranks, &lo[r], &hi[r]);
            cc[r] = (uint32_t)crcs[r];
        }
        rc = ckpt_commit(o->run_dir, &m, table_of(c), corpus_vocab(c->corpus),
                         corpus_label_names(c->corpus), corpus_tgt_vocab(c->corpus), lo, hi, cc,
                         o->ckpt_deflate, o->keep, err, sizeof err);
        free(lo), free(hi), free(cc);
    }
    comm_agree(rc, err);
    comm_phase_end();
    if (c->rank == 0) printf("checkpoint step-%08ld written in %.2f s\n", step, comm_wtime() - t0);
    free(ids), free(cur), free(h), free(cs), free(crcs);
}

/* Options that shape the model or the data layout must match the checkpoint. */
static int check_options(const ckpt_meta_t *m, const train_ckpt_ctx_t *c, const char *dir,
                         char *err, size_t n) {
    const train_opts_t *o = c->o;
    char where[4300];
    snprintf(where, sizeof where, "the checkpoint %s", dir);
    int rc = model_desc_compare(c->desc, &m->desc, where, err, n);
    /* The same content, not the same file: a corpus made again from the same text (a job script
     * that re-preps on requeue) has another uuid but equal split checksums and sizes. */
    if (rc == 65 || (!rc && (corpus_split_crc32(c->corpus, CORPUS_TRAIN) != m->train_crc32 ||
                             corpus_split_tokens(c->corpus, CORPUS_TRAIN) != m->train_tokens ||
                             corpus_split_crc32(c->corpus, CORPUS_VALID) != m->valid_crc32 ||
                             corpus_split_tokens(c->corpus, CORPUS_VALID) != m->valid_tokens)))
        return drnn_errf(err, n, 65,
                         "--data %s is not the corpus the checkpoint %s was trained on (uuid %s, "
                         "train crc32 %08x); resume with that corpus",
                         o->data, dir, m->corpus_uuid, m->train_crc32);
    if (rc) return rc;
    if (strcmp(m->optimizer, optim_name(c->opt->c.kind)) != 0)
        return drnn_errf(err, n, 64,
                         "--optimizer %s differs from the checkpoint %s (%.7s): its state would "
                         "not fit; resume with --optimizer %.7s",
                         optim_name(c->opt->c.kind), dir, m->optimizer, m->optimizer);
    if (c->B != m->batch)
        return drnn_errf(err, n, 64,
                         "--batch %d differs from the checkpoint %s (%d); resume with --batch %d",
                         c->B, dir, m->batch, m->batch);
    if (o->seed != m->seed)
        return drnn_errf(err, n, 64,
                         "--seed %llu differs from the checkpoint %s (%llu): the data order and "
                         "dropout follow the seed; resume with --seed %llu",
                         (unsigned long long)o->seed, dir, (unsigned long long)m->seed,
                         (unsigned long long)m->seed);
    if (c->kind->resume_check && (rc = c->kind->resume_check(c->k, m, dir, err, n)) != 0) return rc;
    state_shape_t ss = state_shape(c);
    int sf = ss.hf * (ss.has_c ? 2 : 1);
    if (m->streams != ss.items || m->state_floats != sf)
        return drnn_errf(err, n, 65, "checkpoint %s: carried state %d x %d, model %d x %d", dir,
                         m->streams, m->state_floats, ss.items, sf);
    return 0;
}

/* Rank 0: open, verify, check, read everything. rc -1: no checkpoint and --resume auto. */
static int load_rank0(const train_ckpt_ctx_t *c, float *h_all, float *c_all, long *step,
                      double *tokens, double *optim_steps, int *have_state, int psgd[3], char *err,
                      size_t n) {
    const train_opts_t *o = c->o;
    int autom = strcmp(o->resume, "auto") == 0;
    /* Step folders without latest: ckpt_open refuses (64) and names the newest. */
    if (autom && !has_checkpoints(o->run_dir)) return -1;
    ckpt_t *ck = NULL;
    int rc = ckpt_open(&ck, autom ? o->run_dir : o->resume, err, n);
    if (rc) return rc;
    const ckpt_meta_t *m = ckpt_meta(ck);
    rc = check_options(m, c, ckpt_dir(ck), err, n);
    if (!rc) rc = ckpt_check_table(ck, table_of(c), err, n);
    const char *names[OPTIM_MAX_STATE];
    for (int i = 0; i < c->opt->nstate; i++) names[i] = optim_state_name(c->opt, i);
    /* A state the options do not keep (SGD resumed without --momentum) is not read. */
    int nopt = m->nopt == c->opt->nstate ? m->nopt : 0;
    if (!rc) rc = ckpt_read(ck, c->params, nopt, names, c->opt->state, h_all, c_all, err, n);
    if (!rc) {
        *step = m->step, *tokens = m->tokens;
        *optim_steps = (double)m->optim_steps;
        *have_state = nopt > 0;
        psgd[0] = m->powersgd_rank, psgd[1] = m->powersgd_state, psgd[2] = m->world;
        train_state_t *ts = c->state;
        ts->lr_scale = m->lr_scale, ts->best_metric = m->best_metric;
        ts->best_step = m->best_step, ts->bad_evals = m->bad_evals, ts->skips = m->skips;
        printf("resuming from %s (step %ld, epoch %ld with %ld batches of it taken, written by %d "
               "rank%s)\n",
               ckpt_dir(ck), m->step, m->epoch + 1, m->batch_in_epoch, m->world,
               m->world > 1 ? "s" : "");
    }
    ckpt_close(ck);
    return rc;
}

/* PowerSGD's state of a checkpoint written by `world` ranks with --powersgd `R` (see
 * train_ckpt_resume). Collective. */
static void resume_psgd(const train_ckpt_ctx_t *c, int R, int world) {
    const train_opts_t *o = c->o;
    if (!c->psgd || R != o->powersgd) {
        if (c->rank == 0)
            printf("drnn-train: note: the checkpoint's PowerSGD state (rank %d) is dropped: this "
                   "run has --powersgd %d%s\n",
                   R, o->powersgd, o->powersgd ? "; its next compressed step starts afresh" : "");
        return;
    }
    char err[ERRLEN] = "--resume: ";
    const size_t pre = strlen(err);
    size_t nq = 0, ne = 0;
    float *q = comm_psgd_q_all(c->psgd, &nq), *e = comm_psgd_error(c->psgd, &ne);
    const int same = world == c->nranks;
    ckpt_t *ck = NULL;
    int rc = 0;
    if (same || c->rank == 0)
        rc = ckpt_open(&ck, strcmp(o->resume, "auto") == 0 ? o->run_dir : o->resume, err + pre,
                       sizeof err - pre);
    if (!rc && same) {
        rc = ckpt_read_powersgd(ck, c->rank, q, nq, e, ne, err + pre, sizeof err - pre);
    } else if (!rc && c->rank == 0) { /* the error feedback of every old rank, summed */
        float *tmp = calloc(ne + 1, sizeof *tmp);
        if (!tmp) drnn_die(70, "out of memory (resume)");
        rc = ckpt_read_powersgd(ck, 0, q, nq, e, ne, err + pre, sizeof err - pre);
        for (int s = 1; s < world && !rc; s++) {
            rc = ckpt_read_powersgd(ck, s, NULL, 0, tmp, ne, err + pre, sizeof err - pre);
            for (size_t i = 0; i < ne && !rc; i++) e[i] += tmp[i];
        }
        free(tmp);
    }
    if (ck) ckpt_close(ck);
    comm_agree(rc, err);
    if (!same) {
        comm_bcast_floats(q, nq, 0);
        if (c->rank != 0) memset(e, 0, sizeof(float) * ne);
        if (c->rank == 0)
            printf("drnn-train: note: PowerSGD's state was written by %d rank%s: Q goes on and "
                   "their error feedback, summed, goes to rank 0 (the compression sees only the "
                   "sum over ranks)\n",
                   world, world > 1 ? "s" : "");
    }
    comm_psgd_set_state(c->psgd, 1);
}

long train_ckpt_resume(const train_ckpt_ctx_t *c, double *tokens) {
    if (c->o->resume[0] == '\0') return 0;
    double t0 = comm_wtime();
    comm_phase_begin(0, "resume");   /* rank 0 reads while the others wait in a collective */
    char err[ERRLEN] = "--resume: "; /* the reader's message follows the prefix */
    const size_t pre = strlen(err);
    state_shape_t ss = state_shape(c);
    float *h_all = calloc((size_t)ss.items * ss.hf + 1, sizeof *h_all);
    float *c_all = ss.has_c ? calloc((size_t)ss.items * ss.hf, sizeof *c_all) : NULL;
    if (!h_all || (ss.has_c && !c_all)) drnn_die(70, "out of memory (resume)");
    long step = 0;
    int rc = 0;
    double scal[12] = {0}, optim_steps = 0.0;
    int have_state = 0, psgd[3] = {0, 0, 0};
    if (c->rank == 0)
        rc = load_rank0(c, h_all, c_all, &step, tokens, &optim_steps, &have_state, psgd, err + pre,
                        sizeof err - pre);
    comm_agree(rc > 0 ? rc : 0, err);
    if (comm_allreduce_max_int(rc == -1)) { /* auto, nothing to resume */
        free(h_all), free(c_all);
        if (c->rank == 0)
            printf("--resume auto: no checkpoint in %s, starting fresh\n", c->o->run_dir);
        comm_phase_end();
        return 0;
    }
    train_state_t *ts = c->state;
    if (c->rank == 0) {
        scal[0] = (double)step, scal[1] = *tokens, scal[2] = optim_steps;
        scal[3] = ts->lr_scale, scal[4] = ts->best_metric, scal[5] = (double)ts->best_step;
        scal[6] = (double)ts->bad_evals, scal[7] = (double)ts->skips, scal[8] = have_state;
        scal[9] = psgd[0], scal[10] = psgd[1], scal[11] = psgd[2];
    }
    comm_allreduce_sum_doubles(scal, 12); /* rank 0's values, exactly: the others add zeros */
    step = (long)scal[0], *tokens = scal[1], c->opt->steps = (long)scal[2];
    ts->lr_scale = scal[3], ts->best_metric = scal[4], ts->best_step = (long)scal[5];
    ts->bad_evals = (long)scal[6], ts->skips = (long)scal[7];
    c->opt->have_state = scal[8] != 0.0;
    comm_bcast_floats(c->params, c->P, 0);
    if (c->opt->have_state)
        for (int i = 0; i < c->opt->nstate; i++) comm_bcast_floats(c->opt->state[i], c->P, 0);
    if (ss.items) {
        comm_bcast_floats(h_all, (size_t)ss.items * ss.hf, 0);
        if (ss.has_c) comm_bcast_floats(c_all, (size_t)ss.items * ss.hf, 0);
        /* This rank's items, re-assigned by global id. */
        size_t first = (size_t)c->rank * ss.local * ss.hf;
        c->kind->state_unpack(c->k, h_all + first, ss.has_c ? c_all + first : NULL);
    }
    free(h_all), free(c_all);
    if (scal[10] != 0.0) resume_psgd(c, (int)scal[9], (int)scal[11]);
    if (c->rank == 0)
        printf("checkpoint step-%08ld verified, read and distributed in %.2f s\n", step,
               comm_wtime() - t0);
    comm_phase_end();
    return step;
}

void ckpt_trim_metrics(const char *run_dir, long step) {
    char path[4200], tmp[4300], line[8192];
    snprintf(path, sizeof path, "%s/metrics.jsonl", run_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *in = fopen(path, "r");
    if (!in) return;
    FILE *out = fopen(tmp, "w");
    if (!out) {
        fclose(in);
        drnn_die(74, "%s: cannot write: %s", tmp, strerror(errno));
    }
    int e = 0; /* errno of the first failure */
    while (!e && fgets(line, sizeof line, in)) {
        const char *p = strstr(line, "\"step\": ");
        if (p && atol(p + 8) > step) continue;
        if (fputs(line, out) < 0) e = errno;
    }
    if (!e && ferror(in)) e = EIO;
    if (!e && (fflush(out) != 0 || fsync(fileno(out)) != 0)) e = errno;
    fclose(in);
    if (fclose(out) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        unlink(tmp);
        drnn_die(74, "%s: cannot rewrite it without the records past step %ld: %s", path, step,
                 strerror(e));
    }
}

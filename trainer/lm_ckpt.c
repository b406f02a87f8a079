#include "trainer/lm_ckpt.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comm/comm.h"
#include "comm/watchdog.h"
#include "io/ckpt.h"

#define ERRLEN 4600

/* Every rank learns the worst return code; the message comes from rank 0's err (or a generic
 * one when only another rank failed). */
static void agree_or_fail(int rc, const char *err, const char *what) {
    int worst = comm_allreduce_max_int(rc);
    if (worst == 0) return;
    if (rc != 0) comm_fail(worst, "%s", err);
    comm_fail(worst, "%s failed on another rank (see its message above)", what);
}

void lm_ckpt_guard(const train_opts_t *o) {
    if (o->resume[0] == '\0' && ckpt_exists(o->run_dir))
        comm_fail(64,
                  "--run-dir %s already has checkpoints; continue it with --resume auto, or "
                  "choose another --run-dir (nothing was overwritten)",
                  o->run_dir);
}

static int is_lstm(const lm_t *lm) {
    return lm_config(lm)->cell == CELL_LSTM;
}

/* Per-stream state vectors [n, hf] <-> the model's [L*dirs, Bl, H] layout (h, then c). */
static void pack_state(float *h, float *c, const float *state, int Bl, int Ld, int H) {
    for (int s = 0; s < Bl; s++)
        for (int l = 0; l < Ld; l++) {
            size_t src = ((size_t)l * Bl + s) * H, dst = ((size_t)s * Ld + l) * H;
            memcpy(h + dst, state + src, sizeof(float) * H);
            if (c) memcpy(c + dst, state + (size_t)Ld * Bl * H + src, sizeof(float) * H);
        }
}

static void unpack_state(float *state, const float *h, const float *c, int Bl, int Ld, int H) {
    for (int s = 0; s < Bl; s++)
        for (int l = 0; l < Ld; l++) {
            size_t dst = ((size_t)l * Bl + s) * H, src = ((size_t)s * Ld + l) * H;
            memcpy(state + dst, h + src, sizeof(float) * H);
            if (c) memcpy(state + (size_t)Ld * Bl * H + dst, c + src, sizeof(float) * H);
        }
}

static void fill_meta(ckpt_meta_t *m, const lm_ckpt_ctx_t *c, long step, long epoch,
                      double tokens) {
    const train_opts_t *o = c->o;
    const lm_config_t *lc = lm_config(c->lm);
    memset(m, 0, sizeof *m);
    m->step = step, m->epoch = epoch, m->tokens = tokens;
    m->world = c->nranks, m->batch = c->B, m->seq_len = o->seq_len;
    snprintf(m->model, sizeof m->model, "%s", o->model);
    snprintf(m->cell, sizeof m->cell, "%s", o->cell);
    snprintf(m->tokenizer, sizeof m->tokenizer, "%s", corpus_tokenizer(c->corpus));
    m->embed = lc->embed, m->hidden = lc->hidden, m->layers = lc->layers;
    m->vocab_size = lc->vocab;
    m->lr = o->lr, m->momentum = o->momentum, m->clip = o->clip, m->dropout = o->dropout;
    m->seed = o->seed;
    snprintf(m->corpus_uuid, sizeof m->corpus_uuid, "%s", corpus_uuid(c->corpus));
    m->train_tokens = corpus_split_tokens(c->corpus, CORPUS_TRAIN);
    m->valid_tokens = corpus_split_tokens(c->corpus, CORPUS_VALID);
    m->train_crc32 = corpus_split_crc32(c->corpus, CORPUS_TRAIN);
    m->valid_crc32 = corpus_split_crc32(c->corpus, CORPUS_VALID);
    m->has_momentum = c->momentum && *c->has_momentum;
    m->state_floats = lm_state_size(c->lm);
}

void lm_ckpt_save(const lm_ckpt_ctx_t *c, long step, long epoch, double tokens) {
    char err[ERRLEN] = "";
    const train_opts_t *o = c->o;
    double t0 = comm_wtime();
    /* The whole commit is one watched phase: a rank stuck on storage ends the job (70). */
    comm_phase_begin(step, "checkpoint");
    int rc = c->rank == 0 ? ckpt_begin(o->run_dir, step, err, sizeof err) : 0;
    agree_or_fail(rc, err, "preparing the checkpoint folder");

    const int H = lm_config(c->lm)->hidden, lstm = is_lstm(c->lm);
    const int hf = lm_state_size(c->lm) / (lstm ? 2 : 1), Ld = hf / H;
    uint64_t *ids = calloc((size_t)c->Bl, sizeof *ids), *cur = calloc((size_t)c->Bl, sizeof *cur);
    float *h = calloc((size_t)c->Bl * hf, sizeof *h);
    float *cs = lstm ? calloc((size_t)c->Bl * hf, sizeof *cs) : NULL;
    double *crcs = calloc((size_t)c->nranks, sizeof *crcs);
    if (!ids || !cur || !h || (lstm && !cs) || !crcs) drnn_die(70, "out of memory (checkpoint)");
    pack_state(h, cs, c->state, c->Bl, Ld, H);
    for (int s = 0; s < c->Bl; s++) ids[s] = (uint64_t)c->rank * c->Bl + s, cur[s] = 0;
    ckpt_shard_t sh = {.rank = c->rank,
                       .world = c->nranks,
                       .nstreams = c->Bl,
                       .stream_ids = ids,
                       .cursors = cur,
                       .h = h,
                       .c = cs,
                       .hfloats = hf};
    ckpt_slice(c->P, c->rank, c->nranks, &sh.lo, &sh.hi);
    sh.params = c->params + sh.lo;
    sh.momentum = c->momentum && *c->has_momentum ? c->momentum + sh.lo : NULL;
    uint32_t crc = 0;
    rc = ckpt_write_shard(o->run_dir, step, &sh, o->ckpt_deflate, &crc, err, sizeof err);
    agree_or_fail(rc, err, "writing a checkpoint shard");
    crcs[c->rank] = crc; /* exact in a double; the sum gathers them */
    comm_allreduce_sum_doubles(crcs, c->nranks);

    if (c->rank == 0) {
        ckpt_meta_t m;
        fill_meta(&m, c, step, epoch, tokens);
        size_t *lo = calloc((size_t)c->nranks, sizeof *lo),
               *hi = calloc((size_t)c->nranks, sizeof *hi);
        uint32_t *cc = calloc((size_t)c->nranks, sizeof *cc);
        if (!lo || !hi || !cc) drnn_die(70, "out of memory (checkpoint)");
        for (int r = 0; r < c->nranks; r++) {
            ckpt_slice(c->P, r, c->nranks, &lo[r], &hi[r]);
            cc[r] = (uint32_t)crcs[r];
        }
        rc = ckpt_commit(o->run_dir, &m, lm_params(c->lm), corpus_vocab(c->corpus), lo, hi, cc,
                         o->ckpt_deflate, o->keep, err, sizeof err);
        free(lo), free(hi), free(cc);
    }
    agree_or_fail(rc, err, "committing the checkpoint");
    comm_phase_end();
    if (c->rank == 0) printf("checkpoint step-%08ld written in %.2f s\n", step, comm_wtime() - t0);
    free(ids), free(cur), free(h), free(cs), free(crcs);
}

/* Options that shape the model or the data layout must match the checkpoint. */
static int check_options(const ckpt_meta_t *m, const lm_ckpt_ctx_t *c, const char *dir, char *err,
                         size_t n) {
    const train_opts_t *o = c->o;
    const lm_config_t *lc = lm_config(c->lm);
#define SAME_INT(opt, mine, theirs)                                                                \
    if ((mine) != (theirs)) {                                                                      \
        snprintf(err, n, "--%s %d differs from the checkpoint %s (%d); resume with --%s %d", opt,  \
                 (int)(mine), dir, (int)(theirs), opt, (int)(theirs));                             \
        return 64;                                                                                 \
    }
#define SAME_STR(opt, mine, theirs)                                                                \
    if (strcmp((mine), (theirs)) != 0) {                                                           \
        snprintf(err, n, "--%s %s differs from the checkpoint %s (%s); resume with --%s %s", opt,  \
                 (mine), dir, (theirs), opt, (theirs));                                            \
        return 64;                                                                                 \
    }
    SAME_STR("model", o->model, m->model);
    SAME_STR("cell", o->cell, m->cell);
    SAME_INT("embed", lc->embed, m->embed);
    SAME_INT("hidden", lc->hidden, m->hidden);
    SAME_INT("layers", lc->layers, m->layers);
    SAME_INT("batch", c->B, m->batch);
    SAME_INT("seq-len", o->seq_len, m->seq_len);
#undef SAME_INT
#undef SAME_STR
    if (strcmp(corpus_uuid(c->corpus), m->corpus_uuid) != 0 ||
        corpus_split_crc32(c->corpus, CORPUS_TRAIN) != m->train_crc32 ||
        corpus_split_tokens(c->corpus, CORPUS_TRAIN) != m->train_tokens ||
        lc->vocab != m->vocab_size) {
        snprintf(err, n,
                 "--data %s is not the corpus the checkpoint %s was trained on (uuid %s, train "
                 "crc32 %08x); resume with that corpus",
                 o->data, dir, m->corpus_uuid, m->train_crc32);
        return 65;
    }
    if (m->state_floats != lm_state_size(c->lm)) {
        snprintf(err, n, "checkpoint %s: stream state size %d, model %d", dir, m->state_floats,
                 lm_state_size(c->lm));
        return 65;
    }
    return 0;
}

/* Rank 0: open, verify, check, read everything. rc -1: no checkpoint and --resume auto. */
static int load_rank0(const lm_ckpt_ctx_t *c, float *h_all, float *c_all, long *step,
                      double *tokens, int *has_mom, char *err, size_t n) {
    const train_opts_t *o = c->o;
    int autom = strcmp(o->resume, "auto") == 0;
    if (autom && !ckpt_exists(o->run_dir)) return -1;
    ckpt_t *ck = NULL;
    int rc = ckpt_open(&ck, autom ? o->run_dir : o->resume, err, n);
    if (rc) return rc;
    const ckpt_meta_t *m = ckpt_meta(ck);
    rc = check_options(m, c, ckpt_dir(ck), err, n);
    if (!rc) rc = ckpt_check_table(ck, lm_params(c->lm), err, n);
    if (!rc) rc = ckpt_read(ck, c->params, c->momentum, h_all, c_all, err, n);
    if (!rc) {
        *step = m->step, *tokens = m->tokens;
        *has_mom = m->has_momentum && c->momentum;
        printf("resuming from %s (step %ld, written by %d rank%s)\n", ckpt_dir(ck), m->step,
               m->world, m->world > 1 ? "s" : "");
    }
    ckpt_close(ck);
    return rc;
}

long lm_ckpt_resume(const lm_ckpt_ctx_t *c, double *tokens) {
    if (c->o->resume[0] == '\0') return 0;
    double t0 = comm_wtime();
    comm_phase_begin(0, "resume"); /* rank 0 reads while the others wait in a collective */
    char err[ERRLEN] = "";
    const int H = lm_config(c->lm)->hidden, lstm = is_lstm(c->lm);
    const int hf = lm_state_size(c->lm) / (lstm ? 2 : 1), Ld = hf / H;
    float *h_all = calloc((size_t)c->B * hf, sizeof *h_all);
    float *c_all = lstm ? calloc((size_t)c->B * hf, sizeof *c_all) : NULL;
    if (!h_all || (lstm && !c_all)) drnn_die(70, "out of memory (resume)");
    long step = 0;
    int has_mom = 0, rc = 0;
    double scal[3] = {0, 0, 0};
    if (c->rank == 0) rc = load_rank0(c, h_all, c_all, &step, tokens, &has_mom, err, sizeof err);
    int worst = comm_allreduce_max_int(rc);
    if (worst > 0) {
        if (rc > 0) comm_fail(rc, "--resume: %s", err);
        comm_fail(worst, "--resume failed on rank 0");
    }
    if (comm_allreduce_max_int(rc == -1)) { /* auto, nothing to resume */
        free(h_all), free(c_all);
        if (c->rank == 0)
            printf("--resume auto: no checkpoint in %s, starting fresh\n", c->o->run_dir);
        comm_phase_end();
        return 0;
    }
    if (c->rank == 0) scal[0] = (double)step, scal[1] = *tokens, scal[2] = has_mom;
    comm_allreduce_sum_doubles(scal, 3);
    step = (long)scal[0], *tokens = scal[1];
    comm_bcast_floats(c->params, c->P, 0);
    if (c->momentum) {
        *c->has_momentum = scal[2] != 0.0;
        if (*c->has_momentum) comm_bcast_floats(c->momentum, c->P, 0);
    }
    comm_bcast_floats(h_all, (size_t)c->B * hf, 0);
    if (lstm) comm_bcast_floats(c_all, (size_t)c->B * hf, 0);
    /* This rank's streams, re-assigned by global id. */
    size_t first = (size_t)c->rank * c->Bl * hf;
    unpack_state(c->state, h_all + first, lstm ? c_all + first : NULL, c->Bl, Ld, H);
    free(h_all), free(c_all);
    if (c->rank == 0)
        printf("checkpoint step-%08ld verified, read and distributed in %.2f s\n", step,
               comm_wtime() - t0);
    comm_phase_end();
    return step;
}

void lm_ckpt_trim_metrics(const char *run_dir, long step) {
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
    while (fgets(line, sizeof line, in)) {
        const char *p = strstr(line, "\"step\": ");
        if (p && atol(p + 8) > step) continue;
        fputs(line, out);
    }
    fclose(in);
    if (fflush(out) != 0 || fsync(fileno(out)) != 0 || fclose(out) != 0 || rename(tmp, path) != 0)
        drnn_die(74, "%s: cannot rewrite: %s", path, strerror(errno));
}

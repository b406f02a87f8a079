#include "trainer/s2s_eval.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "io/fsutil.h"

int s2s_eval_pairs(const s2s_eval_t *e, const float *params, const s2s_pairs_t *p, double *sums) {
    const int Bmax = e->batch->Bmax;
    s2s_score_t *ids = s2s_score_new(), *text = s2s_score_new();
    char *hb = NULL, *rb = NULL;
    size_t hc = 0, rc = 0;
    int bad = 0, werr = 0;
    search_hyp_t *hyp = drnn_calloc((size_t)Bmax * search_n_best(e->search), sizeof *hyp);
    for (uint64_t i = 0; i < p->n; i += (uint64_t)Bmax) {
        int m = p->n - i < (uint64_t)Bmax ? (int)(p->n - i) : Bmax;
        s2s_batch_fill(e->batch, p, i, m);
        const seq2seq_batch_t *bt = &e->batch->bt;
        sums[S2S_EVAL_LOSS] += seq2seq_forward(e->m, params, bt, 0);
        sums[S2S_EVAL_TGT] += (double)e->batch->tgt_tokens;
        sums[S2S_EVAL_TOKENS] += (double)e->batch->tokens;
        search_run(e->search, params, bt->src, bt->src_lens, bt->Ts, m, hyp);
        for (int j = 0; j < m; j++) {
            const search_hyp_t *h = &hyp[(size_t)j * search_n_best(e->search)];
            const uint32_t *ref = p->tgt + p->toff[i + j];
            int rl = (int)(p->toff[i + j + 1] - p->toff[i + j]);
            int hl = h->len - (h->len > 0 && h->tokens[h->len - 1] == S2S_EOS);
            const char *ht = s2s_ids_text(e->tgt_vocab, h->tokens, hl, e->spaced, e->spm, &hb, &hc);
            const char *rt = s2s_ids_text(e->tgt_vocab, ref, rl, e->spaced, e->spm, &rb, &rc);
            s2s_score_add_ids(ids, h->tokens, (size_t)hl, ref, (size_t)rl);
            s2s_score_add_text(text, ht, rt);
            /* After a failed write, no more: errno keeps the reason for the caller. */
            if (!bad && e->hyp && fprintf(e->hyp, "%s\n", ht) < 0) bad = 1, werr = errno;
            if (!bad && e->ref && fprintf(e->ref, "%s\n", rt) < 0) bad = 1, werr = errno;
        }
    }
    uint64_t c[S2S_SCORE_NCOUNTS];
    s2s_score_counts(ids, c);
    for (int j = 0; j < S2S_SCORE_NCOUNTS; j++) sums[S2S_EVAL_IDS + j] += (double)c[j];
    s2s_score_counts(text, c);
    for (int j = 0; j < S2S_SCORE_NCOUNTS; j++) sums[S2S_EVAL_TEXT + j] += (double)c[j];
    s2s_score_free(ids), s2s_score_free(text);
    free(hb), free(rb), free(hyp);
    errno = werr;
    return bad ? 74 : 0;
}

double s2s_eval_figure(const double *sums, const char *name) {
    uint64_t c[S2S_SCORE_NCOUNTS];
    s2s_score_result_t r;
    int text = strcmp(name, "bleu") == 0;
    for (int j = 0; j < S2S_SCORE_NCOUNTS; j++)
        c[j] = (uint64_t)sums[(text ? S2S_EVAL_TEXT : S2S_EVAL_IDS) + j];
    s2s_score_from_counts(&r, c);
    double loss = sums[S2S_EVAL_LOSS] / sums[S2S_EVAL_TGT];
    return !strcmp(name, "loss")          ? loss
           : !strcmp(name, "ppl")         ? exp(loss)
           : text                         ? r.bleu
           : !strcmp(name, "exact_match") ? r.exact_match
           : !strcmp(name, "edit_rate")   ? r.edit_rate
                                          : NAN;
}

void s2s_eval_format(const double *sums, char *text, size_t tn, char *json, size_t jn) {
    uint64_t c[S2S_SCORE_NCOUNTS];
    s2s_score_result_t ids, txt;
    for (int j = 0; j < S2S_SCORE_NCOUNTS; j++) c[j] = (uint64_t)sums[S2S_EVAL_IDS + j];
    s2s_score_from_counts(&ids, c);
    for (int j = 0; j < S2S_SCORE_NCOUNTS; j++) c[j] = (uint64_t)sums[S2S_EVAL_TEXT + j];
    s2s_score_from_counts(&txt, c);
    double loss = sums[S2S_EVAL_TGT] > 0 ? sums[S2S_EVAL_LOSS] / sums[S2S_EVAL_TGT] : NAN;
    snprintf(text, tn, "loss %.4f | ppl %.3f | exact %.4f | edit %.4f | BLEU %.2f (%llu pairs)",
             loss, exp(loss), ids.exact_match, ids.edit_rate, txt.bleu,
             (unsigned long long)ids.pairs);
    snprintf(json, jn,
             "\"loss\": %.9g, \"ppl\": %.9g, \"exact_match\": %.9g, \"edit_rate\": %.9g, "
             "\"bleu\": %.9g, \"bp\": %.9g, \"pairs\": %llu, \"tokens\": %.17g",
             loss, exp(loss), ids.exact_match, ids.edit_rate, txt.bleu, txt.bp,
             (unsigned long long)ids.pairs, sums[S2S_EVAL_TGT]);
}

/* ---- --hyp-out: hypotheses to PATH, references to PATH.ref -------------------------------------
 * Both are written through temporaries (io/fsutil.h) and renamed into place only once both are
 * complete, so a good earlier pair is never truncated or left half-written. */
typedef struct {
    char path[2][4200], tmp[2][4300];
    FILE *f[2];
} hyp_out_t;

/* Removes both temporaries and dies naming file k's path, the flag and why (errno e). */
static void hyp_out_fail(hyp_out_t *h, int k, const char *what, int e) {
    for (int i = 0; i < 2; i++) fs_tmp_discard(h->f[i], h->tmp[i]);
    drnn_die(74, "--hyp-out %s: cannot %s: %s", h->path[k], what,
             fs_write_reason(e, h->path[k], 0));
}

static void hyp_out_open(hyp_out_t *h, const char *path) {
    memset(h, 0, sizeof *h);
    snprintf(h->path[0], sizeof h->path[0], "%s", path);
    snprintf(h->path[1], sizeof h->path[1], "%s.ref", path);
    for (int k = 0; k < 2; k++)
        if (!(h->f[k] = fs_tmp_fopen(h->tmp[k], sizeof h->tmp[k], h->path[k])))
            hyp_out_fail(h, k, "create it", errno);
}

/* Flushes, syncs and closes both (rc: 74 when a write already failed, errno telling why). */
static void hyp_out_close(hyp_out_t *h, int rc) {
    if (rc) hyp_out_fail(h, ferror(h->f[0]) ? 0 : 1, "write it", errno);
    for (int k = 0; k < 2; k++) {
        FILE *f = h->f[k];
        h->f[k] = NULL;
        if (fs_tmp_fclose(f) != 0) hyp_out_fail(h, k, "write it", errno);
    }
}

static void hyp_out_commit(hyp_out_t *h) {
    for (int k = 0; k < 2; k++) {
        int c = fs_tmp_commit(h->tmp[k], h->path[k]);
        h->tmp[k][0] = '\0';
        if (c != 0) hyp_out_fail(h, k, c == -1 ? "put it in place" : "sync its folder", errno);
    }
}

int s2s_eval_run(const model_file_t *m, const s2s_eval_opts_t *o) {
    char err[8192];
    corpus_t *c = NULL;
    int rc = corpus_open(&c, o->data, err, sizeof err);
    if (rc) drnn_die(rc, "%s", err);
    if (strcmp(corpus_data_kind(c), "pairs") != 0)
        drnn_die(65,
                 "--data %s holds %s data; a seq2seq model is scored on pairs (drnn-prep "
                 "--format pairs)",
                 o->data, corpus_data_kind(c));
    if ((rc = model_info_match_corpus(&m->info, m->path, c, err, sizeof err)))
        drnn_die(rc, "%s", err);
    s2s_index_t ix;
    if ((rc = s2s_index_read(&ix, c, o->split, err, sizeof err))) drnn_die(rc, "%s", err);
    const char *split = corpus_split_names[o->split];
    if (ix.n == 0) drnn_die(64, "--split %s: %s has no %s pairs", split, o->data, split);
    uint64_t *ids = drnn_calloc(ix.n, sizeof *ids);
    for (uint64_t i = 0; i < ix.n; i++) ids[i] = i;
    s2s_pairs_t p;
    if ((rc = s2s_pairs_read(&p, c, o->split, &ix, ids, ix.n, err, sizeof err)))
        drnn_die(rc, "%s", err);
    free(ids);
    s2s_index_free(&ix);
    const model_desc_t *d = &m->info.desc;
    search_opts_t so = {
        o->beam > 1 ? o->beam : 0, 1, (float)o->length_penalty, (float)o->max_ratio, TOK_BOS,
        TOK_SEQ2SEQ_EOS,           0};
    s2s_batch_t batch;
    s2s_batch_alloc(&batch, p.longest, o->batch);
    s2s_eval_t e = {seq2seq_create(d, p.longest, o->batch),
                    search_create(d, &so, p.longest, o->batch),
                    &batch,
                    (const char *const *)m->info.tgt_vocab,
                    strcmp(m->info.tokenizer, "word") == 0,
                    NULL,
                    NULL,
                    NULL};
    tok_vocab_t *spm = NULL;
    if (strcmp(m->info.tokenizer, "spm") == 0 &&
        !(spm = model_info_vocab(&m->info, 1, err, sizeof err)))
        drnn_die(65, "%s: %s", m->path, err);
    e.spm = spm;
    hyp_out_t h;
    if (o->hyp_out) {
        hyp_out_open(&h, o->hyp_out);
        e.hyp = h.f[0], e.ref = h.f[1];
    }
    double sums[S2S_EVAL_N] = {0};
    rc = s2s_eval_pairs(&e, m->params, &p, sums);
    if (o->hyp_out) hyp_out_close(&h, rc);
    tok_vocab_free(spm);
    /* dying here removes the temporaries (drnn_die): an earlier good pair stays */
    if (!isfinite(sums[S2S_EVAL_LOSS]))
        drnn_die(70, "%s: non-finite loss on %s (does the model hold NaN or Inf?)", m->path,
                 o->data);
    if (o->hyp_out) hyp_out_commit(&h);
    char text[512], json[1024];
    s2s_eval_format(sums, text, sizeof text, json, sizeof json);
    fprintf(o->json ? stderr : stdout, "%s on %s %s (%s): %s\n", m->path, o->data, split,
            o->beam > 1 ? "beam" : "greedy", text);
    if (o->json) printf("{%s}\n", json);
    seq2seq_free(e.m);
    search_free(e.search);
    s2s_batch_free(&batch);
    s2s_pairs_free(&p);
    corpus_close(c);
    return 0;
}

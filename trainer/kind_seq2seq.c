/* Sequence-to-sequence with attention on the training seam (trainer/kind.h, DESIGN §5).
 *
 * Batches are made once, from the seed alone, and never depend on the rank count: the train
 * pairs in a Philox order keyed by the seed, less those with a side longer than --max-pair-len
 * tokens (a batch's buffers grow with its longest pair: one very long pair would take the machine),
 * are sorted by length (padded size max(source, target with <eos>), then target, then source,
 * ties by that order), then cut into consecutive global batches — of --batch pairs (the first
 * ⌊n/B⌋·B kept pairs of the Philox order), or, with --batch-tokens N, as many pairs as keep
 * (pairs × longest padded size) <= N (at least one). So padding stays small, and a pair that is
 * longer than the budget is a batch alone. Each epoch takes the batches in a Philox order keyed by
 * (seed, epoch). Rank r of N takes pairs [r·n/N, (r+1)·n/N) of each global batch of n pairs,
 * reading them from the corpus when the batch comes (it keeps the pair boundaries, 16 bytes a pair,
 * and its pairs' ids, not their tokens). The loss is normalized by the global batch's target
 * tokens, so N ranks equal one rank; the data position is a function of the step, so a resumed run,
 * on any rank count, takes the very next batch.
 *
 * Validation: the valid pairs (less those longer than --max-pair-len) sorted by length, rank r
 * scoring [r·n/N, (r+1)·n/N): teacher-forced loss per target token, then greedy decoding
 * (model/search.h) scored by exact match, token edit rate (on ids) and corpus BLEU (on the
 * detokenized text, sacreBLEU's defaults; trainer/s2s_score.h), all from counts added over ranks.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/rng.h"
#include "base/test_knobs.h"
#include "model/search.h"
#include "model/seq2seq.h"
#include "base/util.h"
#include "io/ckpt.h"
#include "trainer/kind.h"
#include "trainer/s2s_data.h"
#include "trainer/s2s_eval.h"

/* An evaluation's figures in kind_sums_t.v: loss, count and tokens first, as every kind's,
 * then the decoding's counts (s2s_eval.h's from S2S_EVAL_IDS on) from S2S_SUMS_IDS — after one
 * unused entry, the positions they have always had in the reduction. */
#define S2S_SUMS_IDS 4
_Static_assert(S2S_SUMS_IDS + S2S_EVAL_N - S2S_EVAL_IDS <= KIND_SUMS_MAX,
               "KIND_SUMS_MAX too small for seq2seq");
_Static_assert(S2S_EVAL_LOSS == KIND_LOSS && S2S_EVAL_TGT == KIND_COUNT &&
                   S2S_EVAL_TOKENS == KIND_TOKENS,
               "seq2seq's sums start as every kind's");

/* s2s_eval.h's sums [S2S_EVAL_N] <-> kind_sums_t. */
static void to_kind_sums(kind_sums_t *s, const double *sums) {
    memcpy(s->v, sums, sizeof(double) * S2S_EVAL_IDS);
    memcpy(s->v + S2S_SUMS_IDS, sums + S2S_EVAL_IDS, sizeof(double) * (S2S_EVAL_N - S2S_EVAL_IDS));
}
static void from_kind_sums(double *sums, const kind_sums_t *s) {
    memcpy(sums, s->v, sizeof(double) * S2S_EVAL_IDS);
    memcpy(sums + S2S_EVAL_IDS, s->v + S2S_SUMS_IDS, sizeof(double) * (S2S_EVAL_N - S2S_EVAL_IDS));
}

struct kind_ctx {
    kind_env_t env;
    seq2seq_t *m;
    search_t *greedy; /* validation decoding, made at the first evaluation */
    int Tmax, Bmax;   /* this rank's largest pair and share of a batch (bounds; the buffers
                       * grow with the batches actually loaded) */
    long spe;         /* global batches = steps per epoch */
    uint64_t *bstart; /* [spe+1] global batch b is sorted pairs [bstart[b], bstart[b+1]) */
    double *norm;     /* [spe] target tokens of global batch b */
    uint64_t *lstart; /* [spe+1] this rank's share of batch b: pairs [lstart[b], lstart[b+1]) */
    uint64_t *slot0;  /* [spe] slot in batch b of this rank's first pair (dropout keys) */
    long *border;     /* [spe] batch order of epoch `epoch` */
    long epoch, cur;  /* cur: the loaded batch */
    uint64_t nvalid;  /* valid pairs kept (on every rank: the global count) */
    uint64_t cut[2];  /* train and valid pairs left out by --max-pair-len */
    s2s_index_t ix;   /* the train pairs' boundaries */
    uint64_t *ids;    /* [lstart[spe]] this rank's train pairs, batch after batch */
    s2s_pairs_t bp;   /* the loaded batch's pairs */
    s2s_pairs_t valid;
    s2s_batch_t batch;
    int spaced;          /* word tokens: text joins them with spaces */
    tok_vocab_t *spm[2]; /* spm: the source and target vocabularies, to detokenize; else NULL */
    FILE *trace;         /* DRNN_TRACE_BATCHES: rank 0 writes "step batch" per step */
};

static int s2s_describe(model_desc_t *d, const kind_opts_t *o, const corpus_t *c, char *err,
                        size_t errlen) {
    int rc = kind_describe_common(d, o, c, err, errlen);
    if (rc) return rc;
    d->tgt_vocab = corpus_tgt_vocab_size(c);
    d->attention = model_attention_parse(o->attention);
    if (d->attention < 0)
        return drnn_errf(err, errlen, 64, "--attention %s: expected dot or general", o->attention);
    if (d->attention == ATTN_DOT && d->bidirectional)
        return drnn_errf(err, errlen, 64,
                         "--attention dot scores decoder states against encoder states of the "
                         "same width; a bidirectional encoder's are twice as wide: use "
                         "--attention general");
    rc = kind_check_full_softmax(o, err, errlen);
    return rc ? rc : s2s_check_specials(c, err, errlen);
}

static void s2s_close(kind_ctx_t *k) {
    if (!k) return;
    seq2seq_free(k->m);
    search_free(k->greedy);
    tok_vocab_free(k->spm[0]), tok_vocab_free(k->spm[1]);
    free(k->bstart), free(k->norm), free(k->lstart), free(k->slot0), free(k->border);
    s2s_index_free(&k->ix), free(k->ids);
    s2s_pairs_free(&k->bp), s2s_pairs_free(&k->valid);
    s2s_batch_free(&k->batch);
    if (k->trace) fclose(k->trace);
    free(k);
}

typedef struct {
    int size, tgt, src;
    uint64_t pos, id;
} keyed_t;

static int by_size(const void *a, const void *b) {
    const keyed_t *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? -1 : 1;
    if (x->tgt != y->tgt) return x->tgt < y->tgt ? -1 : 1;
    if (x->src != y->src) return x->src < y->src ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static keyed_t key_of(const s2s_index_t *ix, uint64_t id, uint64_t pos) {
    int s = s2s_src_len(ix, id), t = s2s_tgt_len(ix, id);
    keyed_t k = {s > t ? s : t, t, s, pos, id};
    return k;
}

/* Whether --max-pair-len keeps pair id: both sides (the target with <eos>) within it. */
static int pair_kept(const kind_opts_t *o, const s2s_index_t *ix, uint64_t id) {
    return o->max_pair_len == 0 || key_of(ix, id, 0).size <= o->max_pair_len;
}

static uint64_t count_kept(const kind_opts_t *o, const s2s_index_t *ix) {
    uint64_t n = 0;
    for (uint64_t i = 0; i < ix->n; i++) n += (uint64_t)pair_kept(o, ix, i);
    return n;
}

/* A permutation of [0, n) from Philox (seed, purpose RNG_SHUFFLE, a, b). */
static void permute(uint64_t *p, uint64_t n, uint64_t seed, uint32_t a, uint32_t b) {
    for (uint64_t i = 0; i < n; i++) p[i] = i;
    for (uint64_t i = n; i > 1; i--) {
        uint64_t r = ((uint64_t)rng_u32(seed, RNG_SHUFFLE, a, b, 2 * i) << 32 |
                      rng_u32(seed, RNG_SHUFFLE, a, b, 2 * i + 1)) %
                     i;
        uint64_t t = p[i - 1];
        p[i - 1] = p[r], p[r] = t;
    }
}

/* The global batches (file comment) into k->bstart/norm; returns the sorted pair ids. */
static uint64_t *make_batches(kind_ctx_t *k, const s2s_index_t *ix) {
    const kind_opts_t *o = k->env.o;
    uint64_t *perm = drnn_calloc(ix->n + 1, sizeof *perm), n = 0;
    permute(perm, ix->n, o->seed, 0xFFFFFFFFu, 0);
    for (uint64_t i = 0; i < ix->n; i++) /* the kept pairs, still in the Philox order */
        if (pair_kept(o, ix, perm[i])) perm[n++] = perm[i];
    if (!o->batch_tokens) n = n / (uint64_t)o->batch * (uint64_t)o->batch;
    keyed_t *kv = drnn_calloc(n + 1, sizeof *kv);
    for (uint64_t i = 0; i < n; i++) kv[i] = key_of(ix, perm[i], i);
    qsort(kv, n, sizeof *kv, by_size);
    uint64_t *sorted = perm; /* reused: the first n entries */
    for (uint64_t i = 0; i < n; i++) sorted[i] = kv[i].id;
    k->bstart = drnn_calloc(n + 2, sizeof *k->bstart);
    long nb = 0;
    for (uint64_t i = 0; i < n;) {
        uint64_t j = i + 1;
        if (o->batch_tokens) {
            int widest = kv[i].size;
            while (j < n) {
                int w = kv[j].size > widest ? kv[j].size : widest;
                if ((j - i + 1) * (uint64_t)w > (uint64_t)o->batch_tokens) break;
                widest = w, j++;
            }
        } else {
            j = i + (uint64_t)o->batch;
        }
        k->bstart[nb++] = i;
        i = j;
    }
    k->bstart[nb] = n;
    k->spe = nb;
    k->norm = drnn_calloc((size_t)nb + 1, sizeof *k->norm);
    for (long b = 0; b < nb; b++)
        for (uint64_t i = k->bstart[b]; i < k->bstart[b + 1]; i++)
            k->norm[b] += s2s_tgt_len(ix, sorted[i]);
    free(kv);
    return sorted;
}

/* This rank's share of every batch: pairs [lstart[b], lstart[b+1]) of k->ids; also its longest
 * pair into k->Tmax (source, or target with <eos>). */
static void share_train(kind_ctx_t *k, const s2s_index_t *ix, const uint64_t *sorted) {
    const uint64_t N = (uint64_t)k->env.nranks, r = (uint64_t)k->env.rank;
    k->lstart = drnn_calloc((size_t)k->spe + 1, sizeof *k->lstart);
    k->slot0 = drnn_calloc((size_t)k->spe + 1, sizeof *k->slot0);
    k->ids = drnn_calloc(k->bstart[k->spe] + 1, sizeof *k->ids);
    uint64_t m = 0;
    for (long b = 0; b < k->spe; b++) {
        uint64_t n = k->bstart[b + 1] - k->bstart[b], lo = n * r / N, hi = n * (r + 1) / N;
        k->lstart[b] = m, k->slot0[b] = lo;
        for (uint64_t i = lo; i < hi; i++) {
            uint64_t id = sorted[k->bstart[b] + i];
            int sl = s2s_src_len(ix, id), tl = s2s_tgt_len(ix, id);
            k->ids[m++] = id;
            k->Tmax = sl > k->Tmax ? sl : k->Tmax;
            k->Tmax = tl > k->Tmax ? tl : k->Tmax;
        }
        if ((int)(hi - lo) > k->Bmax) k->Bmax = (int)(hi - lo);
    }
    k->lstart[k->spe] = m;
}

/* This rank's slice of the valid pairs sorted by size. */
static int read_valid(kind_ctx_t *k, corpus_t *c, char *err, size_t errlen) {
    s2s_index_t vx;
    int rc = s2s_index_read(&vx, c, CORPUS_VALID, err, errlen);
    if (rc) {
        s2s_index_free(&vx);
        return rc;
    }
    const uint64_t N = (uint64_t)k->env.nranks, r = (uint64_t)k->env.rank;
    keyed_t *kv = drnn_calloc(vx.n + 1, sizeof *kv);
    uint64_t n = 0;
    for (uint64_t i = 0; i < vx.n; i++)
        if (pair_kept(k->env.o, &vx, i)) kv[n++] = key_of(&vx, i, i);
    k->nvalid = n, k->cut[1] = vx.n - n;
    qsort(kv, n, sizeof *kv, by_size);
    uint64_t lo = n * r / N, hi = n * (r + 1) / N;
    uint64_t *ids = drnn_calloc(hi - lo + 1, sizeof *ids);
    for (uint64_t i = lo; i < hi; i++) ids[i - lo] = kv[i].id;
    rc = s2s_pairs_read(&k->valid, c, CORPUS_VALID, &vx, ids, hi - lo, err, errlen);
    free(kv), free(ids);
    s2s_index_free(&vx);
    return rc;
}

/* The train split must hold a batch after --max-pair-len: 64 naming the option to change (65
 * for a split with no pairs at all). Sets k->cut[0]. */
static int check_train_size(kind_ctx_t *k, char *err, size_t errlen) {
    const kind_opts_t *o = k->env.o;
    const uint64_t n = k->ix.n, kept = count_kept(o, &k->ix);
    const unsigned long long cut = n - kept;
    k->cut[0] = cut;
    if (!o->batch_tokens && kept < (uint64_t)o->batch && cut == 0)
        return drnn_errf(err, errlen, 64,
                         "--data %s: the train split has %llu pairs, fewer than --batch %d; lower "
                         "--batch",
                         o->data, (unsigned long long)n, o->batch);
    if (n == 0)
        return drnn_errf(err, errlen, 65, "--data %s: the train split has no pairs", o->data);
    if (!o->batch_tokens && kept < (uint64_t)o->batch)
        return drnn_errf(err, errlen, 64,
                         "--data %s: %llu of the %llu train pairs have a side longer than "
                         "--max-pair-len %d tokens; the %llu left are fewer than --batch %d: raise "
                         "--max-pair-len (0 keeps all) or lower --batch",
                         o->data, cut, (unsigned long long)n, o->max_pair_len,
                         (unsigned long long)kept, o->batch);
    if (kept == 0)
        return drnn_errf(err, errlen, 64,
                         "--data %s: all %llu train pairs have a side longer than --max-pair-len "
                         "%d tokens; raise --max-pair-len (0 keeps all)",
                         o->data, cut, o->max_pair_len);
    return 0;
}

static int s2s_open(kind_ctx_t **out, const model_desc_t *d, const kind_env_t *env, char *err,
                    size_t errlen) {
    kind_ctx_t *k = drnn_calloc(1, sizeof *k);
    *out = k;
    k->env = *env, k->epoch = -1, k->cur = -1;
    const kind_opts_t *o = env->o;
    s2s_index_t *ix = &k->ix;
    int rc = o->batch_tokens ? 0 : kind_check_batch_ranks(env, err, errlen);
    if (!rc) rc = s2s_index_read(ix, env->corpus, CORPUS_TRAIN, err, errlen);
    if (!rc) rc = check_train_size(k, err, errlen);
    if (rc) return rc;
    uint64_t *sorted = make_batches(k, ix);
    share_train(k, ix, sorted);
    free(sorted);
    if ((rc = read_valid(k, env->corpus, err, errlen)) != 0) return rc;
    if (env->rank == 0 && k->cut[0] + k->cut[1] > 0)
        printf("drnn-train: %llu pair%s with a side longer than --max-pair-len %d tokens left out "
               "(%llu train, %llu valid; memory grows with the longest pair of a batch)\n",
               (unsigned long long)(k->cut[0] + k->cut[1]), k->cut[0] + k->cut[1] == 1 ? "" : "s",
               o->max_pair_len, (unsigned long long)k->cut[0], (unsigned long long)k->cut[1]);
    k->Tmax = k->Tmax > k->valid.longest ? k->Tmax : k->valid.longest;
    k->Tmax = k->Tmax > 1 ? k->Tmax : 1;
    k->Bmax = k->Bmax > 1 ? k->Bmax : 1;
    k->border = drnn_calloc((size_t)k->spe, sizeof *k->border);
    /* The model's arenas and the batch buffers start empty and grow to the largest batch
     * loaded (model/seq2seq.h): a long pair costs memory in the batch that holds it, not
     * (longest pair) x (largest share) from the start. */
    k->m = seq2seq_create(d, 1, 1);
    s2s_batch_alloc(&k->batch, k->Tmax, k->Bmax);
    s2s_pairs_alloc(&k->bp, 1, 1);
    k->spaced = strcmp(corpus_tokenizer(env->corpus), "word") == 0;
    for (int side = 0; side < 2 && strcmp(corpus_tokenizer(env->corpus), "spm") == 0; side++)
        if (!(k->spm[side] = kind_sample_vocab(env->corpus, side, err, errlen))) return 65;
    const char *trace = test_knob(KNOB_TRACE_BATCHES);
    if (trace && env->rank == 0 && !(k->trace = fopen(trace, "a")))
        return drnn_errf(err, errlen, 74, "DRNN_TRACE_BATCHES=%s: cannot open", trace);
    return 0;
}

/* Validation's and --sample-every's greedy decoder: it only ever decodes valid pairs, so their
 * longest bounds it (max_len depends on each source alone: the same translations). */
static search_t *make_greedy(const kind_ctx_t *k) {
    search_opts_t so = {0, 1, 0.0f, 2.0f, S2S_BOS, S2S_EOS, 0};
    return search_create(seq2seq_desc(k->m), &so, k->valid.longest > 1 ? k->valid.longest : 1,
                         k->Bmax);
}

static void *s2s_model(kind_ctx_t *k) {
    return k->m;
}

static long s2s_spe(const kind_ctx_t *k) {
    return k->spe;
}

static int s2s_load_batch(kind_ctx_t *k, long step, char *err, size_t errlen) {
    long epoch = (step - 1) / k->spe, i = (step - 1) % k->spe;
    if (epoch != k->epoch) {
        uint64_t *p = drnn_calloc((size_t)k->spe, sizeof *p);
        permute(p, (uint64_t)k->spe, k->env.o->seed, (uint32_t)epoch, 1);
        for (long b = 0; b < k->spe; b++) k->border[b] = (long)p[b];
        free(p);
        k->epoch = epoch;
    }
    k->cur = k->border[i];
    int n = (int)(k->lstart[k->cur + 1] - k->lstart[k->cur]);
    if (n > 0) {
        int rc = s2s_pairs_load(&k->bp, k->env.corpus, CORPUS_TRAIN, &k->ix,
                                k->ids + k->lstart[k->cur], (uint64_t)n, err, errlen);
        if (rc) return rc;
        s2s_batch_fill(&k->batch, &k->bp, 0, n);
    }
    if (k->trace) {
        fprintf(k->trace, "%ld %ld\n", step, k->cur);
        fflush(k->trace);
    }
    return 0;
}

static double s2s_batch_norm(const kind_ctx_t *k) {
    return k->norm[k->cur];
}

static void s2s_step(kind_ctx_t *k, const float *params, float *grads, long step, float scale,
                     kind_sums_t *s) {
    memset(s, 0, sizeof *s);
    const long b = k->cur;
    if (k->lstart[b + 1] == k->lstart[b]) { /* no pairs here: report what backward would */
        seq2seq_report_ready(k->m);
        return;
    }
    const kind_opts_t *o = k->env.o;
    seq2seq_set_dropout(k->m, (float)o->dropout, o->seed, (uint32_t)step, (uint32_t)k->slot0[b]);
    s->v[KIND_LOSS] = seq2seq_forward(k->m, params, &k->batch.bt, 1);
    s->v[KIND_COUNT] = (double)k->batch.tgt_tokens;
    s->v[KIND_TOKENS] = (double)k->batch.tokens;
    seq2seq_backward(k->m, params, grads, scale);
}

static int s2s_has_valid(const kind_ctx_t *k) {
    return k->nvalid > 0;
}

static int s2s_evaluate(kind_ctx_t *k, const float *params, kind_sums_t *s, char *err,
                        size_t errlen) {
    memset(s, 0, sizeof *s);
    if (!k->greedy) k->greedy = make_greedy(k);
    s2s_eval_t e = {k->m,      k->greedy, &k->batch, corpus_tgt_vocab(k->env.corpus),
                    k->spaced, k->spm[1], NULL,      NULL};
    double sums[S2S_EVAL_N] = {0};
    int rc = s2s_eval_pairs(&e, params, &k->valid, sums);
    if (rc) return drnn_errf(err, errlen, rc, "validation: write failed");
    to_kind_sums(s, sums);
    return 0;
}

static void s2s_eval_report(const kind_sums_t *s, char *text, size_t tn, char *json, size_t jn) {
    double sums[S2S_EVAL_N];
    from_kind_sums(sums, s);
    s2s_eval_format(sums, text, tn, json, jn);
}

static double s2s_metric(const kind_sums_t *s, const char *name) {
    double sums[S2S_EVAL_N];
    from_kind_sums(sums, s);
    return s2s_eval_figure(sums, name);
}

static void s2s_step_report(const kind_sums_t *s, char *text, size_t n) {
    snprintf(text, n, "ppl %.2f", exp(s->v[KIND_LOSS] / s->v[KIND_COUNT]));
}

static void s2s_batch_text(const kind_ctx_t *k, char *text, size_t n) {
    if (k->env.o->batch_tokens)
        snprintf(text, n, "about %d target tokens", k->env.o->batch_tokens);
    else
        snprintf(text, n, "%d", k->env.B);
}

/* --batch-tokens cuts the global batches: a resumed run must cut them the same way. */
static int s2s_resume_check(const kind_ctx_t *k, const ckpt_meta_t *m, const char *dir, char *err,
                            size_t n) {
    const int bt = k->env.o->batch_tokens;
    if (bt != m->batch_tokens)
        return drnn_errf(err, n, 64,
                         "--batch-tokens %d differs from the checkpoint %s (%d); resume with "
                         "--batch-tokens %d",
                         bt, dir, m->batch_tokens, m->batch_tokens);
    return 0;
}

/* --sample-every: the first 3 pairs of the validation order (this rank's slice, the shortest
 * first), each source greedily translated next to its reference. It fills the batch buffers,
 * which the next step loads afresh. */
static int s2s_sample(kind_ctx_t *k, const float *params, long step, char *err, size_t errlen) {
    (void)err, (void)errlen;
    if (!k->greedy) k->greedy = make_greedy(k);
    int n = k->valid.n < 3 ? (int)k->valid.n : 3;
    n = n < k->Bmax ? n : k->Bmax;
    printf("drnn-train: sample at step %ld (the first %d validation pairs, greedy):\n", step, n);
    if (n == 0) return 0;
    s2s_batch_fill(&k->batch, &k->valid, 0, n);
    search_hyp_t hyp[3];
    search_run(k->greedy, params, k->batch.bt.src, k->batch.bt.src_lens, k->batch.bt.Ts, n, hyp);
    const corpus_t *c = k->env.corpus;
    char *buf = NULL;
    size_t cap = 0;
    for (int j = 0; j < n; j++) {
        const s2s_pairs_t *p = &k->valid;
        const search_hyp_t *h = &hyp[j];
        printf("  source     : %s\n",
               s2s_ids_text(corpus_vocab(c), p->src + p->soff[j],
                            (int)(p->soff[j + 1] - p->soff[j]), k->spaced, k->spm[0], &buf, &cap));
        printf("  translation: %s\n", s2s_ids_text(corpus_tgt_vocab(c), h->tokens, h->len,
                                                   k->spaced, k->spm[1], &buf, &cap));
        printf("  reference  : %s\n",
               s2s_ids_text(corpus_tgt_vocab(c), p->tgt + p->toff[j],
                            (int)(p->toff[j + 1] - p->toff[j]), k->spaced, k->spm[1], &buf, &cap));
    }
    free(buf);
    return 0;
}

const train_kind_t seq2seq_train_kind = {
    .data = "pairs",
    .options = "cell embed hidden layers bidirectional residual self-attention dropout attention "
               "batch-tokens max-pair-len",
    .nsums = 3,
    .batch_text = s2s_batch_text,
    .step_report = s2s_step_report,
    .resume_check = s2s_resume_check,
    .describe = s2s_describe,
    .open = s2s_open,
    .close = s2s_close,
    .model = s2s_model,
    .steps_per_epoch = s2s_spe,
    .load_batch = s2s_load_batch,
    .batch_norm = s2s_batch_norm,
    .forward_backward = s2s_step,
    .has_valid = s2s_has_valid,
    .evaluate = s2s_evaluate,
    .eval_report = s2s_eval_report,
    .metrics = "loss ppl bleu exact_match edit_rate",
    .higher_better = "bleu exact_match",
    .metric = s2s_metric,
    .sample = s2s_sample,
};

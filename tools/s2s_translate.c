#include "tools/s2s_translate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "tools/attention_out.h"
#include "tools/tools.h"
#include "trainer/s2s_eval.h"
#include "io/metrics.h"
#include "io/textfile.h"
#include "io/tokenize.h"
#include "model/search.h"
#include "trainer/s2s_data.h"

/* Lines read ahead: WINDOW_BATCHES batches' worth are sorted by length before they are cut
 * into batches, so a batch's sources are about as long as each other (little padding in the
 * encoder) and hypotheses finish at about the same step; output keeps the input's order. */
#define WINDOW_BATCHES 16

/* A kept hypothesis of a window line: its tokens at tok in the token pool. */
typedef struct {
    size_t tok;
    int len;
    double score;
} kept_t;

typedef struct {
    const s2s_translate_opts_t *o;
    const model_file_t *mf;
    tok_vocab_t *src_vocab;
    tok_vocab_t *tgt_spm; /* spm: the target vocabulary, to detokenize; NULL otherwise */
    int spaced;
    search_t *search; /* for sources up to Tmax tokens */
    int Tmax;
    attention_out_t *attn; /* --attention-out, or NULL */
    /* The pending window: up to win lines, empty ones included. */
    int win;
    uint32_t **ids;
    int *lens;
    uint64_t *lineno;
    int n;
    uint64_t *key;   /* [win] sort keys: (2^31 - length) << 32 | line index */
    int *order;      /* [win] line indices by decreasing length, ties by input order */
    int *nh;         /* [win] hypotheses kept per line */
    kept_t *kept;    /* [win * n_best] */
    size_t *att_off; /* [win] the best hypothesis's attention in att_pool (--attention-out) */
    uint32_t *tok_pool;
    size_t tok_n, tok_cap;
    float *att_pool;
    size_t att_n, att_cap;
    uint32_t *src; /* [Tmax * batch] */
    int *src_lens;
    search_hyp_t *hyp;
    char *text;
    size_t cap;
    long sentences, tokens;
} translator_t;

static void out_fail(const char *what) {
    drnn_die(74, "cannot write %s", what);
}

/* Room for `more` items in a pool of `n` used, `cap` allocated. */
static void *pool_reserve(void *pool, size_t *cap, size_t n, size_t more, size_t size) {
    if (n + more <= *cap) return pool;
    size_t c = *cap ? *cap : 4096;
    while (c < n + more) c *= 2;
    void *p = realloc(pool, c * size);
    if (!p) drnn_die(70, "out of memory");
    *cap = c;
    return p;
}

static int u64_cmp(const void *a, const void *b) {
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Decodes window lines order[0..B) (all non-empty) as one batch and keeps their hypotheses. */
static void decode_batch(translator_t *t, const int *lines, int B) {
    const s2s_translate_opts_t *o = t->o;
    int Ts = 1;
    for (int r = 0; r < B; r++) Ts = t->lens[lines[r]] > Ts ? t->lens[lines[r]] : Ts;
    if (Ts > t->Tmax) { /* a searcher for the longest source so far */
        search_free(t->search);
        t->Tmax = Ts * 2;
        search_opts_t so = {o->beam > 1 ? o->beam : 0,
                            o->n_best,
                            (float)o->length_penalty,
                            (float)o->max_ratio,
                            TOK_BOS,
                            TOK_SEQ2SEQ_EOS,
                            t->attn != NULL};
        t->search = search_create(&t->mf->info.desc, &so, t->Tmax, o->batch);
        free(t->src);
        t->src = drnn_calloc((size_t)t->Tmax * o->batch, sizeof *t->src);
    }
    for (int r = 0; r < B; r++) {
        const int i = lines[r];
        t->src_lens[r] = t->lens[i];
        for (int x = 0; x < Ts; x++)
            t->src[(size_t)x * B + r] = x < t->lens[i] ? t->ids[i][x] : TOK_PAD;
    }
    t->tokens += search_run(t->search, t->mf->params, t->src, t->src_lens, Ts, B, t->hyp);
    t->sentences += B;
    for (int r = 0; r < B; r++) {
        const int i = lines[r];
        const search_hyp_t *h = &t->hyp[(size_t)r * o->n_best];
        int k = 0;
        for (; k < o->n_best && h[k].tokens; k++) {
            t->tok_pool = pool_reserve(t->tok_pool, &t->tok_cap, t->tok_n, (size_t)h[k].len,
                                       sizeof *t->tok_pool);
            memcpy(t->tok_pool + t->tok_n, h[k].tokens, sizeof *t->tok_pool * (size_t)h[k].len);
            kept_t *kp = &t->kept[(size_t)i * o->n_best + k];
            kp->tok = t->tok_n, kp->len = h[k].len, kp->score = h[k].score;
            t->tok_n += (size_t)h[k].len;
        }
        t->nh[i] = k;
        if (t->attn && k > 0) { /* the best hypothesis's [len, src_len] weights */
            const size_t na = (size_t)h->len * t->lens[i];
            t->att_pool = pool_reserve(t->att_pool, &t->att_cap, t->att_n, na, sizeof *t->att_pool);
            memcpy(t->att_pool + t->att_n, h->attn, sizeof *t->att_pool * na);
            t->att_off[i] = t->att_n;
            t->att_n += na;
        }
    }
}

/* Decodes the pending window, a batch of similar lengths at a time, and prints it in order. */
static void flush_window(translator_t *t) {
    const s2s_translate_opts_t *o = t->o;
    int nreal = 0;
    for (int i = 0; i < t->n; i++) {
        t->nh[i] = 0;
        if (t->lens[i]) t->key[nreal++] = (uint64_t)((1u << 31) - (unsigned)t->lens[i]) << 32 | i;
    }
    qsort(t->key, (size_t)nreal, sizeof *t->key, u64_cmp);
    for (int r = 0; r < nreal; r++) t->order[r] = (int)(t->key[r] & 0xffffffffu);
    t->tok_n = t->att_n = 0;
    for (int r0 = 0; r0 < nreal; r0 += o->batch)
        decode_batch(t, t->order + r0, nreal - r0 < o->batch ? nreal - r0 : o->batch);
    const char *const *tv = (const char *const *)t->mf->info.tgt_vocab;
    for (int i = 0; i < t->n; i++) {
        int bad = 0;
        if (t->lens[i] == 0) {
            if (o->n_best == 1) bad = putchar('\n') == EOF;
        } else {
            const kept_t *h = &t->kept[(size_t)i * o->n_best];
            for (int k = 0; k < t->nh[i]; k++) {
                const char *s = s2s_ids_text(tv, t->tok_pool + h[k].tok, h[k].len, t->spaced,
                                             t->tgt_spm, &t->text, &t->cap);
                if (o->n_best == 1)
                    bad |= printf("%s\n", s) < 0;
                else
                    bad |= printf("%llu\t%.6f\t%s\n", (unsigned long long)t->lineno[i], h[k].score,
                                  s) < 0;
            }
            /* the best hypothesis of the line, as a JSON object */
            if (t->attn && t->nh[i] > 0)
                attention_out_line(t->attn, t->lineno[i], (const char *const *)t->mf->info.vocab,
                                   t->ids[i], t->lens[i], tv, t->tok_pool + h->tok, h->len,
                                   t->att_pool + t->att_off[i]);
        }
        if (bad) out_fail("stdout");
        free(t->ids[i]);
    }
    t->n = 0;
}

static int take_line(void *arg, const char *line, size_t len, uint64_t lineno) {
    translator_t *t = arg;
    if (len && line[len - 1] == '\r') len--;
    size_t n = 0;
    if (tok_encode(t->src_vocab, line, len, &t->ids[t->n], &n, NULL) != 0)
        drnn_die(70, "out of memory");
    if (n > (1u << 20))
        drnn_die(65, "--input %s:%llu: a line of %zu tokens; split it", t->o->input,
                 (unsigned long long)lineno, n);
    t->lens[t->n] = (int)n, t->lineno[t->n] = lineno;
    if (++t->n == t->win) flush_window(t);
    return 0;
}

int s2s_translate(const s2s_translate_opts_t *o, const model_file_t *mf) {
    if (o->n_best < 1 || o->n_best > (o->beam > 1 ? o->beam : 1))
        drnn_die(64, "--n-best %d: give 1 to --beam (%d) hypotheses", o->n_best, o->beam);
    char err[4400];
    tok_kind_t kind;
    if (tok_kind_parse(mf->info.tokenizer, &kind) != 0)
        drnn_die(65, "%s: unknown tokenizer %s", mf->path, mf->info.tokenizer);
    translator_t t = {.o = o, .mf = mf, .spaced = kind == TOK_WORD};
    t.src_vocab = model_info_vocab(&mf->info, 0, err, sizeof err);
    if (t.src_vocab && kind == TOK_SPM) t.tgt_spm = model_info_vocab(&mf->info, 1, err, sizeof err);
    if (!t.src_vocab || (kind == TOK_SPM && !t.tgt_spm)) drnn_die(65, "%s: %s", mf->path, err);
    t.attn = attention_out_open(o->attention_out);
    t.win = o->batch * WINDOW_BATCHES; /* at least one batch, at most 65536 lines beyond it */
    if (t.win > 65536) t.win = o->batch > 65536 ? o->batch : 65536;
    t.ids = drnn_calloc((size_t)t.win, sizeof *t.ids);
    t.lens = drnn_calloc((size_t)t.win, sizeof *t.lens);
    t.lineno = drnn_calloc((size_t)t.win, sizeof *t.lineno);
    t.order = drnn_calloc((size_t)t.win, sizeof *t.order);
    t.key = drnn_calloc((size_t)t.win, sizeof *t.key);
    t.nh = drnn_calloc((size_t)t.win, sizeof *t.nh);
    t.kept = drnn_calloc((size_t)t.win * o->n_best, sizeof *t.kept);
    t.att_off = drnn_calloc((size_t)t.win, sizeof *t.att_off);
    t.src_lens = drnn_calloc((size_t)o->batch, sizeof *t.src_lens);
    t.hyp = drnn_calloc((size_t)o->batch * o->n_best, sizeof *t.hyp);
    double t0 = drnn_wtime();
    int rc = textfile_lines(o->input, take_line, &t, NULL, err, sizeof err);
    if (rc) drnn_die(rc, "--input: %s", err);
    if (t.n) flush_window(&t);
    double dt = drnn_wtime() - t0;
    if (fflush(stdout) != 0) out_fail("stdout");
    attention_out_commit(t.attn);
    fprintf(stderr,
            "drnn-sample: %ld sentence%s, %ld token%s in %.2f s: %.1f sentences/s, %.0f tokens/s "
            "(%s, batch %d)\n",
            t.sentences, t.sentences == 1 ? "" : "s", t.tokens, t.tokens == 1 ? "" : "s", dt,
            t.sentences / (dt > 0 ? dt : 1e-9), t.tokens / (dt > 0 ? dt : 1e-9),
            o->beam > 1 ? "beam" : "greedy", o->batch);
    search_free(t.search);
    tok_vocab_free(t.src_vocab);
    tok_vocab_free(t.tgt_spm);
    free(t.ids), free(t.lens), free(t.lineno), free(t.src_lens), free(t.hyp), free(t.src);
    free(t.order), free(t.key), free(t.nh), free(t.kept), free(t.att_off), free(t.tok_pool),
        free(t.att_pool);
    free(t.text);
    return 0;
}

static int eval_seq2seq(const eval_opts_t *o, model_file_t *m) {
    if (!o->data[0])
        drnn_die(64,
                 "--text scores language models; %s is a seq2seq model: use --data CORPUS.h5 "
                 "(drnn-prep --format pairs)",
                 m->path);
    s2s_eval_opts_t so = {o->data,
                          o->split_id,
                          o->batch,
                          o->beam,
                          o->length_penalty,
                          o->max_ratio,
                          o->hyp_out[0] ? o->hyp_out : NULL,
                          o->json};
    return s2s_eval_run(m, &so);
}

static int s2s_sample(const sample_opts_t *o, const model_file_t *m, const tok_vocab_t *tv,
                      int kind) {
    (void)tv, (void)kind;
    if (!o->input[0])
        drnn_die(64,
                 "%s is a seq2seq model: give --input FILE (or - for stdin) with lines to "
                 "translate",
                 m->path);
    s2s_translate_opts_t so = {o->input,    o->attention_out[0] ? o->attention_out : NULL,
                               o->beam,     o->n_best,
                               o->batch,    o->length_penalty,
                               o->max_ratio};
    return s2s_translate(&so, m);
}

const tool_kind_t seq2seq_tools = {
    .noun = "seq2seq model",
    .eval_options = "data split batch beam length-penalty max-ratio hyp-out",
    .sample_options = "input beam length-penalty n-best max-ratio batch attention-out",
    .eval = eval_seq2seq,
    .sample = s2s_sample};

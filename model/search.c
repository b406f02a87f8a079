#include "model/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* One ranked candidate: live hypothesis h of its source extended by token w. */
typedef struct {
    double raw;
    long flat; /* h * Vt + w: the tie-break */
} cand_t;

/* Live hypotheses, all sources together, source-major; two copies swapped every step. */
typedef struct {
    double *raw;   /* [NH] */
    int *len;      /* [NH] tokens so far */
    int *src;      /* [NH] source of each */
    uint32_t *tok; /* [NH, Lmax] */
    float *att;    /* [NH, Lmax, Tmax] or NULL */
    float *state;  /* [L, NH, H] */
} beam_t;

struct search {
    search_opts_t o;
    seq2seq_t *m;
    int K, NB, Lmax, Tmax, Bmax, NH, Vt, SH; /* NH = Bmax * K hypotheses; SH = L * H */
    int L, H;
    beam_t bm[2];
    int cur;
    int *live;         /* [Bmax] live hypotheses per source (in bm[cur], source-major) */
    int *max_len;      /* [Bmax] */
    uint32_t *prev;    /* [NH] */
    float *logp;       /* [NH, Vt] */
    float *step_att;   /* [NH, Tmax] */
    cand_t *cand;      /* [2K] */
    int *fin_n;        /* [Bmax] finished kept per source (at most NB, best first) */
    search_hyp_t *fin; /* [Bmax, NB] */
    uint32_t *fin_tok; /* [Bmax, NB, Lmax] */
    float *fin_att;    /* [Bmax, NB, Lmax, Tmax] or NULL */
};

static void beam_alloc(beam_t *b, int NH, int Lmax, int Tmax, int SH, int att) {
    b->raw = drnn_calloc(NH, sizeof(double));
    b->len = drnn_calloc(NH, sizeof(int));
    b->src = drnn_calloc(NH, sizeof(int));
    b->tok = drnn_calloc((size_t)NH * Lmax, sizeof(uint32_t));
    b->att = att ? drnn_calloc((size_t)NH * Lmax * Tmax, sizeof(float)) : NULL;
    b->state = drnn_calloc((size_t)NH * SH, sizeof(float));
}

static void beam_free(beam_t *b) {
    free(b->raw), free(b->len), free(b->src), free(b->tok), free(b->att), free(b->state);
}

search_t *search_create(const model_desc_t *d, const search_opts_t *o, int Tmax, int Bmax) {
    DRNN_ASSERT(o->beam >= 0 && o->n_best >= 1 && o->n_best <= (o->beam > 1 ? o->beam : 1));
    DRNN_ASSERT(o->length_penalty >= 0.0f && o->max_ratio > 0.0f && Tmax > 0 && Bmax > 0);
    search_t *s = drnn_calloc(1, sizeof *s);
    s->o = *o;
    s->K = o->beam > 1 ? o->beam : 1;
    s->NB = o->n_best;
    s->Tmax = Tmax, s->Bmax = Bmax, s->NH = Bmax * s->K;
    int lm = (int)floor((double)o->max_ratio * Tmax);
    s->Lmax = lm > 1 ? lm : 1;
    s->m = seq2seq_create(d, 1, 1); /* grows with what search_run gives it */
    s->Vt = d->tgt_vocab, s->L = d->layers, s->H = d->hidden, s->SH = seq2seq_state_size(s->m);
    for (int i = 0; i < 2; i++) beam_alloc(&s->bm[i], s->NH, s->Lmax, Tmax, s->SH, o->attention);
    s->live = drnn_calloc(Bmax, sizeof(int));
    s->max_len = drnn_calloc(Bmax, sizeof(int));
    s->prev = drnn_calloc(s->NH, sizeof(uint32_t));
    s->logp = drnn_calloc((size_t)s->NH * s->Vt, sizeof(float));
    s->step_att = drnn_calloc((size_t)s->NH * Tmax, sizeof(float));
    s->cand = drnn_calloc(2 * (size_t)s->K, sizeof(cand_t));
    s->fin_n = drnn_calloc(Bmax, sizeof(int));
    s->fin = drnn_calloc((size_t)Bmax * s->NB, sizeof(search_hyp_t));
    s->fin_tok = drnn_calloc((size_t)Bmax * s->NB * s->Lmax, sizeof(uint32_t));
    if (o->attention)
        s->fin_att = drnn_calloc((size_t)Bmax * s->NB * s->Lmax * Tmax, sizeof(float));
    return s;
}

void search_free(search_t *s) {
    if (!s) return;
    seq2seq_free(s->m);
    for (int i = 0; i < 2; i++) beam_free(&s->bm[i]);
    free(s->live), free(s->max_len), free(s->prev), free(s->logp), free(s->step_att);
    free(s->cand), free(s->fin_n), free(s->fin), free(s->fin_tok), free(s->fin_att);
    free(s);
}

int search_n_best(const search_t *s) {
    return s->NB;
}

static double length_penalty(double alpha, int n) {
    return alpha == 0.0 ? 1.0 : pow((5.0 + n) / 6.0, alpha);
}

/* Slots of finished hypothesis i of source b. */
static uint32_t *fin_tokens(const search_t *s, int b, int i) {
    return s->fin_tok + ((size_t)b * s->NB + i) * s->Lmax;
}
static float *fin_attn(const search_t *s, int b, int i) {
    return s->fin_att + (((size_t)b * s->NB + i) * s->Lmax) * s->Tmax;
}

/* Offers a finished hypothesis of source b: live hypothesis h of beam bm (its tokens and
 * attention), plus token `last` unless UINT32_MAX, with normalized score `score`. Kept when it is
 * among the NB best so far; an equal score never displaces one finished earlier. */
static void finish(search_t *s, int b, const beam_t *bm, int h, uint32_t last, double score) {
    int n = s->fin_n[b], at = n;
    while (at > 0 && s->fin[(size_t)b * s->NB + at - 1].score < score) at--;
    if (at >= s->NB) return;
    if (n == s->NB) n--; /* the worst falls off */
    const int len = bm->len[h] + (last != UINT32_MAX), L = s->Lmax, T = s->Tmax;
    /* Shift the worse ones down one slot, keeping their storage with them. */
    for (int i = n; i > at; i--) {
        memcpy(fin_tokens(s, b, i), fin_tokens(s, b, i - 1), sizeof(uint32_t) * L);
        if (s->fin_att) memcpy(fin_attn(s, b, i), fin_attn(s, b, i - 1), sizeof(float) * L * T);
        s->fin[(size_t)b * s->NB + i] = s->fin[(size_t)b * s->NB + i - 1];
    }
    uint32_t *tk = fin_tokens(s, b, at);
    memcpy(tk, bm->tok + (size_t)h * L, sizeof(uint32_t) * bm->len[h]);
    if (last != UINT32_MAX) tk[bm->len[h]] = last;
    if (s->fin_att) /* rows 0..len-1: the attention row of each token is stored before it is */
        memcpy(fin_attn(s, b, at), bm->att + (size_t)h * L * T, sizeof(float) * len * T);
    search_hyp_t *r = &s->fin[(size_t)b * s->NB + at];
    r->len = len, r->score = score;
    s->fin_n[b] = n + 1;
}

/* Candidate a ranks before c. */
static int better(const cand_t *a, const cand_t *c) {
    return a->raw > c->raw || (a->raw == c->raw && a->flat < c->flat);
}

/* The top `want` candidates of source rows [h0, h0 + n) into s->cand, best first; returns how
 * many (fewer when there are fewer candidates). */
static int rank(search_t *s, const beam_t *bm, int h0, int n, int want) {
    int k = 0;
    for (int h = 0; h < n; h++) {
        const float *lp = s->logp + (size_t)(h0 + h) * s->Vt;
        for (int w = 0; w < s->Vt; w++) {
            cand_t c = {bm->raw[h0 + h] + (double)lp[w], (long)h * s->Vt + w};
            if (k == want && !better(&c, &s->cand[k - 1])) continue;
            int at = k < want ? k++ : k - 1;
            while (at > 0 && better(&c, &s->cand[at - 1])) {
                s->cand[at] = s->cand[at - 1];
                at--;
            }
            s->cand[at] = c;
        }
    }
    return k;
}

long search_run(search_t *s, const float *params, const uint32_t *src, const int *src_lens, int Ts,
                int B, search_hyp_t *out) {
    DRNN_ASSERT(B > 0 && B <= s->Bmax && Ts > 0 && Ts <= s->Tmax);
    const int K = s->K, Vt = s->Vt, L = s->Lmax, T = s->Tmax, H = s->H;
    const double alpha = s->o.length_penalty;
    const int greedy = s->o.beam == 0;
    seq2seq_encode(s->m, params, src, src_lens, Ts, B);
    /* One live hypothesis per source: <bos>, raw 0. */
    beam_t *bm = &s->bm[s->cur];
    int N = B;
    for (int b = 0; b < B; b++) {
        int ml = (int)floor((double)s->o.max_ratio * src_lens[b]);
        s->max_len[b] = ml > 1 ? ml : 1;
        s->live[b] = 1, s->fin_n[b] = 0;
        bm->raw[b] = 0.0, bm->len[b] = 0, bm->src[b] = b;
        s->prev[b] = s->o.bos;
    }
    seq2seq_decoder_start(s->m, params, bm->src, N, bm->state);
    while (N > 0) {
        seq2seq_decode_step(s->m, params, s->prev, bm->src, N, bm->state, s->logp,
                            s->o.attention ? s->step_att : NULL);
        if (s->o.attention) /* each live hypothesis's attention row for the token it now picks */
            for (int h = 0; h < N; h++)
                memcpy(bm->att + ((size_t)h * L + bm->len[h]) * T, s->step_att + (size_t)h * Ts,
                       sizeof(float) * Ts);
        beam_t *nx = &s->bm[1 - s->cur];
        int n2 = 0, h0 = 0;
        for (int b = 0; b < B; b++) {
            const int n = s->live[b];
            int taken = 0;
            if (n == 0) continue;
            if (greedy) {
                const float *lp = s->logp + (size_t)h0 * Vt;
                int w = 0;
                for (int j = 1; j < Vt; j++)
                    if (lp[j] > lp[w]) w = j;
                s->cand[0].raw = bm->raw[h0] + (double)lp[w], s->cand[0].flat = w;
            }
            const int nc = greedy ? 1 : rank(s, bm, h0, n, 2 * K);
            for (int c = 0; c < nc && taken < K; c++) {
                const int h = h0 + (int)(s->cand[c].flat / Vt);
                const uint32_t w = (uint32_t)(s->cand[c].flat % Vt);
                const double raw = s->cand[c].raw;
                if (w == s->o.eos) {
                    finish(s, b, bm, h, w, raw / length_penalty(alpha, bm->len[h] + 1));
                    continue;
                }
                /* A new live hypothesis: the parent's history plus w. */
                const int len = bm->len[h] + 1;
                nx->raw[n2] = raw, nx->len[n2] = len, nx->src[n2] = b;
                memcpy(nx->tok + (size_t)n2 * L, bm->tok + (size_t)h * L,
                       sizeof(uint32_t) * bm->len[h]);
                nx->tok[(size_t)n2 * L + bm->len[h]] = w;
                if (nx->att)
                    memcpy(nx->att + (size_t)n2 * L * T, bm->att + (size_t)h * L * T,
                           sizeof(float) * len * T);
                for (int k = 0; k < s->L; k++)
                    memcpy(nx->state + ((size_t)k * s->NH + n2) * H,
                           bm->state + ((size_t)k * N + h) * H, sizeof(float) * H);
                taken++, n2++;
            }
            /* Live hypotheses at max_len end there as they are. */
            int keep = n2 - taken;
            for (int i = n2 - taken; i < n2; i++) {
                if (nx->len[i] >= s->max_len[b]) {
                    finish(s, b, nx, i, UINT32_MAX, nx->raw[i] / length_penalty(alpha, nx->len[i]));
                    continue;
                }
                if (keep != i) {
                    nx->raw[keep] = nx->raw[i], nx->len[keep] = nx->len[i];
                    nx->src[keep] = nx->src[i];
                    memcpy(nx->tok + (size_t)keep * L, nx->tok + (size_t)i * L,
                           sizeof(uint32_t) * L);
                    if (nx->att)
                        memcpy(nx->att + (size_t)keep * L * T, nx->att + (size_t)i * L * T,
                               sizeof(float) * L * T);
                    for (int k = 0; k < s->L; k++)
                        memcpy(nx->state + ((size_t)k * s->NH + keep) * H,
                               nx->state + ((size_t)k * s->NH + i) * H, sizeof(float) * H);
                }
                keep++;
            }
            int live = keep - (n2 - taken);
            /* Stop when nothing live could still beat the n_best-th finished hypothesis. */
            if (live > 0 && (greedy ? s->fin_n[b] > 0 : s->fin_n[b] >= s->NB)) {
                double worst = s->fin[(size_t)b * s->NB + s->NB - 1].score;
                double bound = nx->raw[n2 - taken] / length_penalty(alpha, s->max_len[b]);
                if (greedy || worst >= bound) live = 0;
            }
            n2 = n2 - taken + live;
            s->live[b] = live;
            h0 += n;
        }
        /* The state rows were written with stride NH; close them up to stride n2. */
        if (n2 > 0 && n2 < s->NH)
            for (int k = 1; k < s->L; k++)
                memmove(nx->state + (size_t)k * n2 * H, nx->state + (size_t)k * s->NH * H,
                        sizeof(float) * n2 * H);
        for (int i = 0; i < n2; i++) s->prev[i] = nx->tok[(size_t)i * L + nx->len[i] - 1];
        s->cur = 1 - s->cur;
        bm = nx;
        N = n2;
    }
    long tokens = 0;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < s->NB; i++) {
            search_hyp_t *r = &out[(size_t)b * s->NB + i];
            if (i < s->fin_n[b]) {
                *r = s->fin[(size_t)b * s->NB + i];
                r->tokens = fin_tokens(s, b, i);
                r->attn = NULL;
                if (s->fin_att) { /* rows of Tmax floats -> [len, src_len] in place */
                    r->attn = fin_attn(s, b, i);
                    for (int t = 0; t < r->len; t++)
                        memmove(r->attn + (size_t)t * src_lens[b], r->attn + (size_t)t * T,
                                sizeof(float) * src_lens[b]);
                }
                if (i == 0) tokens += r->len;
            } else {
                r->tokens = NULL, r->len = 0, r->score = -INFINITY, r->attn = NULL;
            }
        }
    return tokens;
}

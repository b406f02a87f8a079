#include "trainer/s2s_score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Grows *p (cap elements of elem bytes) to hold at least need; never fails (drnn_calloc dies). */
static void *grow(void *p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = drnn_calloc(c, elem);
    if (p) memcpy(q, p, *cap * elem);
    free(p);
    *cap = c;
    return q;
}

/* ---- 13a tokenizer ------------------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t n, cap;
} buf_t;

static void buf_put(buf_t *b, const char *s, size_t n) {
    b->p = grow(b->p, &b->cap, b->n + n + 1, 1);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* Bytes of the whitespace code point starting at s[0..n), 0 if none (Python's str.isspace). */
static size_t ws_len(const unsigned char *s, size_t n) {
    if ((s[0] >= 9 && s[0] <= 13) || (s[0] >= 0x1c && s[0] <= 0x20)) return 1;
    if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0)) return 2;
    if (n < 3) return 0;
    if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) return 3; /* U+1680 */
    if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) return 3; /* U+3000 */
    if (s[0] != 0xe2) return 0;
    if (s[1] == 0x80 &&
        ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
        return 3;                               /* U+2000-200A, U+2028, U+2029, U+202F */
    if (s[1] == 0x81 && s[2] == 0x9f) return 3; /* U+205F */
    return 0;
}

/* out := in with every occurrence of pat replaced by rep (str.replace: left to right, no
 * overlaps, the result not searched again). */
static void replace_all(buf_t *out, const buf_t *in, const char *pat, const char *rep) {
    size_t m = strlen(pat), r = strlen(rep);
    out->n = 0;
    buf_put(out, "", 0);
    for (size_t i = 0; i < in->n;) {
        if (i + m <= in->n && !memcmp(in->p + i, pat, m)) {
            buf_put(out, rep, r);
            i += m;
        } else {
            buf_put(out, in->p + i, 1);
            i++;
        }
    }
}

static int is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}
static int not_digit(unsigned char c) {
    return !is_digit(c);
}
static int is_dot_comma(unsigned char c) {
    return c == '.' || c == ',';
}
static int is_dash(unsigned char c) {
    return c == '-';
}
/* The first 13a class: [\{-\~\[-\` -\&\(-\+\:-\@\/] — ASCII punctuation except ' , - . */
static int is_punct13a(unsigned char c) {
    return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
           (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}

/* out := re.sub(r'(A)(B)', tmpl, in) for one-byte classes A and B; in tmpl '1' and '2' stand for
 * the two groups. Matches are taken left to right without overlapping, as re.sub takes them; on
 * UTF-8 this equals Python's pass over code points since A and B only hold ASCII or not_digit. */
static void sub_pair(buf_t *out, const buf_t *in, int (*a)(unsigned char), int (*b)(unsigned char),
                     const char *tmpl) {
    out->n = 0;
    buf_put(out, "", 0);
    const unsigned char *s = (const unsigned char *)in->p;
    for (size_t i = 0; i < in->n;) {
        if (i + 1 < in->n && a(s[i]) && b(s[i + 1])) {
            for (const char *t = tmpl; *t; t++)
                buf_put(out, *t == '1' ? in->p + i : *t == '2' ? in->p + i + 1 : t, 1);
            i += 2;
        } else {
            buf_put(out, in->p + i++, 1);
        }
    }
}

char *s2s_score_tok13a(const char *line) {
    const unsigned char *u = (const unsigned char *)line;
    size_t n = strlen(line), end = 0;
    for (size_t i = 0; i < n;) { /* rstrip: end of the last code point that is not whitespace */
        size_t w = ws_len(u + i, n - i);
        if (w) {
            i += w;
        } else {
            end = ++i;
        }
    }
    buf_t x = {0}, y = {0};
    buf_put(&x, line, end);
    replace_all(&y, &x, "<skipped>", "");
    replace_all(&x, &y, "-\n", "");
    replace_all(&y, &x, "\n", " ");
    if (memchr(y.p, '&', y.n)) {
        replace_all(&x, &y, "&quot;", "\"");
        replace_all(&y, &x, "&amp;", "&");
        replace_all(&x, &y, "&lt;", "<");
        replace_all(&y, &x, "&gt;", ">");
    }
    x.n = 0;
    buf_put(&x, " ", 1);
    for (size_t i = 0; i < y.n; i++) {
        if (is_punct13a((unsigned char)y.p[i])) {
            const char sp[3] = {' ', y.p[i], ' '};
            buf_put(&x, sp, 3);
        } else {
            buf_put(&x, y.p + i, 1);
        }
    }
    buf_put(&x, " ", 1);
    sub_pair(&y, &x, not_digit, is_dot_comma, "1 2 ");
    sub_pair(&x, &y, is_dot_comma, not_digit, " 1 2");
    sub_pair(&y, &x, is_digit, is_dash, "1 2 ");
    /* ' '.join(line.split()) */
    x.n = 0;
    buf_put(&x, "", 0);
    u = (const unsigned char *)y.p;
    for (size_t i = 0; i < y.n;) {
        size_t w = ws_len(u + i, y.n - i), start = i;
        if (w) {
            i += w;
            continue;
        }
        while (i < y.n && !ws_len(u + i, y.n - i)) i++;
        if (x.n) buf_put(&x, " ", 1);
        buf_put(&x, y.p + start, i - start);
    }
    free(y.p);
    return x.p;
}

/* ---- Counts of one pair ------------------------------------------------------------------- */

struct s2s_score {
    uint64_t counts[S2S_SCORE_NCOUNTS];
    struct ngram *grams; /* [hyp_len + ref_len] */
    size_t grams_cap;
    size_t *row; /* [ref_len + 1] edit distance row */
    size_t row_cap;
    uint32_t *ids; /* [hyp tokens + ref tokens] interned text tokens */
    size_t ids_cap;
    struct tok *toks; /* [hyp tokens + ref tokens] */
    size_t toks_cap;
};

/* An n-gram occurrence: p[0..n) in the hypothesis (side 0) or the reference (side 1). */
struct ngram {
    const uint32_t *p;
    uint32_t n, side;
};

static int ngram_cmp(const void *a, const void *b) {
    const struct ngram *x = a, *y = b;
    for (uint32_t k = 0; k < x->n; k++)
        if (x->p[k] != y->p[k]) return x->p[k] < y->p[k] ? -1 : 1;
    return 0;
}

/* Adds sum over distinct n-grams g of min(count in hyp, count in ref) to correct[n - 1] and the
 * hypothesis's n-gram count to total[n - 1], for n = 1..4: sort both sides' occurrences
 * together, then walk the runs of equal n-grams. O(L log L) per order. */
static void count_ngrams(s2s_score_t *acc, const uint32_t *hyp, size_t hl, const uint32_t *ref,
                         size_t rl) {
    acc->grams = grow(acc->grams, &acc->grams_cap, hl + rl, sizeof *acc->grams);
    for (uint32_t n = 1; n <= S2S_SCORE_ORDER; n++) {
        size_t m = 0, nh = hl >= n ? hl - n + 1 : 0, nr = rl >= n ? rl - n + 1 : 0;
        for (size_t i = 0; i < nh; i++) acc->grams[m++] = (struct ngram){hyp + i, n, 0};
        for (size_t i = 0; i < nr; i++) acc->grams[m++] = (struct ngram){ref + i, n, 1};
        if (m > 1) qsort(acc->grams, m, sizeof *acc->grams, ngram_cmp);
        uint64_t correct = 0;
        for (size_t i = 0; i < m;) {
            size_t j = i, side[2] = {0, 0};
            while (j < m && !ngram_cmp(&acc->grams[i], &acc->grams[j]))
                side[acc->grams[j++].side]++;
            correct += side[0] < side[1] ? side[0] : side[1];
            i = j;
        }
        acc->counts[S2S_SCORE_CORRECT + n - 1] += correct;
        acc->counts[S2S_SCORE_TOTAL + n - 1] += nh;
    }
}

/* Levenshtein distance with unit costs, one row of the DP table: row[j] = distance between the
 * first i hypothesis tokens and the first j reference tokens. */
static size_t edit_distance(s2s_score_t *acc, const uint32_t *hyp, size_t hl, const uint32_t *ref,
                            size_t rl) {
    acc->row = grow(acc->row, &acc->row_cap, rl + 1, sizeof *acc->row);
    size_t *row = acc->row;
    for (size_t j = 0; j <= rl; j++) row[j] = j;
    for (size_t i = 1; i <= hl; i++) {
        size_t diag = row[0]; /* row[i-1][j-1] */
        row[0] = i;
        for (size_t j = 1; j <= rl; j++) {
            size_t up = row[j]; /* row[i-1][j] */
            size_t best = diag + (hyp[i - 1] != ref[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[rl];
}

/* ---- Accumulator -------------------------------------------------------------------------- */

s2s_score_t *s2s_score_new(void) {
    return drnn_calloc(1, sizeof(s2s_score_t));
}

void s2s_score_free(s2s_score_t *acc) {
    if (!acc) return;
    free(acc->grams);
    free(acc->row);
    free(acc->ids);
    free(acc->toks);
    free(acc);
}

void s2s_score_reset(s2s_score_t *acc) {
    memset(acc->counts, 0, sizeof acc->counts);
}

void s2s_score_add_ids(s2s_score_t *acc, const uint32_t *hyp, size_t hyp_len, const uint32_t *ref,
                       size_t ref_len) {
    uint64_t *c = acc->counts;
    c[S2S_SCORE_PAIRS]++;
    c[S2S_SCORE_EXACT] +=
        hyp_len == ref_len && (hyp_len == 0 || !memcmp(hyp, ref, hyp_len * sizeof *hyp));
    c[S2S_SCORE_EDITS] += edit_distance(acc, hyp, hyp_len, ref, ref_len);
    c[S2S_SCORE_HYP_LEN] += hyp_len;
    c[S2S_SCORE_REF_LEN] += ref_len;
    count_ngrams(acc, hyp, hyp_len, ref, ref_len);
}

/* A 13a token of a pair and the place its id goes. */
struct tok {
    const char *s;
    size_t slot;
};

static int tok_cmp(const void *a, const void *b) {
    return strcmp(((const struct tok *)a)->s, ((const struct tok *)b)->s);
}

/* Cuts the space-separated tokens of s (modified in place) into acc->toks from index *m on. */
static void tok_split(s2s_score_t *acc, char *s, size_t *m) {
    if (!*s) return;
    for (char *t = s;; t++) {
        acc->toks = grow(acc->toks, &acc->toks_cap, *m + 1, sizeof *acc->toks);
        acc->toks[*m] = (struct tok){t, *m};
        ++*m;
        t = strchr(t, ' ');
        if (!t) break;
        *t = '\0';
    }
}

void s2s_score_add_text(s2s_score_t *acc, const char *hyp, const char *ref) {
    char *th = s2s_score_tok13a(hyp), *tr = s2s_score_tok13a(ref);
    size_t m = 0;
    tok_split(acc, th, &m);
    size_t hl = m;
    tok_split(acc, tr, &m);
    /* Equal strings get equal ids: sort the pair's tokens, number the distinct ones. */
    acc->ids = grow(acc->ids, &acc->ids_cap, m + 1, sizeof *acc->ids);
    if (m > 1) qsort(acc->toks, m, sizeof *acc->toks, tok_cmp);
    uint32_t id = 0;
    for (size_t i = 0; i < m; i++) {
        if (i && strcmp(acc->toks[i - 1].s, acc->toks[i].s)) id++;
        acc->ids[acc->toks[i].slot] = id;
    }
    s2s_score_add_ids(acc, acc->ids, hl, acc->ids + hl, m - hl);
    free(th);
    free(tr);
}

void s2s_score_counts(const s2s_score_t *acc, uint64_t out[S2S_SCORE_NCOUNTS]) {
    memcpy(out, acc->counts, sizeof acc->counts);
}

void s2s_score_add_counts(s2s_score_t *acc, const uint64_t counts[S2S_SCORE_NCOUNTS]) {
    for (int i = 0; i < S2S_SCORE_NCOUNTS; i++) acc->counts[i] += counts[i];
}

/* ---- Figures ------------------------------------------------------------------------------ */

/* sacreBLEU's BLEU.compute_bleu(smooth_method='exp'), step for step: the same early returns, the
 * same order of operations, log(0) floored at -9999999999 as its my_log. */
static void bleu_exp(s2s_score_result_t *out, const uint64_t *correct, const uint64_t *total) {
    double c = (double)out->hyp_len, r = (double)out->ref_len;
    out->bp = 1.0;
    if (c < r) out->bp = c > 0 ? exp(1.0 - r / c) : 0.0;
    out->bleu = 0.0;
    for (int n = 0; n < S2S_SCORE_ORDER; n++) out->precisions[n] = 0.0;
    int any = 0;
    for (int n = 0; n < S2S_SCORE_ORDER; n++) any |= correct[n] != 0;
    if (!any) return;
    double smooth = 1.0, logsum = 0.0;
    for (int n = 0; n < S2S_SCORE_ORDER; n++) {
        if (total[n] == 0) break;
        if (correct[n] == 0) {
            smooth *= 2;
            out->precisions[n] = 100.0 / (smooth * (double)total[n]);
        } else {
            out->precisions[n] = 100.0 * (double)correct[n] / (double)total[n];
        }
    }
    for (int n = 0; n < S2S_SCORE_ORDER; n++)
        logsum += out->precisions[n] == 0.0 ? -9999999999.0 : log(out->precisions[n]);
    out->bleu = out->bp * exp(logsum / S2S_SCORE_ORDER);
}

void s2s_score_from_counts(s2s_score_result_t *out, const uint64_t counts[S2S_SCORE_NCOUNTS]) {
    out->pairs = counts[S2S_SCORE_PAIRS];
    out->edits = counts[S2S_SCORE_EDITS];
    out->hyp_len = counts[S2S_SCORE_HYP_LEN];
    out->ref_len = counts[S2S_SCORE_REF_LEN];
    out->exact_match = out->pairs ? (double)counts[S2S_SCORE_EXACT] / (double)out->pairs : 0.0;
    out->edit_rate = out->ref_len ? (double)out->edits / (double)out->ref_len
                     : out->edits ? 1.0
                                  : 0.0;
    bleu_exp(out, counts + S2S_SCORE_CORRECT, counts + S2S_SCORE_TOTAL);
}

void s2s_score_result(const s2s_score_t *acc, s2s_score_result_t *out) {
    s2s_score_from_counts(out, acc->counts);
}

/* trainer/s2s_score: figures worked out by hand, sacreBLEU's own known values, the 13a rules one
 * by one, and the counts round trip. tests/score_check.c compares whole corpora with
 * tests/reference/score_reference.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"
#include "trainer/s2s_score.h"

#define NEAR(got, want, what)                                                                      \
    EXPECT(fabs((got) - (want)) <= 1e-9 * fmax(1.0, fabs(want)), "%s: got %.15g want %.15g", what, \
           (double)(got), (double)(want))

static s2s_score_result_t score_ids(const uint32_t *h, size_t hl, const uint32_t *r, size_t rl) {
    s2s_score_t *acc = s2s_score_new();
    s2s_score_add_ids(acc, h, hl, r, rl);
    s2s_score_result_t res;
    s2s_score_result(acc, &res);
    s2s_score_free(acc);
    return res;
}

/* Identical pairs: BLEU 100, edit rate 0, exact match 1 — as text and as ids. */
static void test_identical(void) {
    const char *lines[] = {"The dog bit the man.", "It wasn't surprising, was it?",
                           "The man had just bitten him (twice)."};
    s2s_score_t *acc = s2s_score_new();
    for (int i = 0; i < 3; i++) s2s_score_add_text(acc, lines[i], lines[i]);
    s2s_score_result_t r;
    s2s_score_result(acc, &r);
    NEAR(r.bleu, 100.0, "identical text: bleu");
    NEAR(r.bp, 1.0, "identical text: bp");
    NEAR(r.edit_rate, 0.0, "identical text: edit rate");
    NEAR(r.exact_match, 1.0, "identical text: exact match");
    /* 13a: The dog bit the man . | It wasn't surprising , was it ? | ... ( twice ) . */
    EXPECT(r.pairs == 3 && r.hyp_len == 6 + 7 + 10 && r.ref_len == r.hyp_len,
           "identical text: pairs %llu, lengths %llu %llu", (unsigned long long)r.pairs,
           (unsigned long long)r.hyp_len, (unsigned long long)r.ref_len);
    s2s_score_free(acc);

    const uint32_t ids[] = {5, 6, 7, 8, 9};
    r = score_ids(ids, 5, ids, 5);
    NEAR(r.bleu, 100.0, "identical ids: bleu");
    NEAR(r.edit_rate, 0.0, "identical ids: edit rate");
}

static void test_worked(void) {
    /* hyp a b c d, ref a b d c e (c = 4, r = 5):
     *   1-grams 4/4; 2-grams {ab, bc, cd} vs {ab, bd, dc, ce}: 1/3; 3-grams 0/2; 4-grams 0/1.
     *   exp smoothing: p3 = 100 / (2 * 2) = 25, p4 = 100 / (4 * 1) = 25.
     *   BLEU = exp(1 - 5/4) * (100 * 100/3 * 25 * 25)^(1/4) = 0.778800783 * 37.991784 = 29.588031.
     *   Edits: insert d after b, substitute the last d by e -> 2; rate 2/5. */
    const uint32_t h[] = {1, 2, 3, 4}, r[] = {1, 2, 4, 3, 5};
    s2s_score_result_t s = score_ids(h, 4, r, 5);
    NEAR(s.bleu, 29.588031349552907, "worked: bleu");
    NEAR(s.bp, exp(-0.25), "worked: bp");
    const double p[4] = {100.0, 100.0 / 3, 25.0, 25.0};
    for (int n = 0; n < 4; n++) NEAR(s.precisions[n], p[n], "worked: precision");
    NEAR(s.edit_rate, 0.4, "worked: edit rate");
    NEAR(s.exact_match, 0.0, "worked: exact match");

    /* Clipping: hyp 7 7 7 7, ref 7 8: the 1-gram 7 counts once, p1 = 1/4; higher orders match
     * nothing, so p2 = 100/(2*3), p3 = 100/(4*2), p4 = 100/(8*1); c > r, bp = 1.
     * BLEU = (25 * 16.667 * 12.5 * 12.5)^(1/4) = 15.973578. Edits: keep a 7, substitute the next
     * by 8, delete two: 3; rate 3/2. */
    const uint32_t h2[] = {7, 7, 7, 7}, r2[] = {7, 8};
    s = score_ids(h2, 4, r2, 2);
    NEAR(s.bleu, 15.97357760615681, "clipped: bleu");
    NEAR(s.precisions[0], 25.0, "clipped: p1");
    NEAR(s.precisions[3], 12.5, "clipped: p4");
    NEAR(s.edit_rate, 1.5, "clipped: edit rate");

    /* Pairs shorter than 4 tokens: no 4-gram in the hypotheses, so sacreBLEU's loop stops and
     * BLEU is 0 even for an exact match. */
    s = score_ids(h, 2, h, 2);
    NEAR(s.bleu, 0.0, "short: bleu");
    NEAR(s.exact_match, 1.0, "short: exact match");
    NEAR(s.precisions[1], 100.0, "short: p2");
    NEAR(s.precisions[2], 0.0, "short: p3");

    /* Empty hypothesis: bp 0, BLEU 0, every reference token an edit. */
    s = score_ids(NULL, 0, r, 5);
    NEAR(s.bleu, 0.0, "empty: bleu");
    NEAR(s.bp, 0.0, "empty: bp");
    NEAR(s.edit_rate, 1.0, "empty: edit rate");
    /* Empty reference: edit rate 1 with edits, 0 without (sacreBLEU's TER). */
    s = score_ids(h, 4, NULL, 0);
    NEAR(s.edit_rate, 1.0, "empty ref: edit rate");
    s = score_ids(NULL, 0, NULL, 0);
    NEAR(s.edit_rate, 0.0, "both empty: edit rate");
    NEAR(s.exact_match, 1.0, "both empty: exact match");
}

/* sacreBLEU's test/test_bleu.py: compute_bleu([9,7,5,3], [10,8,6,4], 11, 11) = 0.8375922397, and
 * the statistics of "am I am a character sequence" against "I am a symbol string sequence a a". */
static void test_sacrebleu_values(void) {
    uint64_t c[S2S_SCORE_NCOUNTS] = {0};
    const uint64_t correct[4] = {9, 7, 5, 3}, total[4] = {10, 8, 6, 4};
    for (int n = 0; n < 4; n++)
        c[S2S_SCORE_CORRECT + n] = correct[n], c[S2S_SCORE_TOTAL + n] = total[n];
    c[S2S_SCORE_HYP_LEN] = c[S2S_SCORE_REF_LEN] = 11;
    s2s_score_result_t r;
    s2s_score_from_counts(&r, c);
    EXPECT(fabs(r.bleu - 83.75922397) < 1e-6, "compute_bleu: got %.10f want 83.75922397", r.bleu);

    s2s_score_t *acc = s2s_score_new();
    s2s_score_add_text(acc, "am I am a character sequence", "I am a symbol string sequence a a");
    s2s_score_counts(acc, c);
    const uint64_t want_c[4] = {4, 2, 1, 0}, want_t[4] = {6, 5, 4, 3};
    for (int n = 0; n < 4; n++)
        EXPECT(c[S2S_SCORE_CORRECT + n] == want_c[n] && c[S2S_SCORE_TOTAL + n] == want_t[n],
               "statistics order %d: %llu/%llu", n + 1,
               (unsigned long long)c[S2S_SCORE_CORRECT + n],
               (unsigned long long)c[S2S_SCORE_TOTAL + n]);
    s2s_score_free(acc);
}

static void expect_tok(const char *line, const char *want) {
    char *got = s2s_score_tok13a(line);
    EXPECT(!strcmp(got, want), "13a of \"%s\": \"%s\", want \"%s\"", line, got, want);
    free(got);
}

static void test_tok13a(void) {
    expect_tok("Hello, world!", "Hello , world !");
    expect_tok("It costs $3.50, ok.", "It costs $ 3.50 , ok ."); /* no split inside 3.50 */
    expect_tok("in 2020.", "in 2020 .");   /* the added end space lets the period go */
    expect_tok(".5 5. ,5", ". 5 5 . , 5"); /* likewise the added front space */
    expect_tok("1-2 a-b", "1 - 2 a-b");    /* dash split only after a digit */
    expect_tok("don't", "don't");          /* apostrophe kept */
    expect_tok("a..b", "a . . b");         /* non-overlapping passes */
    expect_tok("&amp;lt; &quot;x&quot; &amp;quot;", "< \" x \" & quot ;"); /* one pass each */
    expect_tok("a <skipped> b", "a b");
    expect_tok("co-\nop end-\n", "coop end-"); /* trailing "-\n" is stripped first, so stays */
    expect_tok("na\xc3\xafve.", "na\xc3\xafve .");
    expect_tok("a\xc2\xa0"
               "b\xe3\x80\x80"
               "c\xe2\x80\x89"
               "d\x1f"
               "e",
               "a b c d e");
    expect_tok("A \tB  \xe2\x80\xa8", "A B");
    expect_tok("", "");
    expect_tok(" \t ", "");
}

/* Counts out, summed, back in: merged accumulators give the figures of one. */
static void test_counts(void) {
    const char *h[] = {"the cat sat on the mat", "a b c d e", "", "x y z"};
    const char *r[] = {"the cat is on the mat", "a b c d e", "nothing", "x y w z"};
    s2s_score_t *all = s2s_score_new(), *a = s2s_score_new(), *b = s2s_score_new();
    for (int i = 0; i < 4; i++) {
        s2s_score_add_text(all, h[i], r[i]);
        s2s_score_add_text(i % 2 ? a : b, h[i], r[i]);
    }
    uint64_t ca[S2S_SCORE_NCOUNTS], cb[S2S_SCORE_NCOUNTS], call[S2S_SCORE_NCOUNTS];
    s2s_score_counts(a, ca);
    s2s_score_counts(b, cb);
    s2s_score_counts(all, call);
    for (int i = 0; i < S2S_SCORE_NCOUNTS; i++) ca[i] += cb[i]; /* what MPI_SUM does */
    EXPECT(!memcmp(ca, call, sizeof ca), "summed counts differ");
    s2s_score_add_counts(a, cb);
    s2s_score_result_t ra, rall;
    s2s_score_result(a, &ra);
    s2s_score_result(all, &rall);
    EXPECT(!memcmp(&ra, &rall, sizeof ra), "merged figures differ");
    EXPECT(rall.pairs == 4, "pairs %llu", (unsigned long long)rall.pairs);
    NEAR(rall.exact_match, 0.25, "merged: exact match");
    s2s_score_reset(all);
    s2s_score_counts(all, call);
    for (int i = 0; i < S2S_SCORE_NCOUNTS; i++) EXPECT(call[i] == 0, "reset: count %d", i);
    s2s_score_free(all);
    s2s_score_free(a);
    s2s_score_free(b);
}

int main(void) {
    test_identical();
    test_worked();
    test_sacrebleu_values();
    test_tok13a();
    test_counts();
    return TEST_RESULT("test_s2s_score");
}

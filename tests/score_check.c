/* tests/score_check.c DIR — trainer/s2s_score against the figures of
 * tests/reference/score_reference.py (written into DIR first by test_score_reference.sh).
 *
 * For every set S in DIR/sets.txt: each line of S.hyp.txt / S.ref.txt must tokenize (13a) to the
 * line of S.*.tok; the pairs go through s2s_score_add_text ("text") and the lines of S.*.ids
 * through s2s_score_add_ids ("ids"); every count of S.expected must match exactly and every
 * figure within 1e-6. The same pairs dealt round-robin to three accumulators and merged with
 * s2s_score_add_counts must give the same counts (what an all-reduce over ranks does). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"
#include "trainer/s2s_score.h"

#define TOL 1e-6

typedef struct {
    char **v;
    size_t n;
} lines_t;

static lines_t read_lines(const char *dir, const char *set, const char *ext) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, set, ext);
    lines_t l = {NULL, 0};
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("FAIL: cannot open %s: %s\n", path, strerror(errno));
        exit(1);
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&buf, &cap, f)) >= 0) {
        if (len > 0 && buf[len - 1] == '\n') buf[len - 1] = '\0';
        char **v = realloc(l.v, (l.n + 1) * sizeof *v);
        if (!v) exit(1);
        l.v = v;
        l.v[l.n++] = strdup(buf);
    }
    free(buf);
    fclose(f);
    return l;
}

static void lines_free(lines_t *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
}

/* Parses a line of decimal ids into ids (caller-sized: at most strlen / 2 + 1 entries). */
static size_t parse_ids(uint32_t *ids, const char *s) {
    size_t n = 0;
    char *end;
    for (;;) {
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s) break;
        ids[n++] = (uint32_t)v;
        s = end;
    }
    return n;
}

/* The figure or count called key of r (counts come from c). */
static double lookup(const s2s_score_result_t *r, const uint64_t *c, const char *key, int *found) {
    static const char *const cnt[] = {"pairs",    "exact",    "edits",    "hyp_len",  "ref_len",
                                      "correct1", "correct2", "correct3", "correct4", "total1",
                                      "total2",   "total3",   "total4"};
    *found = 1;
    for (int i = 0; i < S2S_SCORE_NCOUNTS; i++)
        if (!strcmp(key, cnt[i])) return (double)c[i];
    if (!strcmp(key, "exact_match")) return r->exact_match;
    if (!strcmp(key, "edit_rate")) return r->edit_rate;
    if (!strcmp(key, "bleu")) return r->bleu;
    if (!strcmp(key, "bp")) return r->bp;
    if (key[0] == 'p' && key[1] >= '1' && key[1] <= '4' && !key[2])
        return r->precisions[key[1] - '1'];
    *found = 0;
    return 0;
}

static void check_set(const char *dir, const char *set) {
    lines_t ht = read_lines(dir, set, "hyp.txt"), rt = read_lines(dir, set, "ref.txt");
    lines_t hk = read_lines(dir, set, "hyp.tok"), rk = read_lines(dir, set, "ref.tok");
    lines_t hi = read_lines(dir, set, "hyp.ids"), ri = read_lines(dir, set, "ref.ids");
    size_t n = ht.n;
    EXPECT(rt.n == n && hk.n == n && rk.n == n && hi.n == n && ri.n == n, "%s: line counts", set);
    if (test_failures) exit(1);

    s2s_score_t *text = s2s_score_new(), *ids = s2s_score_new(), *part[3];
    for (int k = 0; k < 3; k++) part[k] = s2s_score_new();
    for (size_t i = 0; i < n; i++) {
        const char *txt[2] = {ht.v[i], rt.v[i]}, *want[2] = {hk.v[i], rk.v[i]};
        for (int k = 0; k < 2; k++) {
            char *got = s2s_score_tok13a(txt[k]);
            EXPECT(!strcmp(got, want[k]), "%s line %zu: 13a of \"%s\" is \"%s\", want \"%s\"", set,
                   i + 1, txt[k], got, want[k]);
            free(got);
        }
        s2s_score_add_text(text, ht.v[i], rt.v[i]);
        uint32_t *h = malloc((strlen(hi.v[i]) / 2 + 1) * sizeof *h);
        uint32_t *r = malloc((strlen(ri.v[i]) / 2 + 1) * sizeof *r);
        if (!h || !r) exit(1);
        size_t hn = parse_ids(h, hi.v[i]), rn = parse_ids(r, ri.v[i]);
        s2s_score_add_ids(ids, h, hn, r, rn);
        s2s_score_add_ids(part[i % 3], h, hn, r, rn);
        free(h);
        free(r);
    }

    uint64_t ct[S2S_SCORE_NCOUNTS], ci[S2S_SCORE_NCOUNTS], cm[S2S_SCORE_NCOUNTS];
    s2s_score_counts(text, ct);
    s2s_score_counts(ids, ci);
    for (int k = 1; k < 3; k++) {
        s2s_score_counts(part[k], cm);
        s2s_score_add_counts(part[0], cm);
    }
    s2s_score_counts(part[0], cm);
    EXPECT(!memcmp(cm, ci, sizeof ci), "%s: merged counts differ from one accumulator's", set);
    s2s_score_result_t rtext, rids;
    s2s_score_from_counts(&rtext, ct);
    s2s_score_result(ids, &rids);

    char path[4096], mode[16], key[32];
    double want;
    snprintf(path, sizeof path, "%s/%s.expected", dir, set);
    FILE *f = fopen(path, "r");
    EXPECT(f != NULL, "cannot open %s", path);
    int checked = 0;
    while (f && fscanf(f, "%15s %31s %lf", mode, key, &want) == 3) {
        int text_mode = !strcmp(mode, "text"), found;
        double got = lookup(text_mode ? &rtext : &rids, text_mode ? ct : ci, key, &found);
        EXPECT(found, "%s: unknown key %s", path, key);
        EXPECT(fabs(got - want) <= TOL, "%s %s %s: got %.12g, want %.12g", set, mode, key, got,
               want);
        checked++;
    }
    if (f) fclose(f);
    EXPECT(checked == 2 * 21, "%s: %d figures checked, want 42", path, checked);
    printf("%-10s %3zu pairs  BLEU %8.4f  edit rate %.4f  exact %.3f  (ids: BLEU %8.4f)\n", set, n,
           rtext.bleu, rtext.edit_rate, rtext.exact_match, rids.bleu);

    s2s_score_free(text);
    s2s_score_free(ids);
    for (int k = 0; k < 3; k++) s2s_score_free(part[k]);
    lines_t *all[] = {&ht, &rt, &hk, &rk, &hi, &ri};
    for (int k = 0; k < 6; k++) lines_free(all[k]);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: score_check DIR (written by tests/reference/score_reference.py)\n");
        return 64;
    }
    lines_t sets = read_lines(argv[1], "sets", "txt");
    EXPECT(sets.n > 0, "no sets in %s/sets.txt", argv[1]);
    for (size_t i = 0; i < sets.n; i++) check_set(argv[1], sets.v[i]);
    lines_free(&sets);
    return TEST_RESULT("score_check");
}

/* prep/prep_lines.c — drnn-prep's passes over data with one example per line, for
 * --format labels (prep/prep_labels.c), --format pairs (prep/prep_pairs.c) and --format tags
 * (prep/prep_tags.c); the passes are described in prep/prep.h.
 */
#include "prep/prep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/textfile.h"

void prep_lines_init(prep_lines_t *c, const prep_opts_t *o, const char *expect, prep_line_fn fn,
                     void *fmt, int need_counts) {
    memset(c, 0, sizeof *c);
    c->o = o;
    c->expect = expect;
    c->on_line = fn;
    c->fmt = fmt;
    c->need_counts = need_counts;
    c->crlf = !o->keep_cr;
    c->splitter = prep_splitter(o, 0);
}

void prep_lines_free(prep_lines_t *c) {
    tok_splitter_free(c->splitter);
    c->splitter = NULL;
}

int prep_lines_fail(prep_lines_t *c, uint64_t lineno, const char *why) {
    snprintf(c->err, sizeof c->err, "%s:%llu: %s; expected '%s'", c->name,
             (unsigned long long)lineno, why, c->expect);
    c->rc = 65;
    return 1;
}

int prep_lines_changed(prep_lines_t *c) {
    snprintf(c->err, sizeof c->err, "%s changed while drnn-prep was reading it; run it again",
             c->name);
    c->rc = 65;
    return 1;
}

int prep_lines_split_tab(prep_lines_t *c, const char *line, size_t len, uint64_t lineno,
                         const char *a, const char *b, prep_tab_t *out) {
    char why[64];
    const char *tab = memchr(line, '\t', len);
    if (!tab) {
        snprintf(why, sizeof why, "no TAB between %s and %s", a, b);
        return prep_lines_fail(c, lineno, why);
    }
    out->text[0] = line;
    out->len[0] = (size_t)(tab - line);
    out->text[1] = tab + 1;
    out->len[1] = len - out->len[0] - 1;
    for (int k = 0; k < 2; k++) {
        if (out->len[k]) continue;
        snprintf(why, sizeof why, "empty %s %s the TAB", k ? b : a, k ? "after" : "before");
        return prep_lines_fail(c, lineno, why);
    }
    return 0;
}

int prep_lines_mode(const prep_lines_t *c) {
    return c->pass == PREP_WRITE ? PREP_TOK_IDS : c->counting ? PREP_TOK_COUNT : PREP_TOK_LEN;
}

/* ---- tokenizing one text ----------------------------------------------------------------------
 */

typedef struct {
    prep_text_t *t;
    int mode;
} text_emit_t;

static int text_emit(void *arg, const unsigned char *sym, size_t len) {
    text_emit_t *e = arg;
    prep_text_t *t = e->t;
    if (e->mode == PREP_TOK_COUNT && t->counter && tok_counter_add(t->counter, sym, len) != 0)
        return -1;
    if (e->mode == PREP_TOK_IDS && tok_ids_emit(&t->enc, sym, len) != 0) return -1;
    t->n++;
    return 0;
}

int prep_lines_tokenize(prep_lines_t *c, prep_text_t *t, const char *text, size_t len, int mode) {
    text_emit_t e = {t, mode};
    t->n = 0;
    t->enc.n = 0;
    t->enc.unknown = 0;
    tok_splitter_t *s = t->splitter ? t->splitter : c->splitter;
    int stop = tok_splitter_feed(s, text, len, text_emit, &e);
    if (!stop) stop = tok_splitter_finish(s, text_emit, &e);
    if (stop) { /* emit stops only when out of memory */
        snprintf(c->err, sizeof c->err, "out of memory tokenizing %s", c->name);
        c->rc = 70;
    }
    return stop != 0;
}

/* ---- the passes ------------------------------------------------------------------------------ */

/* textfile_line_fn: one line of an input in the current pass. */
static int on_line(void *arg, const char *line, size_t len, uint64_t lineno) {
    prep_lines_t *c = arg;
    int cr = len > 0 && line[len - 1] == '\r'; /* before "\n", or the file's last byte */
    c->crs += cr && c->pass == PREP_WRITE;     /* every line is read once in that pass */
    if (cr && c->crlf) len--;                  /* CRLF: the line ends before "\r" */
    if (len == 0) return 0;                    /* empty lines are skipped */
    if (c->pass == PREP_COUNT && (c->done = c->example == c->end[CORPUS_TRAIN])) return 1;
    while (c->pass == PREP_WRITE && c->example == c->end[c->split])
        if (++c->split == CORPUS_NSPLITS) return prep_lines_changed(c); /* more than pass 1 saw */
    if (c->on_line(c, line, len, lineno)) return 1;
    c->example++;
    return 0;
}

/* Reads FILES[0..n) (NAMES as given) in the current pass; dies on any error. */
static void read_files(prep_lines_t *c, const char *const *files, const char *const *names, int n) {
    char err[PATH_MAX + 256];
    for (int i = 0; i < n && !c->done; i++) {
        int stop = 0;
        c->name = names[i];
        int rc = textfile_lines(files[i], on_line, c, &stop, err, sizeof err);
        if (rc && strcmp(files[i], names[i]) != 0) prep_die(rc, "%s (a copy of %s)", err, names[i]);
        if (rc) prep_die(rc, "%s", err);
        if (stop && !c->done) prep_die(c->rc ? c->rc : 70, "%s", c->err);
    }
}

static void plan_splits(const prep_opts_t *o, uint64_t total, uint64_t end[CORPUS_NSPLITS]) {
    uint64_t ntest = prep_share(total, o->test_frac), nvalid = prep_share(total, o->valid_frac);
    if (ntest + nvalid >= total)
        prep_die(65, "the input has only %llu examples: too few to split off valid and test",
                 (unsigned long long)total);
    end[CORPUS_TRAIN] = total - nvalid - ntest;
    end[CORPUS_VALID] = end[CORPUS_TRAIN] + nvalid;
    end[CORPUS_TEST] = total;
}

void prep_lines_scan(prep_lines_t *c, uint64_t n[2]) {
    const prep_opts_t *o = c->o;
    int no_tail = o->valid_frac == 0 && o->test_frac == 0;
    c->pass = PREP_CHECK;
    c->counting = no_tail && c->need_counts; /* without a tail every example is train */
    read_files(c, o->inputs, o->names, o->ninputs);
    n[0] = c->example;
    if (n[0] == 0)
        prep_die(65, "%s%s has no examples; expected lines '%s'", o->names[0],
                 o->ninputs > 1 ? " (and the other inputs)" : "", c->expect);
    c->counting = 0; /* the --valid file is never train */
    c->example = 0;
    if (o->valid_file) read_files(c, &o->valid_file, &o->valid_name, 1);
    n[1] = c->example;
    if (o->valid_file && n[1] == 0)
        prep_die(65, "--valid %s has no examples; expected lines '%s'", o->valid_name, c->expect);
    plan_splits(o, n[0], c->end);
    if (no_tail || !c->need_counts) return;
    c->pass = PREP_COUNT;
    c->counting = 1;
    c->example = 0;
    read_files(c, o->inputs, o->names, o->ninputs);
    c->counting = 0;
}

void prep_lines_write(prep_lines_t *c, const uint64_t n[2]) {
    const prep_opts_t *o = c->o;
    c->pass = PREP_WRITE;
    c->done = 0;
    c->example = 0;
    c->split = CORPUS_TRAIN;
    read_files(c, o->inputs, o->names, o->ninputs);
    if (c->example != n[0])
        prep_die(65, "the input changed while drnn-prep was reading it; run it again");
    if (!o->valid_file) return;
    c->example = 0;
    c->split = CORPUS_VALID;
    c->end[CORPUS_VALID] = UINT64_MAX;
    read_files(c, &o->valid_file, &o->valid_name, 1);
    if (c->example != n[1])
        prep_die(65, "'%s' changed while drnn-prep was reading it; run it again", o->valid_name);
}

/* prep/prep_labels.c — drnn-prep --format labels: lines "label<TAB>text" to a labelled corpus
 * (DESIGN §6; layout in io/corpus_write.h).
 *
 * Every non-empty line is one example (the passes over them: prep/prep_lines.c): the label is
 * the bytes before the first TAB, the text all bytes after it. A line without a TAB, with an
 * empty label, or with a text that has no tokens ends drnn-prep with 65 naming the file and
 * line. The first pass also collects the label names; the last writes each text's tokens (no
 * newline or <eos> is added), its end offset and its label id. Label ids follow the byte order
 * (strcmp) of the names seen in all inputs and the --valid file, so a label that only valid has
 * still gets an id.
 */
#include "prep/prep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- label names: a small open-addressing set (prep/prep.h) --------------------------------- */

static uint64_t name_hash(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static prep_name_slot_t *label_probe(const prep_names_t *t, const char *s, size_t len) {
    for (size_t i = name_hash(s, len) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        prep_name_slot_t *e = &t->slots[i];
        if (!e->name || (strncmp(e->name, s, len) == 0 && e->name[len] == '\0')) return e;
    }
}

const prep_name_slot_t *prep_names_find(const prep_names_t *t, const char *s, size_t len) {
    static const prep_name_slot_t none = {NULL, 0};
    return t->cap ? label_probe(t, s, len) : &none;
}

int prep_names_add(prep_names_t *t, const char *s, size_t len) {
    if (2 * (t->n + 1) > t->cap) { /* keep the load under 1/2 */
        prep_names_t big = {calloc(t->cap ? 2 * t->cap : 64, sizeof *big.slots),
                            t->cap ? 2 * t->cap : 64, t->n};
        if (!big.slots) return -1;
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i].name)
                *label_probe(&big, t->slots[i].name, strlen(t->slots[i].name)) = t->slots[i];
        free(t->slots);
        *t = big;
    }
    prep_name_slot_t *e = label_probe(t, s, len);
    if (e->name) return 0;
    if (!(e->name = strndup(s, len))) return -1;
    t->n++;
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **prep_names_assign_ids(prep_names_t *t) {
    char **sorted = malloc(t->n * sizeof *sorted), **out = NULL;
    size_t k = 0, bytes = t->n * sizeof *out;
    if (!sorted) return NULL;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].name) sorted[k++] = t->slots[i].name, bytes += strlen(t->slots[i].name) + 1;
    qsort(sorted, t->n, sizeof *sorted, by_name);
    if ((out = malloc(bytes))) {
        char *p = (char *)(out + t->n);
        for (size_t i = 0; i < t->n; i++) {
            out[i] = strcpy(p, sorted[i]);
            p += strlen(p) + 1;
            label_probe(t, sorted[i], strlen(sorted[i]))->id = (uint32_t)i;
        }
    }
    free(sorted);
    return out;
}

void prep_names_free(prep_names_t *t) {
    for (size_t i = 0; i < t->cap; i++) free(t->slots[i].name);
    free(t->slots);
}

/* ---- one example ---------------------------------------------------------------------------- */

typedef struct {
    prep_lines_t lines;
    prep_names_t labels;
    prep_text_t text;
    corpus_writer_t *w;
    prep_stats_t *st;
} labels_ctx_t;

static int write_example(prep_lines_t *c, const char *label, size_t label_len, const char *text,
                         size_t len) {
    labels_ctx_t *L = c->fmt;
    const prep_name_slot_t *e = prep_names_find(&L->labels, label, label_len);
    if (!e->name) return prep_lines_changed(c); /* a label pass 1 did not see */
    if (prep_lines_tokenize(c, &L->text, text, len, PREP_TOK_IDS)) return 1;
    L->st->unknown[c->split] += L->text.enc.unknown;
    L->st->label_counts[(size_t)c->split * L->st->num_labels + e->id]++;
    c->rc = corpus_writer_append_example(L->w, c->split, L->text.enc.ids, L->text.enc.n, e->id,
                                         c->err, sizeof c->err);
    return c->rc != 0;
}

/* prep_line_fn: "label<TAB>text". */
static int label_line(prep_lines_t *c, const char *line, size_t len, uint64_t lineno) {
    labels_ctx_t *L = c->fmt;
    prep_tab_t f;
    if (prep_lines_split_tab(c, line, len, lineno, "label", "text", &f)) return 1;
    size_t label_len = f.len[0], text_len = f.len[1];
    const char *text = f.text[1];
    if (memchr(line, '\0', label_len))
        return prep_lines_fail(c, lineno, "the label holds a NUL byte");
    if (c->pass == PREP_WRITE) return write_example(c, line, label_len, text, text_len);
    if (prep_lines_tokenize(c, &L->text, text, text_len, prep_lines_mode(c))) return 1;
    if (L->text.n == 0)
        return prep_lines_fail(c, lineno, "the text after the TAB has no word tokens");
    if (c->pass == PREP_CHECK && prep_names_add(&L->labels, line, label_len) != 0) {
        snprintf(c->err, sizeof c->err, "out of memory collecting the labels");
        c->rc = 70;
        return 1;
    }
    return 0;
}

void prep_labels_run(const prep_opts_t *o, prep_stats_t *st) {
    char err[PATH_MAX + 256];
    uint64_t n[2];
    labels_ctx_t *L = calloc(1, sizeof *L);
    if (!L) prep_die(70, "out of memory");
    L->st = st;
    prep_lines_init(&L->lines, o, "label<TAB>text", label_line, L,
                    o->kind != TOK_BYTE && o->kind != TOK_SPM);
    tok_counter_t *counter = tok_counter_new(o->kind);
    if (!counter) prep_die(70, "out of memory");
    L->text.counter = counter;
    prep_lines_scan(&L->lines, n);
    st->num_labels = L->labels.n;
    st->label_names = prep_names_assign_ids(&L->labels);
    st->label_counts = calloc(CORPUS_NSPLITS * L->labels.n, sizeof *st->label_counts);
    if (!st->label_names || !st->label_counts) prep_die(70, "out of memory");
    tok_vocab_t *vocab = prep_open_output(o, counter, st, &L->w);
    tok_counter_free(counter);
    L->text.counter = NULL;
    L->text.enc.v = vocab;
    int rc = corpus_writer_set_labels(L->w, (const char *const *)st->label_names, st->num_labels,
                                      err, sizeof err);
    if (rc) prep_die(rc, "%s", err);
    prep_lines_write(&L->lines, n);
    st->crs = L->lines.crs;
    prep_commit(st);
    tok_vocab_free(vocab);
    prep_lines_free(&L->lines);
    prep_names_free(&L->labels);
    free(L->text.enc.ids);
    free(L);
}

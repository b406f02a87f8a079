/* trainer/prep_labels.c — drnn-prep --format labels: lines "label<TAB>text" to a labelled corpus
 * (DESIGN §6; layout in io/corpus_write.h).
 *
 * Every non-empty line is one example: the label is the bytes before the first TAB, the text all
 * bytes after it. Empty lines are skipped; a line without a TAB, with an empty label, or with a
 * text that has no tokens ends drnn-prep with 65 naming the file and line. Several INPUTs are
 * read one after the other, each with its own line numbers. Passes, as for text (drnn_prep.c):
 *   1. check every line of the inputs and of the --valid file, count the examples N (which fixes
 *      train | valid | test) and collect the label names; when all of N is train, also count the
 *      train symbols;
 *   2. otherwise count the symbols of the first N_train examples' texts;
 *   3. tokenize each text again (no newline or <eos> is added) and write its tokens, end offset
 *      and label id.
 * Label ids follow the byte order (strcmp) of the names seen in all inputs and the --valid file,
 * so a label that only valid has still gets an id.
 */
#include "trainer/prep.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/textfile.h"

/* ---- label names: a small open-addressing set --------------------------------------------- */

typedef struct {
    char *name; /* NULL: empty slot */
    uint32_t id;
} label_slot_t;

typedef struct {
    label_slot_t *slots;
    size_t cap, n; /* cap: a power of two */
} label_set_t;

static uint64_t name_hash(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static label_slot_t *label_probe(const label_set_t *t, const char *s, size_t len) {
    for (size_t i = name_hash(s, len) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        label_slot_t *e = &t->slots[i];
        if (!e->name || (strncmp(e->name, s, len) == 0 && e->name[len] == '\0')) return e;
    }
}

/* Adds the name s[0..len) (no NUL byte in it) if new. Returns -1 when out of memory. */
static int label_add(label_set_t *t, const char *s, size_t len) {
    if (2 * (t->n + 1) > t->cap) { /* keep the load under 1/2 */
        label_set_t big = {calloc(t->cap ? 2 * t->cap : 64, sizeof *big.slots),
                           t->cap ? 2 * t->cap : 64, t->n};
        if (!big.slots) return -1;
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i].name)
                *label_probe(&big, t->slots[i].name, strlen(t->slots[i].name)) = t->slots[i];
        free(t->slots);
        *t = big;
    }
    label_slot_t *e = label_probe(t, s, len);
    if (e->name) return 0;
    if (!(e->name = strndup(s, len))) return -1;
    t->n++;
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Gives the names ids in byte order and returns them in that order, packed in one allocation. */
static char **label_assign_ids(label_set_t *t) {
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

static void label_set_free(label_set_t *t) {
    for (size_t i = 0; i < t->cap; i++) free(t->slots[i].name);
    free(t->slots);
}

/* ---- one pass over the examples ------------------------------------------------------------ */

enum { PASS_CHECK, PASS_COUNT, PASS_WRITE };

typedef struct {
    const prep_opts_t *o;
    int pass;
    const char *name;             /* the file being read, as the user named it */
    uint64_t example;             /* index of the next example in the stream being read */
    uint64_t end[CORPUS_NSPLITS]; /* example index where each split ends (PASS_WRITE, COUNT) */
    int split;                    /* PASS_WRITE: the split being written */
    int done;                     /* PASS_COUNT: every train example counted */
    tok_splitter_t *splitter;
    tok_counter_t *counter; /* NULL: do not count symbols */
    label_set_t labels;
    /* the current example's tokens */
    uint64_t ntok;
    uint32_t *ids;
    size_t nids, cap;
    /* PASS_WRITE */
    tok_vocab_t *vocab;
    corpus_writer_t *w;
    prep_stats_t *st;
    int rc;
    char err[PATH_MAX + 256];
} ex_ctx_t;

static int ex_fail(ex_ctx_t *c, uint64_t lineno, const char *why) {
    snprintf(c->err, sizeof c->err, "%s:%llu: %s; expected 'label<TAB>text'", c->name,
             (unsigned long long)lineno, why);
    c->rc = 65;
    return 1;
}

static int count_emit(void *arg, const unsigned char *sym, size_t len) {
    ex_ctx_t *c = arg;
    c->ntok++;
    return c->counter && tok_counter_add(c->counter, sym, len) != 0 ? -1 : 0;
}

static int write_emit(void *arg, const unsigned char *sym, size_t len) {
    ex_ctx_t *c = arg;
    if (c->nids == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        uint32_t *ids = realloc(c->ids, cap * sizeof *ids);
        if (!ids) return -1;
        c->ids = ids;
        c->cap = cap;
    }
    uint32_t id = tok_vocab_id(c->vocab, sym, len);
    c->st->unknown[c->split] += id == TOK_UNK && c->o->kind != TOK_BYTE;
    c->ids[c->nids++] = id;
    return 0;
}

/* Tokenizes text[0..len) as one complete stream through EMIT. */
static int tokenize(ex_ctx_t *c, const char *text, size_t len, tok_emit_fn emit) {
    c->ntok = 0;
    c->nids = 0;
    int stop = tok_splitter_feed(c->splitter, text, len, emit, c);
    if (!stop) stop = tok_splitter_finish(c->splitter, emit, c);
    if (stop) { /* emit stops only when out of memory */
        snprintf(c->err, sizeof c->err, "out of memory tokenizing %s", c->name);
        c->rc = 70;
    }
    return stop;
}

static int write_example(ex_ctx_t *c, const char *label, size_t label_len, const char *text,
                         size_t len) {
    while (c->example == c->end[c->split]) {
        if (++c->split == CORPUS_NSPLITS) { /* more examples than pass 1 counted */
            snprintf(c->err, sizeof c->err,
                     "%s changed while drnn-prep was reading it; run it again", c->name);
            c->rc = 65;
            return 1;
        }
    }
    const label_slot_t *e = label_probe(&c->labels, label, label_len);
    if (!e->name) { /* a label pass 1 did not see */
        snprintf(c->err, sizeof c->err, "%s changed while drnn-prep was reading it; run it again",
                 c->name);
        c->rc = 65;
        return 1;
    }
    if (tokenize(c, text, len, write_emit)) return 1;
    uint32_t id = e->id;
    c->st->label_counts[(size_t)c->split * c->st->num_labels + id]++;
    c->rc =
        corpus_writer_append_example(c->w, c->split, c->ids, c->nids, id, c->err, sizeof c->err);
    c->example++;
    return c->rc != 0;
}

/* textfile_line_fn: one line of an input in the current pass. */
static int on_line(void *arg, const char *line, size_t len, uint64_t lineno) {
    ex_ctx_t *c = arg;
    if (len == 0) return 0; /* empty lines are skipped */
    const char *tab = memchr(line, '\t', len);
    if (!tab) return ex_fail(c, lineno, "no TAB between label and text");
    size_t label_len = (size_t)(tab - line), text_len = len - label_len - 1;
    const char *text = tab + 1;
    if (label_len == 0) return ex_fail(c, lineno, "empty label before the TAB");
    if (text_len == 0) return ex_fail(c, lineno, "empty text after the TAB");
    if (memchr(line, '\0', label_len)) return ex_fail(c, lineno, "the label holds a NUL byte");
    if (c->pass == PASS_WRITE) return write_example(c, line, label_len, text, text_len);
    if (c->pass == PASS_COUNT && (c->done = c->example == c->end[CORPUS_TRAIN])) return 1;
    if (tokenize(c, text, text_len, count_emit)) return 1;
    if (c->ntok == 0) return ex_fail(c, lineno, "the text after the TAB has no word tokens");
    c->example++;
    if (c->pass == PASS_CHECK && label_add(&c->labels, line, label_len) != 0) {
        snprintf(c->err, sizeof c->err, "out of memory collecting the labels");
        c->rc = 70;
        return 1;
    }
    return 0;
}

/* Reads FILES[0..n) (NAMES as given) in the current pass; dies on any error. */
static void read_files(ex_ctx_t *c, const char *const *files, const char *const *names, int n) {
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

/* ---- the passes ------------------------------------------------------------------------------ */

/* Pass 1 over the inputs and the --valid file; returns the examples of each in n[0], n[1]. */
static void check_inputs(ex_ctx_t *c, uint64_t n[2]) {
    const prep_opts_t *o = c->o;
    c->pass = PASS_CHECK;
    read_files(c, o->inputs, o->names, o->ninputs);
    n[0] = c->example;
    if (n[0] == 0)
        prep_die(65, "%s%s has no examples; expected lines 'label<TAB>text'", o->names[0],
                 o->ninputs > 1 ? " (and the other inputs)" : "");
    c->counter = NULL; /* the --valid file is never train */
    c->example = 0;
    if (o->valid_file) read_files(c, &o->valid_file, &o->valid_name, 1);
    n[1] = c->example;
    if (o->valid_file && n[1] == 0)
        prep_die(65, "--valid %s has no examples; expected lines 'label<TAB>text'", o->valid_name);
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

/* Pass 3: the inputs into train | valid | test, then the --valid file into valid. */
static void write_examples(ex_ctx_t *c, const uint64_t n[2]) {
    const prep_opts_t *o = c->o;
    c->pass = PASS_WRITE;
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

void prep_labels_run(const prep_opts_t *o, prep_stats_t *st) {
    char err[PATH_MAX + 256];
    uint64_t n[2];
    ex_ctx_t *c = calloc(1, sizeof *c);
    if (!c) prep_die(70, "out of memory");
    c->o = o;
    c->st = st;
    c->splitter = tok_splitter_new(o->kind);
    tok_counter_t *counter = tok_counter_new(o->kind);
    if (!c->splitter || !counter) prep_die(70, "out of memory");
    int no_tail = o->valid_frac == 0 && o->test_frac == 0;
    c->counter = no_tail && o->kind != TOK_BYTE ? counter : NULL;
    check_inputs(c, n);
    plan_splits(o, n[0], c->end);
    if (!no_tail && o->kind != TOK_BYTE) { /* pass 2 */
        c->pass = PASS_COUNT;
        c->counter = counter;
        c->example = 0;
        read_files(c, o->inputs, o->names, o->ninputs);
    }
    st->num_labels = c->labels.n;
    st->label_names = label_assign_ids(&c->labels);
    st->label_counts = calloc(CORPUS_NSPLITS * c->labels.n, sizeof *st->label_counts);
    if (!st->label_names || !st->label_counts) prep_die(70, "out of memory");
    c->vocab = prep_open_output(o, counter, st, &c->w);
    tok_counter_free(counter);
    int rc = corpus_writer_set_labels(c->w, (const char *const *)st->label_names, st->num_labels,
                                      err, sizeof err);
    if (rc) prep_die(rc, "%s", err);
    write_examples(c, n);
    prep_commit(st);
    tok_vocab_free(c->vocab);
    tok_splitter_free(c->splitter);
    label_set_free(&c->labels);
    free(c->ids);
    free(c);
}

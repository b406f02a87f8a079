/* prep/prep_spm.c — drnn-prep --tokenizer spm: the SentencePiece model (or, for pairs without
 * --spm-joint, the source's and the target's) that every pass tokenizes with, loaded from
 * --spm-model or trained on the train input through the library (io/spm.h).
 *
 * Training reads the sentences of the inputs named on the command line (not the --valid file):
 * text: every line; labels: every line's text after its first TAB; pairs: the sources for the
 * source model and the targets for the target model, or both for one joint model. With
 * --valid-fraction or --test-fraction the tail that becomes valid and test is read too (the
 * model sees the text, never the split's ids). Empty lines are skipped. The specials sit where
 * drnn's vocabulary has them (text and labels: <unk> 0, </s> 1 as <eos>; pairs: <unk> 0, <pad>
 * 1, <s> 2, </s> 3), so drnn's ids are the model's ids. One thread unless --spm-args sets
 * --num_threads, so the model depends on the text and the options only.
 */
#include "prep/prep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/spm.h"
#include "io/textfile.h"

/* The training sentences, gathered in memory (the library holds them all anyway). */
typedef struct {
    int side; /* pairs: 0 sources, 1 targets, 2 both; text: -1; labels: 1 (after the TAB) */
    char *buf;
    size_t len, cap;
    size_t *off; /* sentence i is buf[off[i], off[i + 1]) */
    size_t n, ncap;
    size_t next; /* spm_next: the next sentence to hand out */
} sentences_t;

static int add_sentence(sentences_t *s, const char *p, size_t len) {
    while (len && (p[len - 1] == '\r')) len--;
    if (len == 0) return 0;
    if (s->len + len > s->cap) {
        size_t cap = 2 * (s->len + len) + 4096;
        char *b = realloc(s->buf, cap);
        if (!b) return -1;
        s->buf = b, s->cap = cap;
    }
    if (s->n + 2 > s->ncap) {
        size_t cap = 2 * s->ncap + 1024;
        size_t *o = realloc(s->off, cap * sizeof *o);
        if (!o) return -1;
        s->off = o, s->ncap = cap;
    }
    if (s->n == 0) s->off[0] = 0;
    memcpy(s->buf + s->len, p, len);
    s->len += len;
    s->off[++s->n] = s->len;
    return 0;
}

static int on_line(void *arg, const char *line, size_t len, uint64_t lineno) {
    (void)lineno;
    sentences_t *s = arg;
    if (s->side < 0) return add_sentence(s, line, len) ? -1 : 0;
    const char *tab = memchr(line, '\t', len);
    if (!tab) return 0; /* the passes report the line */
    size_t before = (size_t)(tab - line);
    int rc = 0;
    if (s->side == 0 || s->side == 2) rc |= add_sentence(s, line, before);
    if (s->side >= 1) rc |= add_sentence(s, tab + 1, len - before - 1);
    return rc ? -1 : 0;
}

static int spm_next(void *arg, const char **line, size_t *len) {
    sentences_t *s = arg;
    if (s->next == s->n) return 0;
    *line = s->buf + s->off[s->next];
    *len = s->off[s->next + 1] - s->off[s->next];
    s->next++;
    return 1;
}

/* Trains the model of SIDE (see sentences_t) on the inputs. */
static spm_t *train(const prep_opts_t *o, int side) {
    char err[PATH_MAX + 512], args[2048];
    sentences_t s = {.side = side};
    for (int i = 0; i < o->ninputs; i++) {
        int stop = 0;
        int rc = textfile_lines(o->inputs[i], on_line, &s, &stop, err, sizeof err);
        if (rc) prep_die(rc, "%s", err);
        if (stop) prep_die(70, "out of memory gathering the SentencePiece training text");
    }
    if (s.n == 0) prep_die(65, "%s: no text to train a SentencePiece model on", o->names[0]);
    int seq2seq = o->pairs;
    snprintf(args, sizeof args,
             "--model_type=%s --vocab_size=%llu --character_coverage=%.9g --unk_id=0 "
             "--pad_id=%d --bos_id=%d --eos_id=%d --num_threads=1 --minloglevel=1 %s",
             o->spm_type, (unsigned long long)(o->vocab_size ? o->vocab_size : 8000),
             o->character_coverage, seq2seq ? 1 : -1, seq2seq ? 2 : -1, seq2seq ? 3 : 1,
             o->spm_args ? o->spm_args : "");
    spm_t *m = NULL;
    int rc = spm_train(args, spm_next, &s, &m, err, sizeof err);
    free(s.buf);
    free(s.off);
    if (rc == 64)
        prep_die(64,
                 "%s (options: %s); see --vocab-size, --spm-type, --character-coverage, "
                 "--spm-args",
                 err, args);
    if (rc) prep_die(rc, "%s", err);
    return m;
}

void prep_spm_setup(prep_opts_t *o) {
    char err[PATH_MAX + 512];
    if (o->kind != TOK_SPM) return;
    if (o->spm_model) {
        int rc = spm_load_file(o->spm_model, &o->spm[0], err, sizeof err);
        if (rc) prep_die(rc, "--spm-model %s", err);
        o->spm[1] = o->spm[0];
        return;
    }
    o->spm[0] = train(o, o->pairs ? (o->spm_joint ? 2 : 0) : o->labels ? 1 : -1);
    o->spm[1] = o->pairs && !o->spm_joint ? train(o, 1) : o->spm[0];
}

void prep_spm_free(prep_opts_t *o) {
    if (o->spm[1] != o->spm[0]) spm_free(o->spm[1]);
    spm_free(o->spm[0]);
    o->spm[0] = o->spm[1] = NULL;
}

tok_splitter_t *prep_splitter(const prep_opts_t *o, int side) {
    tok_splitter_t *s =
        o->kind == TOK_SPM ? tok_splitter_new_spm(o->spm[side]) : tok_splitter_new(o->kind);
    if (!s) prep_die(70, "out of memory");
    return s;
}

int prep_spm_store(const prep_opts_t *o, corpus_writer_t *w, int side, char *err, size_t errlen) {
    if (o->kind != TOK_SPM || (side == 1 && o->spm[1] == o->spm[0])) return 0;
    size_t len = 0;
    const void *bytes = spm_bytes(o->spm[side], &len);
    return corpus_writer_set_spm(w, side, bytes, len, err, errlen);
}

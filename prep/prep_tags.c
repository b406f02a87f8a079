/* prep/prep_tags.c — drnn-prep --format tags: lines "w1 ... wn<TAB>t1 ... tn" to a tagged
 * corpus for sequence tagging (DESIGN §6; layout in io/corpus_write.h).
 *
 * Every non-empty line is one sequence (the passes over them: prep/prep_lines.c); a trailing
 * "\r" is cut off (CRLF files). Before the first TAB stand n words, after it exactly n tags, the
 * tag of each word, both separated by whitespace (as the word tokenizer separates words). With
 * the word tokenizer each word is one token of the vocabulary (built from the train sequences'
 * words as for labelled data: specials first, then by frequency; unseen words are <unk>); with
 * the char tokenizer each word must be one character, one symbol of the char tokenizer (a UTF-8
 * code point, or a byte that is not valid UTF-8), e.g. Chinese segmentation "我 爱 你<TAB>S S S".
 * Tag ids follow the byte order (strcmp) of the tag names seen in all inputs and the --valid
 * file, as label ids do (prep/prep_labels.c), so a tag that only valid or test has still gets
 * an id. A line without a TAB, with a second TAB, without words or tags, with more words than
 * tags or fewer, with a char word that is not one character, with a NUL byte among the tags (or
 * the char words) or a tag longer than TOK_WORD_MAX bytes ends drnn-prep with 65 naming the file
 * and line.
 */
#include "prep/prep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A line's ids, the buffer reused from line to line. */
typedef struct {
    uint32_t *v;
    size_t n, cap;
} id_buf_t;

typedef struct {
    prep_lines_t lines;
    prep_names_t tags;
    prep_text_t words;     /* word: the line's words; char: one word at a time */
    tok_splitter_t *items; /* a word splitter: cuts the tags, and char's words, at whitespace */
    /* the line being read */
    uint64_t lineno, nwords, ntags;
    int mode;                   /* prep_lines_mode of the pass */
    id_buf_t char_ids, tag_ids; /* PREP_WRITE: char's word ids; the tag ids */
    uint64_t char_unknown;      /* char: <unk> words of the line */
    corpus_writer_t *w;
    prep_stats_t *st;
} tags_ctx_t;

static int out_of_memory(prep_lines_t *c) {
    snprintf(c->err, sizeof c->err, "out of memory reading %s", c->name);
    c->rc = 70;
    return 1;
}

static int push_id(prep_lines_t *c, id_buf_t *b, uint32_t id) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        uint32_t *v = realloc(b->v, cap * sizeof *v);
        if (!v) return out_of_memory(c);
        b->v = v, b->cap = cap;
    }
    b->v[b->n++] = id;
    return 0;
}

/* Feeds TEXT[0..len) to the item splitter as one stream; EMIT gets each whitespace-separated
 * item (sym NULL for one longer than TOK_WORD_MAX bytes or holding a NUL byte). Returns 0, or 1
 * after EMIT set c->rc. */
static int split_items(tags_ctx_t *T, const char *text, size_t len, tok_emit_fn emit) {
    int stop = tok_splitter_feed(T->items, text, len, emit, T);
    if (!stop) stop = tok_splitter_finish(T->items, emit, T);
    return stop != 0;
}

/* tok_emit_fn: one word of a char line, which must be one character; its id (PREP_WRITE) or its
 * count (train, counting) as prep_lines_tokenize gives them. */
static int char_word(void *arg, const unsigned char *sym, size_t len) {
    tags_ctx_t *T = arg;
    prep_lines_t *c = &T->lines;
    char why[128];
    T->nwords++;
    if (sym && prep_lines_tokenize(c, &T->words, (const char *)sym, len, T->mode)) return 1;
    if (!sym || T->words.n != 1) {
        int show = sym ? (int)(len < 40 ? len : 40) : 0;
        snprintf(why, sizeof why, "word %llu%s%.*s%s is not one character",
                 (unsigned long long)T->nwords, sym ? " '" : "", show, sym ? (const char *)sym : "",
                 !sym                 ? ""
                 : (size_t)show < len ? "...'"
                                      : "'");
        return prep_lines_fail(c, T->lineno, why);
    }
    if (T->mode != PREP_TOK_IDS) return 0;
    T->char_unknown += T->words.enc.unknown;
    return push_id(c, &T->char_ids, T->words.enc.ids[0]);
}

/* tok_emit_fn: one tag; collected in the first pass, its id looked up in the last. */
static int tag_item(void *arg, const unsigned char *sym, size_t len) {
    tags_ctx_t *T = arg;
    prep_lines_t *c = &T->lines;
    T->ntags++;
    if (!sym) { /* the NUL bytes were refused before */
        char why[96];
        snprintf(why, sizeof why, "tag %llu is longer than %d bytes", (unsigned long long)T->ntags,
                 TOK_WORD_MAX);
        return prep_lines_fail(c, T->lineno, why);
    }
    if (c->pass == PREP_CHECK && prep_names_add(&T->tags, (const char *)sym, len) != 0)
        return out_of_memory(c);
    if (c->pass != PREP_WRITE) return 0;
    const prep_name_slot_t *e = prep_names_find(&T->tags, (const char *)sym, len);
    if (!e->name) return prep_lines_changed(c); /* a tag pass 1 did not see */
    return push_id(c, &T->tag_ids, e->id);
}

/* The words of a line: counted, and tokenized as the pass needs. */
static int read_words(tags_ctx_t *T, const char *text, size_t len) {
    prep_lines_t *c = &T->lines;
    if (c->o->kind == TOK_WORD) {
        if (prep_lines_tokenize(c, &T->words, text, len, T->mode)) return 1;
        T->nwords = T->words.n;
        return 0;
    }
    if (memchr(text, '\0', len)) return prep_lines_fail(c, T->lineno, "the words hold a NUL byte");
    return split_items(T, text, len, char_word);
}

static int write_sequence(tags_ctx_t *T) {
    prep_lines_t *c = &T->lines;
    prep_stats_t *st = T->st;
    int k = c->split, chars = c->o->kind == TOK_CHAR;
    const uint32_t *ids = chars ? T->char_ids.v : T->words.enc.ids;
    st->unknown[k] += chars ? T->char_unknown : T->words.enc.unknown;
    for (size_t i = 0; i < T->tag_ids.n; i++)
        st->label_counts[(size_t)k * st->num_labels + T->tag_ids.v[i]]++;
    c->rc = corpus_writer_append_tagged(T->w, k, ids, T->tag_ids.v, T->tag_ids.n, c->err,
                                        sizeof c->err);
    return c->rc != 0;
}

/* prep_line_fn: "w1 ... wn<TAB>t1 ... tn". */
static int tag_line(prep_lines_t *c, const char *line, size_t len, uint64_t lineno) {
    tags_ctx_t *T = c->fmt;
    prep_tab_t f;
    char why[96];
    if (prep_lines_split_tab(c, line, len, lineno, "words", "tags", &f)) return 1;
    if (memchr(f.text[1], '\t', f.len[1])) return prep_lines_fail(c, lineno, "a second TAB");
    if (memchr(f.text[1], '\0', f.len[1]))
        return prep_lines_fail(c, lineno, "the tags hold a NUL byte");
    T->lineno = lineno;
    T->mode = prep_lines_mode(c);
    T->nwords = T->ntags = T->char_unknown = 0;
    T->char_ids.n = T->tag_ids.n = 0;
    if (read_words(T, f.text[0], f.len[0]) || split_items(T, f.text[1], f.len[1], tag_item))
        return 1;
    if (T->nwords == 0) return prep_lines_fail(c, lineno, "no words before the TAB, only spaces");
    if (T->ntags == 0) return prep_lines_fail(c, lineno, "no tags after the TAB, only spaces");
    if (T->nwords != T->ntags) {
        snprintf(why, sizeof why, "%llu words but %llu tags", (unsigned long long)T->nwords,
                 (unsigned long long)T->ntags);
        return prep_lines_fail(c, lineno, why);
    }
    return c->pass == PREP_WRITE ? write_sequence(T) : 0;
}

void prep_tags_run(const prep_opts_t *o, prep_stats_t *st) {
    char err[PATH_MAX + 256];
    uint64_t n[2];
    tags_ctx_t *T = calloc(1, sizeof *T);
    if (!T) prep_die(70, "out of memory");
    T->st = st;
    prep_lines_init(&T->lines, o, "w1 ... wn<TAB>t1 ... tn", tag_line, T, 1);
    T->items = tok_splitter_new(TOK_WORD);
    tok_counter_t *counter = tok_counter_new(o->kind);
    if (!T->items || !counter) prep_die(70, "out of memory");
    T->words.counter = counter;
    prep_lines_scan(&T->lines, n);
    st->num_labels = T->tags.n;
    st->label_names = prep_names_assign_ids(&T->tags);
    st->label_counts = calloc(CORPUS_NSPLITS * T->tags.n, sizeof *st->label_counts);
    if (!st->label_names || !st->label_counts) prep_die(70, "out of memory");
    tok_vocab_t *vocab = prep_open_output(o, counter, st, &T->w);
    tok_counter_free(counter);
    T->words.counter = NULL;
    T->words.enc.v = vocab;
    int rc = corpus_writer_set_tags(T->w, (const char *const *)st->label_names, st->num_labels, err,
                                    sizeof err);
    if (rc) prep_die(rc, "%s", err);
    prep_lines_write(&T->lines, n);
    st->crs = T->lines.crs;
    prep_commit(st);
    tok_vocab_free(vocab);
    tok_splitter_free(T->items);
    prep_lines_free(&T->lines);
    prep_names_free(&T->tags);
    free(T->words.enc.ids);
    free(T->char_ids.v);
    free(T->tag_ids.v);
    free(T);
}

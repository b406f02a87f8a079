/* prep/prep_pairs.c — drnn-prep --format pairs: lines "source<TAB>target" to a pair corpus
 * for seq2seq (DESIGN §6; layout in io/corpus_write.h).
 *
 * Every non-empty line is one pair (the passes over them: prep/prep_lines.c): the source is
 * the bytes before the TAB, the target the bytes after it. A line without a TAB, with a second
 * TAB, or with a side that has no tokens ends drnn-prep with 65 naming the file and line. A pair
 * with more than --max-len tokens on a side is dropped (counted per split, not an error); the
 * fractions split the pairs of the input before dropping. The source and the target vocabulary
 * (seq2seq layout: <unk> <pad> <bos> <eos> first) count the kept train pairs' sources and
 * targets, or both in one with --shared-vocab. Targets are stored without <bos> or <eos>.
 */
#include "prep/prep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    prep_lines_t lines;
    prep_text_t src, tgt;
    uint64_t kept; /* train pairs counted (within --max-len) */
    corpus_writer_t *w;
    prep_stats_t *st;
} pairs_ctx_t;

static int write_pair(prep_lines_t *c, int keep) {
    pairs_ctx_t *P = c->fmt;
    int k = c->split;
    if (!keep) {
        P->st->dropped[k]++;
        return 0;
    }
    const tok_ids_t *src = &P->src.enc, *tgt = &P->tgt.enc;
    P->st->unknown[k] += src->unknown;
    P->st->tgt_unknown[k] += tgt->unknown;
    c->rc = corpus_writer_append_pair(P->w, k, src->ids, src->n, tgt->ids, tgt->n, c->err,
                                      sizeof c->err);
    return c->rc != 0;
}

/* prep_line_fn: "source<TAB>target". */
static int pair_line(prep_lines_t *c, const char *line, size_t len, uint64_t lineno) {
    pairs_ctx_t *P = c->fmt;
    prep_tab_t f;
    if (prep_lines_split_tab(c, line, len, lineno, "source", "target", &f)) return 1;
    if (memchr(f.text[1], '\t', f.len[1])) return prep_lines_fail(c, lineno, "a second TAB");
    int mode = c->pass == PREP_WRITE ? PREP_TOK_IDS : PREP_TOK_LEN;
    if (prep_lines_tokenize(c, &P->src, f.text[0], f.len[0], mode) ||
        prep_lines_tokenize(c, &P->tgt, f.text[1], f.len[1], mode))
        return 1;
    if (P->src.n == 0) return prep_lines_fail(c, lineno, "the source has no word tokens");
    if (P->tgt.n == 0) return prep_lines_fail(c, lineno, "the target has no word tokens");
    uint64_t max = c->o->max_len;
    int keep = max == 0 || (P->src.n <= max && P->tgt.n <= max);
    if (c->pass == PREP_WRITE) return write_pair(c, keep);
    if (!keep || !c->counting) return 0;
    P->kept++; /* only the kept train pairs make the vocabularies */
    return prep_lines_tokenize(c, &P->src, f.text[0], f.len[0], PREP_TOK_COUNT) ||
           prep_lines_tokenize(c, &P->tgt, f.text[1], f.len[1], PREP_TOK_COUNT);
}

/* The target vocabulary, written as /tgt_vocab; returns its lookup table. */
static tok_vocab_t *open_target(const prep_opts_t *o, pairs_ctx_t *P) {
    char err[PATH_MAX + 256], **strings = NULL;
    tok_vocab_t *v = prep_vocab(o, P->tgt.counter, 1, &strings, &P->st->tgt_vocab);
    P->st->tgt_distinct = tok_counter_distinct(P->tgt.counter);
    int rc = corpus_writer_set_pairs(P->w, (const char *const *)strings, P->st->tgt_vocab,
                                     o->shared_vocab, err, sizeof err);
    free(strings);
    if (rc == 0) rc = prep_spm_store(o, P->w, 1, err, sizeof err);
    if (rc) prep_die(rc, "%s", err);
    return v;
}

void prep_pairs_run(const prep_opts_t *o, prep_stats_t *st) {
    uint64_t n[2];
    pairs_ctx_t *P = calloc(1, sizeof *P);
    if (!P) prep_die(70, "out of memory");
    P->st = st;
    prep_lines_init(&P->lines, o, "source<TAB>target", pair_line, P, 1);
    /* a target with its own SentencePiece model is split by it */
    tok_splitter_t *tgt_splitter =
        o->kind == TOK_SPM && o->spm[1] != o->spm[0] ? prep_splitter(o, 1) : NULL;
    P->tgt.splitter = tgt_splitter;
    P->src.counter = tok_counter_new_seq2seq(o->kind);
    P->tgt.counter = o->shared_vocab ? P->src.counter : tok_counter_new_seq2seq(o->kind);
    if (!P->src.counter || !P->tgt.counter) prep_die(70, "out of memory");
    prep_lines_scan(&P->lines, n);
    if (P->kept == 0)
        prep_die(65,
                 "every train pair has more than --max-len %llu tokens on a side; raise "
                 "--max-len",
                 (unsigned long long)o->max_len);
    /* With a shared vocabulary both tables come from the one counter and are equal. */
    tok_vocab_t *src = prep_open_output(o, P->src.counter, st, &P->w);
    tok_vocab_t *tgt = open_target(o, P);
    if (P->tgt.counter != P->src.counter) tok_counter_free(P->tgt.counter);
    tok_counter_free(P->src.counter);
    P->src = (prep_text_t){.enc.v = src};
    P->tgt = (prep_text_t){.splitter = tgt_splitter, .enc.v = tgt};
    prep_lines_write(&P->lines, n);
    st->crs = P->lines.crs;
    prep_commit(st);
    tok_vocab_free(src);
    tok_vocab_free(tgt);
    prep_lines_free(&P->lines);
    tok_splitter_free(tgt_splitter);
    free(P->src.enc.ids);
    free(P->tgt.enc.ids);
    free(P);
}

/* io/tokenize.c — see tokenize.h for the symbol and vocabulary rules. */
#include "io/tokenize.h"
#include "io/tokenize_symtab.h"

#include "io/spm.h"
#include "io/textfile.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define SPLIT_CAP (64 * 1024) /* must exceed TOK_WORD_MAX so a carried word leaves room */

/* The special entries at the front of a vocabulary, by layout (all 5 bytes long). */
static const char *const text_specials[] = {"<unk>", "<eos>"};
static const char *const seq2seq_specials[] = {"<unk>", "<pad>", "<bos>", "<eos>"};

const char *const *tok_specials_of(int seq2seq) {
    return seq2seq ? seq2seq_specials : text_specials;
}

size_t tok_nspecials_of(tok_kind_t kind, int seq2seq) {
    return seq2seq ? TOK_SEQ2SEQ_SPECIALS : tok_num_specials(kind);
}

/* 1 when S[0..len) is one of the literal special words of the layout (word kind only). */
static int is_special_word(tok_kind_t kind, int seq2seq, const unsigned char *s, size_t len) {
    if (kind != TOK_WORD || len != 5) return 0;
    const char *const *spec = tok_specials_of(seq2seq);
    for (size_t i = 0; i < tok_nspecials_of(kind, seq2seq); i++)
        if (memcmp(s, spec[i], 5) == 0) return 1;
    return 0;
}

int tok_kind_parse(const char *name, tok_kind_t *out) {
    static const char *const names[] = {"byte", "char", "word", "spm"};
    for (int k = 0; k < 4; k++) {
        if (strcmp(name, names[k]) == 0) {
            *out = (tok_kind_t)k;
            return 0;
        }
    }
    return -1;
}

const char *tok_kind_name(tok_kind_t kind) {
    return kind == TOK_BYTE   ? "byte"
           : kind == TOK_CHAR ? "char"
           : kind == TOK_WORD ? "word"
                              : "spm";
}

size_t tok_num_specials(tok_kind_t kind) {
    return kind == TOK_BYTE ? 0 : kind == TOK_CHAR ? 1 : 2;
}

/* ============================================================================================
 * Splitter
 * ============================================================================================ */

struct tok_splitter {
    tok_kind_t kind;
    const spm_t *spm; /* spm: the model, and the line gathered so far */
    char *line;
    size_t len, cap;
    int skipping;        /* word: inside an overlong word whose bytes are being dropped */
    tok_emit_run_fn run; /* NULL: one emit call per symbol */
    size_t have;         /* bytes in buf not yet split (a carried partial symbol, then new input) */
    unsigned char buf[SPLIT_CAP];
};

tok_splitter_t *tok_splitter_new(tok_kind_t kind) {
    DRNN_ASSERT(kind != TOK_SPM); /* tok_splitter_new_spm */
    tok_splitter_t *s = malloc(sizeof *s);
    if (!s) return NULL;
    s->kind = kind;
    s->spm = NULL;
    s->line = NULL;
    s->len = s->cap = 0;
    s->skipping = 0;
    s->run = NULL;
    s->have = 0;
    return s;
}

void tok_splitter_set_run(tok_splitter_t *s, tok_emit_run_fn run) {
    s->run = run;
}

tok_splitter_t *tok_splitter_new_spm(const spm_t *m) {
    tok_splitter_t *s = tok_splitter_new(TOK_WORD);
    if (s) {
        s->kind = TOK_SPM;
        s->spm = m;
    }
    return s;
}

void tok_splitter_free(tok_splitter_t *s) {
    if (s) free(s->line);
    free(s);
}

/* ---- spm: a line at a time through the model ---- */

typedef struct {
    tok_emit_fn emit;
    void *arg;
} spm_emit_t;

static int spm_piece_emit(void *arg, const char *piece, size_t len) {
    const spm_emit_t *e = arg;
    return e->emit(e->arg, (const unsigned char *)piece, len);
}

/* Encodes the gathered line and empties it; emit's stop value, or -1 when the library fails. */
static int spm_flush(tok_splitter_t *s, tok_emit_fn emit, void *arg) {
    spm_emit_t e = {emit, arg};
    int rc = s->len ? spm_encode(s->spm, s->line, s->len, spm_piece_emit, &e) : 0;
    s->len = 0;
    return rc;
}

static int spm_feed(tok_splitter_t *s, const unsigned char *p, size_t n, tok_emit_fn emit,
                    void *arg) {
    while (n > 0) {
        const unsigned char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        if (s->len + take > s->cap) {
            size_t cap = 2 * (s->len + take) + 256;
            char *line = realloc(s->line, cap);
            if (!line) return -1;
            s->line = line;
            s->cap = cap;
        }
        memcpy(s->line + s->len, p, take);
        s->len += take;
        if (!nl) break;
        int rc = spm_flush(s, emit, arg);
        if (!rc) rc = emit(arg, (const unsigned char *)"\n", 1);
        if (rc) return rc;
        p += take + 1;
        n -= take + 1;
    }
    return 0;
}

/* Length of the UTF-8 sequence at p[0..n): 1-4 when valid, 0 when p[0] starts no valid sequence,
 * -1 when the n bytes are a valid but incomplete prefix. Ranges as in Unicode Table 3-7, which
 * excludes overlong forms, surrogates and code points above U+10FFFF. */
static int utf8_seq(const unsigned char *p, size_t n) {
    unsigned c = p[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        need = 1;
    } else if (c < 0xF0) {
        need = 2;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c < 0xF5) {
        need = 3;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= n) return -1;
        unsigned b = p[k];
        if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return 0;
    }
    return (int)need + 1;
}

static int is_word_space(unsigned char c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Each split_* emits the symbols complete in p[0..n) and returns how many bytes they used; the
 * rest is a partial symbol carried to the next call (none when FINAL). *stop gets emit's value. */
static size_t split_bytes(const tok_splitter_t *s, const unsigned char *p, size_t n,
                          tok_emit_fn emit, void *arg, int *stop) {
    if (s->run) {
        *stop = n ? s->run(arg, p, n) : 0;
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        if ((*stop = emit(arg, p + i, 1)) != 0) return i + 1;
    }
    return n;
}

/* How many bytes at the start of p[0..n) are ASCII (each one a char symbol of its own). */
static size_t ascii_prefix(const unsigned char *p, size_t n) {
    size_t i = 0;
    for (uint64_t w; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
    }
    while (i < n && p[i] < 0x80) i++;
    return i;
}

static size_t split_chars(const tok_splitter_t *s, const unsigned char *p, size_t n, int final,
                          tok_emit_fn emit, void *arg, int *stop) {
    size_t i = 0;
    while (i < n) {
        size_t ascii = s->run ? ascii_prefix(p + i, n - i) : 0;
        if (ascii) {
            if ((*stop = s->run(arg, p + i, ascii)) != 0) return i + ascii;
            i += ascii;
            continue;
        }
        int r = utf8_seq(p + i, n - i);
        if (r < 0 && !final) break;
        size_t len = r > 0 ? (size_t)r : 1; /* an invalid byte is a symbol of its own */
        if ((*stop = emit(arg, p + i, len)) != 0) return i + len;
        i += len;
    }
    return i;
}

static size_t split_words(tok_splitter_t *s, const unsigned char *p, size_t n, int final,
                          tok_emit_fn emit, void *arg, int *stop) {
    size_t i = 0;
    while (i < n) {
        if (is_word_space(p[i]) && !s->skipping) {
            if (p[i++] == '\n' && (*stop = emit(arg, p + i - 1, 1)) != 0) return i;
            continue;
        }
        size_t start = i; /* when skipping, the dropped word may end right here (i == start) */
        int has_nul = 0;
        while (i < n && !is_word_space(p[i])) has_nul |= p[i++] == 0;
        if (i == n && !final) {
            if (!s->skipping && n - start <= TOK_WORD_MAX) return start; /* carry it */
            s->skipping = 1; /* too long to carry: drop its bytes, emit <unk> at its end */
            return n;
        }
        int unk = s->skipping || has_nul || i - start > TOK_WORD_MAX;
        s->skipping = 0;
        *stop = unk ? emit(arg, NULL, 0) : emit(arg, p + start, i - start);
        if (*stop) return i;
    }
    if (final && s->skipping) { /* the input ended inside a dropped word */
        s->skipping = 0;
        *stop = emit(arg, NULL, 0);
    }
    return n;
}

/* Splits p[0..n) with S's kind; returns the bytes used (see split_bytes). */
static size_t split_any(tok_splitter_t *s, const unsigned char *p, size_t n, int final,
                        tok_emit_fn emit, void *arg, int *stop) {
    *stop = 0;
    if (s->kind == TOK_BYTE) return split_bytes(s, p, n, emit, arg, stop);
    if (s->kind == TOK_CHAR) return split_chars(s, p, n, final, emit, arg, stop);
    return split_words(s, p, n, final, emit, arg, stop);
}

static int split_buffer(tok_splitter_t *s, int final, tok_emit_fn emit, void *arg) {
    int stop = 0;
    size_t used = split_any(s, s->buf, s->have, final, emit, arg, &stop);
    memmove(s->buf, s->buf + used, s->have - used);
    s->have -= used;
    return stop;
}

/* Input is split where it lies; only a symbol cut at the end of a call (at most TOK_WORD_MAX
 * bytes) is copied, and completed from the start of the next. */
int tok_splitter_feed(tok_splitter_t *s, const void *buf, size_t len, tok_emit_fn emit, void *arg) {
    const unsigned char *src = buf;
    int stop = 0;
    if (s->spm) return spm_feed(s, src, len, emit, arg);
    while (len > 0) {
        if (s->have == 0) {
            size_t used = split_any(s, src, len, 0, emit, arg, &stop);
            if (stop) return stop;
            DRNN_ASSERT(len - used <= SPLIT_CAP); /* a carried symbol is TOK_WORD_MAX at most */
            memcpy(s->buf, src + used, len - used);
            s->have = len - used;
            return 0;
        }
        size_t take = SPLIT_CAP - s->have;
        if (take > len) take = len;
        memcpy(s->buf + s->have, src, take);
        s->have += take;
        src += take;
        len -= take;
        if ((stop = split_buffer(s, 0, emit, arg)) != 0) return stop;
        if (len > 0 && s->have <= take) { /* what is left came from src: split it there */
            src -= s->have;
            len += s->have;
            s->have = 0;
        }
    }
    return 0;
}

int tok_splitter_finish(tok_splitter_t *s, tok_emit_fn emit, void *arg) {
    if (s->spm) return spm_flush(s, emit, arg);
    int stop = split_buffer(s, 1, emit, arg);
    s->have = 0;
    s->skipping = 0;
    return stop;
}

/* tok_splitter_feed over a file's chunks. */
typedef struct {
    tok_splitter_t *s;
    tok_emit_fn emit;
    void *arg;
} feed_t;

static int feed_chunk(void *arg, const unsigned char *p, size_t n) {
    const feed_t *f = arg;
    return tok_splitter_feed(f->s, p, n, f->emit, f->arg);
}

int tok_feed_file(tok_splitter_t *s, const char *path, tok_emit_fn emit, void *arg, int *stop,
                  char *err, size_t errlen) {
    feed_t f = {s, emit, arg};
    return textfile_chunks(path, feed_chunk, &f, stop, err, errlen);
}

int tok_feed_range(tok_splitter_t *s, const char *path, uint64_t off, uint64_t len,
                   tok_emit_fn emit, void *arg, int *stop, char *err, size_t errlen) {
    feed_t f = {s, emit, arg};
    return textfile_range_chunks(path, off, len, feed_chunk, &f, stop, err, errlen);
}

/* ============================================================================================
 * Counter
 * ============================================================================================ */

struct tok_counter {
    tok_kind_t kind;
    int seq2seq;              /* the vocabulary gets the seq2seq specials */
    uint64_t single[256];     /* 1-byte symbols, most of a char corpus, skip the hash */
    symtab_t tab;             /* longer symbols */
    unsigned char bytes[256]; /* bytes[b] == b: the key bytes of single[b] */
};

typedef struct {
    const unsigned char *s;
    size_t len;
    uint64_t count;
} vocab_cand_t;

static tok_counter_t *counter_new(tok_kind_t kind, int seq2seq) {
    tok_counter_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->kind = kind;
    c->seq2seq = seq2seq;
    for (int b = 0; b < 256; b++) c->bytes[b] = (unsigned char)b;
    if (tok_symtab_init(&c->tab) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

tok_counter_t *tok_counter_new(tok_kind_t kind) {
    return counter_new(kind, 0);
}

tok_counter_t *tok_counter_new_seq2seq(tok_kind_t kind) {
    return counter_new(kind, 1);
}

void tok_counter_free(tok_counter_t *c) {
    if (!c) return;
    tok_symtab_free(&c->tab);
    free(c);
}

int tok_counter_add(tok_counter_t *c, const unsigned char *sym, size_t len) {
    if (!sym || len == 0 || (c->kind == TOK_WORD && len == 1 && sym[0] == '\n')) return 0;
    if (len == 1) {
        c->single[sym[0]]++;
        return 0;
    }
    int added;
    sym_slot_t *e = tok_symtab_insert(&c->tab, sym, len, &added);
    if (!e) return -1;
    e->val++;
    return 0;
}

int tok_counter_add_run(tok_counter_t *c, const unsigned char *syms, size_t n) {
    if (c->kind == TOK_WORD) { /* words are no runs; counted one by one, "\n" left out */
        for (size_t i = 0; i < n; i++) tok_counter_add(c, syms + i, 1);
        return 0;
    }
    if (n < 4096) {
        for (size_t i = 0; i < n; i++) c->single[syms[i]]++;
        return 0;
    }
    /* Four tables: a run of one byte value does not wait on its own previous increment. Blocks
     * of 2^30 keep the 32-bit counts from overflowing. */
    uint32_t part[4][256];
    for (size_t at = 0; at < n;) {
        size_t end = n - at > (1u << 30) ? at + (1u << 30) : n, i = at;
        memset(part, 0, sizeof part);
        for (; i + 4 <= end; i += 4) {
            part[0][syms[i]]++, part[1][syms[i + 1]]++;
            part[2][syms[i + 2]]++, part[3][syms[i + 3]]++;
        }
        for (; i < end; i++) part[0][syms[i]]++;
        for (int b = 0; b < 256; b++)
            c->single[b] += (uint64_t)part[0][b] + part[1][b] + part[2][b] + part[3][b];
        at = end;
    }
    return 0;
}

int tok_counter_merge(tok_counter_t *into, const tok_counter_t *from) {
    for (int b = 0; b < 256; b++) into->single[b] += from->single[b];
    for (size_t i = 0; i < from->tab.cap; i++) {
        const sym_slot_t *e = &from->tab.slots[i];
        int added;
        if (!e->hash) continue;
        sym_slot_t *to = tok_symtab_insert(&into->tab, from->tab.arena + e->off, e->len, &added);
        if (!to) return -1;
        to->val += e->val;
    }
    return 0;
}

/* Candidates for ids after the specials: every counted symbol except literal special words. */
static vocab_cand_t *counter_candidates(const tok_counter_t *c, size_t *n) {
    vocab_cand_t *v = malloc((256 + c->tab.count + 1) * sizeof *v);
    if (!v) return NULL;
    size_t k = 0;
    for (int b = 0; b < 256; b++) {
        if (c->single[b]) v[k++] = (vocab_cand_t){c->bytes + b, 1, c->single[b]};
    }
    for (size_t i = 0; i < c->tab.cap; i++) {
        const sym_slot_t *e = &c->tab.slots[i];
        if (!e->hash) continue;
        const unsigned char *s = c->tab.arena + e->off;
        if (is_special_word(c->kind, c->seq2seq, s, e->len)) continue;
        v[k++] = (vocab_cand_t){s, e->len, e->val};
    }
    *n = k;
    return v;
}

size_t tok_counter_distinct(const tok_counter_t *c) {
    size_t n = c->tab.count;
    for (int b = 0; b < 256; b++) n += c->single[b] != 0;
    if (c->kind == TOK_WORD) {
        const char *const *spec = tok_specials_of(c->seq2seq);
        for (size_t i = 0; i < tok_nspecials_of(c->kind, c->seq2seq); i++)
            n -= tok_symtab_find(&c->tab, (const unsigned char *)spec[i], 5) != NULL;
    }
    return n;
}

static int cand_cmp(const void *pa, const void *pb) {
    const vocab_cand_t *a = pa, *b = pb;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    size_t m = a->len < b->len ? a->len : b->len;
    int r = memcmp(a->s, b->s, m);
    if (r) return r;
    return (a->len > b->len) - (a->len < b->len);
}

static char **byte_vocab(size_t *n) {
    unsigned char bytes[256];
    const unsigned char *s[256];
    size_t lens[256];
    for (int b = 0; b < 256; b++) {
        bytes[b] = (unsigned char)b;
        s[b] = bytes + b;
        lens[b] = b != 0; /* the NUL byte is stored as "" */
    }
    *n = 256;
    return tok_pack_strings(s, lens, 256);
}

char **tok_counter_vocab(const tok_counter_t *c, size_t max_size, size_t *n) {
    if (c->kind == TOK_BYTE && !c->seq2seq) return byte_vocab(n);
    size_t ncand = 0, nspec = tok_nspecials_of(c->kind, c->seq2seq);
    const char *const *spec = tok_specials_of(c->seq2seq);
    char **out = NULL;
    vocab_cand_t *cand = counter_candidates(c, &ncand);
    if (!cand) return NULL;
    qsort(cand, ncand, sizeof *cand, cand_cmp);
    size_t room = max_size > nspec ? max_size - nspec : 0; /* entries left after the specials */
    if (max_size && ncand > room) ncand = room;
    const unsigned char **s = malloc((nspec + ncand) * sizeof *s);
    size_t *lens = malloc((nspec + ncand) * sizeof *lens);
    if (!s || !lens) goto done;
    for (size_t i = 0; i < nspec; i++) {
        s[i] = (const unsigned char *)spec[i];
        lens[i] = 5;
    }
    for (size_t i = 0; i < ncand; i++) {
        s[nspec + i] = cand[i].s;
        lens[nspec + i] = cand[i].len == 1 && cand[i].s[0] == 0 ? 0 : cand[i].len; /* U+0000 */
    }
    out = tok_pack_strings(s, lens, nspec + ncand);
    if (out) *n = nspec + ncand;
done:
    free(s);
    free(lens);
    free(cand);
    return out;
}

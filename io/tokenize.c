/* io/tokenize.c — see tokenize.h for the symbol and vocabulary rules. */
#include "io/tokenize.h"

#include "io/spm.h"
#include "io/textfile.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define SPLIT_CAP (64 * 1024) /* must exceed TOK_WORD_MAX so a carried word leaves room */

static const char UTF8_REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* The special entries at the front of a vocabulary, by layout (all 5 bytes long). */
static const char *const text_specials[] = {"<unk>", "<eos>"};
static const char *const seq2seq_specials[] = {"<unk>", "<pad>", "<bos>", "<eos>"};

static const char *const *specials_of(int seq2seq) {
    return seq2seq ? seq2seq_specials : text_specials;
}

static size_t nspecials_of(tok_kind_t kind, int seq2seq) {
    return seq2seq ? TOK_SEQ2SEQ_SPECIALS : tok_num_specials(kind);
}

/* 1 when S[0..len) is one of the literal special words of the layout (word kind only). */
static int is_special_word(tok_kind_t kind, int seq2seq, const unsigned char *s, size_t len) {
    if (kind != TOK_WORD || len != 5) return 0;
    const char *const *spec = specials_of(seq2seq);
    for (size_t i = 0; i < nspecials_of(kind, seq2seq); i++)
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
 * Symbol table: open addressing, linear probing; keys live in one growing arena so a table of a
 * million words costs a few allocations, not a million.
 * ============================================================================================ */

typedef struct {
    uint64_t hash; /* 0 = empty slot (real hashes have the top bit set) */
    size_t off;    /* key bytes at arena + off */
    size_t len;
    uint64_t val; /* a count (counter) or an id (vocab) */
} sym_slot_t;

typedef struct {
    sym_slot_t *slots;
    size_t cap; /* power of two */
    size_t count;
    unsigned char *arena;
    size_t arena_len, arena_cap;
} symtab_t;

static uint64_t sym_hash(const unsigned char *s, size_t len) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h | (1ull << 63);
}

static int symtab_init(symtab_t *t) {
    memset(t, 0, sizeof *t);
    t->cap = 1024;
    t->slots = calloc(t->cap, sizeof *t->slots);
    return t->slots ? 0 : -1;
}

static void symtab_free(symtab_t *t) {
    free(t->slots);
    free(t->arena);
    memset(t, 0, sizeof *t);
}

static sym_slot_t *symtab_probe(const symtab_t *t, const unsigned char *s, size_t len, uint64_t h) {
    size_t mask = t->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        sym_slot_t *e = &t->slots[i];
        if (e->hash == 0) return e;
        if (e->hash == h && e->len == len && memcmp(t->arena + e->off, s, len) == 0) return e;
    }
}

static sym_slot_t *symtab_find(const symtab_t *t, const unsigned char *s, size_t len) {
    sym_slot_t *e = symtab_probe(t, s, len, sym_hash(s, len));
    return e->hash ? e : NULL;
}

static int symtab_grow(symtab_t *t) {
    symtab_t bigger = *t;
    bigger.cap = t->cap * 2;
    bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
    if (!bigger.slots) return -1;
    for (size_t i = 0; i < t->cap; i++) {
        const sym_slot_t *e = &t->slots[i];
        if (e->hash) *symtab_probe(&bigger, t->arena + e->off, e->len, e->hash) = *e;
    }
    free(t->slots);
    *t = bigger;
    return 0;
}

static int arena_append(symtab_t *t, const unsigned char *s, size_t len) {
    if (t->arena_len + len > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap : 64 * 1024;
        while (cap < t->arena_len + len) cap *= 2;
        unsigned char *a = realloc(t->arena, cap);
        if (!a) return -1;
        t->arena = a;
        t->arena_cap = cap;
    }
    memcpy(t->arena + t->arena_len, s, len);
    t->arena_len += len;
    return 0;
}

/* Returns the slot of S, inserting it with val 0 (*added = 1) when absent; NULL when out of
 * memory. */
static sym_slot_t *symtab_insert(symtab_t *t, const unsigned char *s, size_t len, int *added) {
    uint64_t h = sym_hash(s, len);
    sym_slot_t *e = symtab_probe(t, s, len, h);
    *added = e->hash == 0;
    if (!*added) return e;
    if (2 * (t->count + 1) > t->cap) { /* keep the load under 1/2: probes stay short */
        if (symtab_grow(t) != 0) return NULL;
        e = symtab_probe(t, s, len, h);
    }
    if (arena_append(t, s, len) != 0) return NULL;
    e->hash = h;
    e->off = t->arena_len - len;
    e->len = len;
    e->val = 0;
    t->count++;
    return e;
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
    if (symtab_init(&c->tab) != 0) {
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
    symtab_free(&c->tab);
    free(c);
}

int tok_counter_add(tok_counter_t *c, const unsigned char *sym, size_t len) {
    if (!sym || len == 0 || (c->kind == TOK_WORD && len == 1 && sym[0] == '\n')) return 0;
    if (len == 1) {
        c->single[sym[0]]++;
        return 0;
    }
    int added;
    sym_slot_t *e = symtab_insert(&c->tab, sym, len, &added);
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
        sym_slot_t *to = symtab_insert(&into->tab, from->tab.arena + e->off, e->len, &added);
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
        const char *const *spec = specials_of(c->seq2seq);
        for (size_t i = 0; i < nspecials_of(c->kind, c->seq2seq); i++)
            n -= symtab_find(&c->tab, (const unsigned char *)spec[i], 5) != NULL;
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

/* Packs N strings (lens[i] bytes at s[i]) into one allocation: pointer array, then the bytes. */
static char **pack_strings(const unsigned char *const *s, const size_t *lens, size_t n) {
    size_t bytes = n * sizeof(char *);
    for (size_t i = 0; i < n; i++) bytes += lens[i] + 1;
    char **out = malloc(bytes ? bytes : 1);
    if (!out) return NULL;
    char *p = (char *)(out + n);
    for (size_t i = 0; i < n; i++) {
        out[i] = p;
        memcpy(p, s[i], lens[i]);
        p[lens[i]] = '\0';
        p += lens[i] + 1;
    }
    return out;
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
    return pack_strings(s, lens, 256);
}

char **tok_counter_vocab(const tok_counter_t *c, size_t max_size, size_t *n) {
    if (c->kind == TOK_BYTE && !c->seq2seq) return byte_vocab(n);
    size_t ncand = 0, nspec = nspecials_of(c->kind, c->seq2seq);
    const char *const *spec = specials_of(c->seq2seq);
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
    out = pack_strings(s, lens, nspec + ncand);
    if (out) *n = nspec + ncand;
done:
    free(s);
    free(lens);
    free(cand);
    return out;
}

/* ============================================================================================
 * Vocab
 * ============================================================================================ */

struct tok_vocab {
    tok_kind_t kind;
    spm_t *spm;   /* spm: the model */
    int role[4];  /* spm: the model's id of each special entry (-1: it has none) */
    int seq2seq;  /* the table starts with the seq2seq specials */
    size_t nspec; /* special entries at the front */
    size_t n;
    char **str;           /* n strings, one allocation */
    size_t *len;          /* their lengths */
    uint32_t single[256]; /* id of each 1-byte symbol; 0 (<unk>) when absent */
    symtab_t tab;         /* longer symbols -> id */
};

static int vocab_check_byte(const tok_vocab_t *v, char *err, size_t errlen) {
    if (v->n != 256) {
        snprintf(err, errlen, "a byte vocabulary has 256 entries, this one has %zu", v->n);
        return -1;
    }
    for (size_t b = 0; b < 256; b++) {
        if (v->len[b] != (size_t)(b != 0) || (b && (unsigned char)v->str[b][0] != b)) {
            snprintf(err, errlen, "byte vocabulary entry %zu is not the byte %zu", b, b);
            return -1;
        }
    }
    return 0;
}

static int vocab_check_specials(const tok_vocab_t *v, char *err, size_t errlen) {
    const char *const *specials = specials_of(v->seq2seq);
    size_t nspec = v->nspec;
    if (v->n < nspec || v->n > UINT32_MAX) {
        snprintf(err, errlen, "a %s vocabulary cannot have %zu entries", tok_kind_name(v->kind),
                 v->n);
        return -1;
    }
    for (size_t i = 0; i < nspec; i++) {
        if (strcmp(v->str[i], specials[i]) != 0) {
            snprintf(err, errlen, "%s vocabulary entry %zu is '%s', expected '%s'",
                     tok_kind_name(v->kind), i, v->str[i], specials[i]);
            return -1;
        }
    }
    return 0;
}

/* Fills the lookup tables; fails on a duplicate (two ids for one symbol would be ambiguous). */
static int vocab_index(tok_vocab_t *v, char *err, size_t errlen) {
    for (size_t i = v->nspec; i < v->n; i++) {
        const unsigned char *s = (const unsigned char *)v->str[i];
        int added = 1;
        if (v->len[i] == 0 && (v->kind == TOK_WORD || v->kind == TOK_SPM)) {
            snprintf(err, errlen, "word vocabulary entry %zu is empty", i);
            return -1;
        }
        if (v->len[i] > 1 && v->kind == TOK_BYTE) {
            snprintf(err, errlen, "byte vocabulary entry %zu is not one byte", i);
            return -1;
        }
        if (v->len[i] <= 1) {
            added = v->single[s[0]] == 0; /* "" is the NUL byte: s[0] == 0 */
            v->single[s[0]] = (uint32_t)i;
        } else {
            sym_slot_t *e = symtab_insert(&v->tab, s, v->len[i], &added);
            if (!e) {
                snprintf(err, errlen, "out of memory indexing the vocabulary");
                return -1;
            }
            e->val = i;
        }
        if (!added) {
            snprintf(err, errlen, "vocabulary entry %zu ('%s') is a duplicate", i, v->str[i]);
            return -1;
        }
    }
    return 0;
}

static int vocab_fill(tok_vocab_t *v, const char *const *strings, char *err, size_t errlen) {
    for (size_t i = 0; i < v->n; i++) v->len[i] = strlen(strings[i]);
    v->str = pack_strings((const unsigned char *const *)strings, v->len, v->n);
    if (!v->str || symtab_init(&v->tab) != 0) {
        snprintf(err, errlen, "out of memory loading the vocabulary");
        return -1;
    }
    v->seq2seq = v->n >= TOK_SEQ2SEQ_SPECIALS;
    for (size_t i = 0; i < TOK_SEQ2SEQ_SPECIALS && v->seq2seq; i++)
        v->seq2seq = strcmp(v->str[i], seq2seq_specials[i]) == 0;
    v->nspec = nspecials_of(v->kind, v->seq2seq);
    if (v->kind == TOK_BYTE && !v->seq2seq) return vocab_check_byte(v, err, errlen);
    if (vocab_check_specials(v, err, errlen) != 0) return -1;
    /* The literal special words of a text: <unk> and <eos> (newline) for text, always <unk> for
     * seq2seq, whose <pad>, <bos> and <eos> only the model places. */
    for (size_t i = 0; v->kind == TOK_WORD && i < v->nspec; i++) {
        int added;
        sym_slot_t *e = symtab_insert(&v->tab, (const unsigned char *)v->str[i], 5, &added);
        if (!e) {
            snprintf(err, errlen, "out of memory loading the vocabulary");
            return -1;
        }
        e->val = v->seq2seq ? TOK_UNK : i;
    }
    if ((v->kind == TOK_WORD || v->kind == TOK_SPM) && !v->seq2seq) v->single['\n'] = TOK_EOS;
    return vocab_index(v, err, errlen);
}

/* The model's ids of the special roles of the layout: unk, eos (text); unk, pad, bos, eos. */
static void spm_roles(const spm_t *m, int seq2seq, int role[4]) {
    role[0] = spm_unk_id(m);
    role[1] = seq2seq ? spm_pad_id(m) : spm_eos_id(m);
    role[2] = seq2seq ? spm_bos_id(m) : -1;
    role[3] = seq2seq ? spm_eos_id(m) : -1;
}

char **tok_spm_vocab(const spm_t *m, int seq2seq, size_t *n) {
    int role[4];
    spm_roles(m, seq2seq, role);
    size_t np = spm_size(m), nspec = seq2seq ? TOK_SEQ2SEQ_SPECIALS : 2, k = 0;
    const unsigned char **s = malloc((np + nspec) * sizeof *s);
    size_t *lens = malloc((np + nspec) * sizeof *lens);
    char **out = NULL;
    if (s && lens) {
        for (; k < nspec; k++) {
            s[k] = (const unsigned char *)specials_of(seq2seq)[k];
            lens[k] = 5;
        }
        for (size_t id = 0; id < np; id++) {
            int special = 0;
            for (size_t r = 0; r < nspec; r++) special |= role[r] == (int)id;
            if (special) continue;
            s[k] = (const unsigned char *)spm_piece(m, id);
            lens[k++] = strlen(spm_piece(m, id));
        }
        out = pack_strings(s, lens, k);
        if (out) *n = k;
    }
    free(s);
    free(lens);
    return out;
}

/* An spm vocabulary's model: loaded, and the table checked against it. */
static int vocab_spm(tok_vocab_t *v, const void *bytes, size_t len, char *err, size_t errlen) {
    if (!bytes || len == 0) {
        snprintf(err, errlen, "an spm vocabulary comes with its SentencePiece model; it has none");
        return -1;
    }
    if (spm_load(bytes, len, "the stored SentencePiece model", &v->spm, err, errlen) != 0)
        return -1;
    spm_roles(v->spm, v->seq2seq, v->role);
    size_t n = 0;
    char **want = tok_spm_vocab(v->spm, v->seq2seq, &n);
    if (!want) {
        snprintf(err, errlen, "out of memory loading the vocabulary");
        return -1;
    }
    int same = n == v->n;
    for (size_t i = 0; same && i < n; i++) same = strcmp(want[i], v->str[i]) == 0;
    free(want);
    if (!same) snprintf(err, errlen, "the spm vocabulary does not match its SentencePiece model");
    return same ? 0 : -1;
}

tok_vocab_t *tok_vocab_new(tok_kind_t kind, const char *const *strings, size_t n, char *err,
                           size_t errlen) {
    return tok_vocab_open(kind, strings, n, NULL, 0, err, errlen);
}

tok_vocab_t *tok_vocab_open(tok_kind_t kind, const char *const *strings, size_t n, const void *spm,
                            size_t spm_len, char *err, size_t errlen) {
    tok_vocab_t *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory loading the vocabulary");
        return NULL;
    }
    v->kind = kind;
    v->n = n;
    v->len = malloc((n ? n : 1) * sizeof *v->len);
    if (!v->len) {
        snprintf(err, errlen, "out of memory loading the vocabulary");
    } else if (vocab_fill(v, strings, err, errlen) == 0 &&
               (kind != TOK_SPM || vocab_spm(v, spm, spm_len, err, errlen) == 0)) {
        return v;
    }
    tok_vocab_free(v);
    return NULL;
}

void tok_vocab_free(tok_vocab_t *v) {
    if (!v) return;
    spm_free(v->spm);
    free(v->str);
    free(v->len);
    symtab_free(&v->tab);
    free(v);
}

size_t tok_vocab_size(const tok_vocab_t *v) {
    return v->n;
}
tok_kind_t tok_vocab_kind(const tok_vocab_t *v) {
    return v->kind;
}
int tok_vocab_seq2seq(const tok_vocab_t *v) {
    return v->seq2seq;
}
int tok_vocab_is_unk(const tok_vocab_t *v, uint32_t id) {
    return id == TOK_UNK && (v->kind != TOK_BYTE || v->seq2seq);
}

tok_splitter_t *tok_vocab_splitter(const tok_vocab_t *v) {
    return v->spm ? tok_splitter_new_spm(v->spm) : tok_splitter_new(v->kind);
}

const spm_t *tok_vocab_spm(const tok_vocab_t *v) {
    return v->spm;
}

const char *tok_vocab_string(const tok_vocab_t *v, uint32_t id) {
    return id < v->n ? v->str[id] : NULL;
}

uint32_t tok_vocab_id(const tok_vocab_t *v, const unsigned char *sym, size_t len) {
    if (!sym || len == 0) return TOK_UNK;
    if (v->kind == TOK_BYTE && !v->seq2seq) return sym[0];
    if (len == 1) return v->single[sym[0]];
    const sym_slot_t *e = symtab_find(&v->tab, sym, len);
    return e ? (uint32_t)e->val : TOK_UNK;
}

/* ============================================================================================
 * Encode and decode
 * ============================================================================================ */

int tok_ids_emit(void *arg, const unsigned char *sym, size_t len) {
    tok_ids_t *e = arg;
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 4096;
        uint32_t *ids = realloc(e->ids, cap * sizeof *ids);
        if (!ids) return -1;
        e->ids = ids;
        e->cap = cap;
    }
    uint32_t id = tok_vocab_id(e->v, sym, len);
    e->unknown += tok_vocab_is_unk(e->v, id);
    e->ids[e->n++] = id;
    return 0;
}

static void encode_done(tok_ids_t *e, uint32_t **ids, size_t *n, size_t *unknown) {
    *ids = e->ids;
    *n = e->n;
    if (unknown) *unknown = e->unknown;
}

int tok_encode(const tok_vocab_t *v, const void *text, size_t len, uint32_t **ids, size_t *n,
               size_t *unknown) {
    tok_ids_t e = {v, NULL, 0, 0, 0};
    tok_splitter_t *s = tok_vocab_splitter(v);
    int rc = s ? tok_splitter_feed(s, text, len, tok_ids_emit, &e) : -1;
    if (rc == 0) rc = tok_splitter_finish(s, tok_ids_emit, &e);
    tok_splitter_free(s);
    if (rc != 0) {
        free(e.ids);
        return -1;
    }
    encode_done(&e, ids, n, unknown);
    return 0;
}

int tok_encode_file(const tok_vocab_t *v, const char *path, uint32_t **ids, size_t *n,
                    size_t *unknown, char *err, size_t errlen) {
    tok_ids_t e = {v, NULL, 0, 0, 0};
    int stop = -1, rc = 70;
    tok_splitter_t *s = tok_vocab_splitter(v);
    if (s) rc = tok_feed_file(s, path, tok_ids_emit, &e, &stop, err, errlen);
    if (rc == 0 && stop == 0) stop = tok_splitter_finish(s, tok_ids_emit, &e);
    tok_splitter_free(s);
    if (rc == 0 && stop != 0) rc = 70; /* tok_ids_emit stops only when out of memory */
    if (rc == 70) snprintf(err, errlen, "out of memory tokenizing '%s'", path);
    if (rc != 0) {
        free(e.ids);
        return rc;
    }
    encode_done(&e, ids, n, unknown);
    return 0;
}

static int decode_one(const tok_vocab_t *v, uint32_t id, int *state, FILE *f) {
    if (v->kind == TOK_BYTE && !v->seq2seq) {
        if (id < 256) return putc((int)id, f) == EOF ? -1 : 0;
        return fputs(UTF8_REPLACEMENT, f) == EOF ? -1 : 0;
    }
    if (v->kind != TOK_WORD) { /* char, seq2seq byte: the specials have no text */
        if (id < v->nspec || id >= v->n) return fputs(UTF8_REPLACEMENT, f) == EOF ? -1 : 0;
        if (v->len[id] == 0) return putc(0, f) == EOF ? -1 : 0;
        return fwrite(v->str[id], 1, v->len[id], f) == v->len[id] ? 0 : -1;
    }
    if (id == TOK_EOS && !v->seq2seq) {
        *state = 0;
        return putc('\n', f) == EOF ? -1 : 0;
    }
    const char *w = id < v->n ? v->str[id] : "<unk>";
    if (*state && putc(' ', f) == EOF) return -1;
    *state = 1; /* a space is due before the next word of this line */
    return fputs(w, f) == EOF ? -1 : 0;
}

/* The model's piece for ID (NULL: a special the model has not, which has no text). */
static const char *spm_id_piece(const tok_vocab_t *v, uint32_t id) {
    if (id >= v->n) id = TOK_UNK;
    if (id >= v->nspec) return v->str[id];
    return v->role[id] >= 0 ? spm_piece(v->spm, (size_t)v->role[id]) : NULL;
}

/* spm: each line's pieces detokenized by the model. Mid-line (*state), a piece that starts a
 * word ("\xE2\x96\x81", U+2581) gets the space the model drops at the start of a sentence. */
static int spm_decode_write(const tok_vocab_t *v, const uint32_t *ids, size_t n, int *state,
                            FILE *f) {
    const char **pieces = malloc((n ? n : 1) * sizeof *pieces);
    int rc = pieces ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0;) {
        if (!v->seq2seq && ids[i] == TOK_EOS) {
            *state = 0;
            rc = putc('\n', f) == EOF ? -1 : 0;
            i++;
            continue;
        }
        size_t k = 0, len = 0;
        for (; i < n && (v->seq2seq || ids[i] != TOK_EOS); i++)
            if ((pieces[k] = spm_id_piece(v, ids[i])) != NULL) k++;
        char *text = k ? spm_decode(v->spm, pieces, k, &len) : NULL;
        if (k && !text) rc = -1;
        if (rc == 0 && *state && len && strncmp(pieces[0], "\xE2\x96\x81", 3) == 0)
            rc = putc(' ', f) == EOF ? -1 : 0;
        if (rc == 0 && len) rc = fwrite(text, 1, len, f) == len ? 0 : -1;
        *state |= len > 0;
        free(text);
    }
    free(pieces);
    return rc;
}

int tok_decode_write(const tok_vocab_t *v, const uint32_t *ids, size_t n, int *state, FILE *f) {
    if (v->spm) return spm_decode_write(v, ids, n, state, f);
    for (size_t i = 0; i < n; i++) {
        if (decode_one(v, ids[i], state, f) != 0) return -1;
    }
    return 0;
}

int tok_count_chars(const tok_vocab_t *v, const uint32_t *ids, size_t n, int *state,
                    uint64_t *chars) {
    if (v->kind == TOK_CHAR) {
        *chars += n;
        return 0;
    }
    if (v->kind == TOK_BYTE && !v->seq2seq) {
        for (size_t i = 0; i < n; i++) *chars += (ids[i] & 0xC0) != 0x80;
        return 0;
    }
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) return -1;
    int rc = tok_decode_write(v, ids, n, state, f);
    if (fclose(f) != 0) rc = -1;
    for (size_t i = 0; rc == 0 && i < size; i++) *chars += ((unsigned char)buf[i] & 0xC0) != 0x80;
    free(buf);
    return rc;
}

char *tok_decode(const tok_vocab_t *v, const uint32_t *ids, size_t n, size_t *len) {
    char *buf = NULL;
    size_t size = 0;
    int state = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) return NULL;
    int rc = tok_decode_write(v, ids, n, &state, f);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}

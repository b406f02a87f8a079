/* io/tokenize_symtab.c — the tokenizers' symbol table and string packing (io/tokenize_symtab.h). */
#include "io/tokenize_symtab.h"

#include <stdlib.h>
#include <string.h>

/* ============================================================================================
 * Symbol table: open addressing, linear probing; keys live in one growing arena so a table of a
 * million words costs a few allocations, not a million.
 * ============================================================================================ */

static uint64_t sym_hash(const unsigned char *s, size_t len) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h | (1ull << 63);
}

int tok_symtab_init(symtab_t *t) {
    memset(t, 0, sizeof *t);
    t->cap = 1024;
    t->slots = calloc(t->cap, sizeof *t->slots);
    return t->slots ? 0 : -1;
}

void tok_symtab_free(symtab_t *t) {
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

sym_slot_t *tok_symtab_find(const symtab_t *t, const unsigned char *s, size_t len) {
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
sym_slot_t *tok_symtab_insert(symtab_t *t, const unsigned char *s, size_t len, int *added) {
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

/* Packs N strings (lens[i] bytes at s[i]) into one allocation: pointer array, then the bytes. */
char **tok_pack_strings(const unsigned char *const *s, const size_t *lens, size_t n) {
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

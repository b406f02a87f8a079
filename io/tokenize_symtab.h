/* io/tokenize_symtab.h — the tokenizers' symbol table, shared by io/tokenize.c (the counter)
 * and io/tokenize_vocab.c (vocabularies): open addressing, linear probing; keys live in one
 * growing arena, so a table of a million words costs a few allocations, not a million. And the
 * packing of string tables both hand out. Not for other modules. */
#ifndef DRNN_IO_TOKENIZE_SYMTAB_H
#define DRNN_IO_TOKENIZE_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

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

int tok_symtab_init(symtab_t *t);
void tok_symtab_free(symtab_t *t);
sym_slot_t *tok_symtab_find(const symtab_t *t, const unsigned char *s, size_t len);
/* The slot of s[0..len), added (*added = 1) when new; NULL when out of memory. */
sym_slot_t *tok_symtab_insert(symtab_t *t, const unsigned char *s, size_t len, int *added);

/* Packs N strings (lens[i] bytes at s[i]) into one allocation: pointer array, then the bytes
 * (free(result) releases all). NULL when out of memory. */
char **tok_pack_strings(const unsigned char *const *s, const size_t *lens, size_t n);

#endif

/* io/tokenize_vocab.c — loaded vocabularies, encoding and decoding (io/tokenize.h). */
#include "io/tokenize.h"
#include "io/tokenize_symtab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/spm.h"

static const char UTF8_REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

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
    const char *const *specials = tok_specials_of(v->seq2seq);
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
            sym_slot_t *e = tok_symtab_insert(&v->tab, s, v->len[i], &added);
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
    v->str = tok_pack_strings((const unsigned char *const *)strings, v->len, v->n);
    if (!v->str || tok_symtab_init(&v->tab) != 0) {
        snprintf(err, errlen, "out of memory loading the vocabulary");
        return -1;
    }
    v->seq2seq = v->n >= TOK_SEQ2SEQ_SPECIALS;
    for (size_t i = 0; i < TOK_SEQ2SEQ_SPECIALS && v->seq2seq; i++)
        v->seq2seq = strcmp(v->str[i], tok_specials_of(1)[i]) == 0;
    v->nspec = tok_nspecials_of(v->kind, v->seq2seq);
    if (v->kind == TOK_BYTE && !v->seq2seq) return vocab_check_byte(v, err, errlen);
    if (vocab_check_specials(v, err, errlen) != 0) return -1;
    /* The literal special words of a text: <unk> and <eos> (newline) for text, always <unk> for
     * seq2seq, whose <pad>, <bos> and <eos> only the model places. */
    for (size_t i = 0; v->kind == TOK_WORD && i < v->nspec; i++) {
        int added;
        sym_slot_t *e = tok_symtab_insert(&v->tab, (const unsigned char *)v->str[i], 5, &added);
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
            s[k] = (const unsigned char *)tok_specials_of(seq2seq)[k];
            lens[k] = 5;
        }
        for (size_t id = 0; id < np; id++) {
            int special = 0;
            for (size_t r = 0; r < nspec; r++) special |= role[r] == (int)id;
            if (special) continue;
            s[k] = (const unsigned char *)spm_piece(m, id);
            lens[k++] = strlen(spm_piece(m, id));
        }
        out = tok_pack_strings(s, lens, k);
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
    tok_symtab_free(&v->tab);
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
    const sym_slot_t *e = tok_symtab_find(&v->tab, sym, len);
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
    if (v->kind == TOK_WORD) { /* as decode_one writes them, without writing */
        for (size_t i = 0; i < n; i++) {
            if (ids[i] == TOK_EOS && !v->seq2seq) {
                *chars += 1, *state = 0;
                continue;
            }
            const char *w = ids[i] < v->n ? v->str[ids[i]] : "<unk>";
            *chars += *state != 0;
            for (; *w; w++) *chars += ((unsigned char)*w & 0xC0) != 0x80;
            *state = 1;
        }
        return 0;
    }
    char *buf = NULL; /* spm: the model detokenizes */
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

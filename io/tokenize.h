/* io/tokenize.h — byte, char and word tokenizers (DESIGN §6).
 *
 * Three layers, each usable alone:
 *   splitter  bytes -> symbols (streaming, bounded memory, no vocabulary),
 *   counter   symbols -> frequency-ordered vocabulary (drnn-prep's train-split pass),
 *   vocab     a loaded vocabulary: symbol -> id, and ids -> text.
 * drnn-prep builds its token datasets with tok_vocab_id on the vocabulary it writes, so the
 * trainer, sampler and evaluator tokenizing a prime string or a text file with the same calls get
 * exactly the ids drnn-prep would have stored. This module does no MPI and no HDF5.
 *
 * Symbols (what a splitter emits):
 *   byte  every input byte is one symbol; id = byte value; 256 entries, always.
 *   char  one UTF-8 encoded code point. A byte that does not start a valid, complete, shortest-form
 *         sequence (stray continuation byte, C0/C1/F5-FF, surrogates, truncated sequence) is a
 *         symbol of its own, so any input round-trips and Latin-1 stray bytes are not lost.
 *   word  a maximal run of bytes other than ASCII whitespace (space \t \r \v \f \n); every "\n"
 *         is emitted as the symbol "\n", which means <eos>. Other whitespace only separates.
 *         No UTF-8 validation. A word longer than TOK_WORD_MAX bytes or containing a NUL byte is
 *         emitted as sym == NULL (always <unk>), so memory stays bounded.
 *   The input is one stream: symbols may span the buffers given to successive feed calls, so
 *   feeding several files one after another equals feeding their concatenation (`cat`).
 *
 * Vocabulary strings (one NUL-terminated string per id, as stored in a corpus's /vocab):
 *   byte  entry b is the 1-byte string b, except entry 0 (the NUL byte), which is "" — a C / HDF5
 *         string cannot hold a NUL. "" is unique in the table, so it maps back to byte 0.
 *   char  "<unk>" = 0, then code points (and stray bytes) as their UTF-8 bytes; U+0000 is "" as
 *         for byte; newline is the literal "\n".
 *   word  "<unk>" = 0, "<eos>" = 1, then words. The literal words "<unk>" and "<eos>" in a text
 *         map to ids 0 and 1 (Penn Treebank text contains "<unk>").
 *   Order after the specials: descending frequency in the train split, ties by byte order
 *   (unsigned memcmp, a prefix first). Symbols not in the vocabulary map to <unk> (id 0).
 *
 * Seq2seq vocabularies (drnn-prep --format pairs): for every kind "<unk>" = 0, "<pad>" = 1,
 * "<bos>" = 2, "<eos>" = 3, then the counted symbols in the order above — for byte too: only the
 * bytes seen, by frequency, the NUL byte as "", so a byte can be <unk>. The literal words "<unk>",
 * "<pad>", "<bos>" and "<eos>" in a text are <unk>: only the model places padding and sequence
 * marks. A newline is no symbol of its own (pairs are lines); word's "\n" is <unk>. The
 * splitters are the same for both layouts.
 */
#ifndef DRNN_IO_TOKENIZE_H
#define DRNN_IO_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { TOK_BYTE = 0, TOK_CHAR = 1, TOK_WORD = 2, TOK_SPM = 3 } tok_kind_t;

typedef struct spm spm_t; /* io/spm.h */

#define TOK_UNK      0u   /* <unk> id for char and word */
#define TOK_EOS      1u   /* <eos> id for word */
#define TOK_WORD_MAX 1024 /* longer words become <unk> */

#define TOK_PAD              1u /* seq2seq vocabularies */
#define TOK_BOS              2u
#define TOK_SEQ2SEQ_EOS      3u
#define TOK_SEQ2SEQ_SPECIALS 4

/* "byte", "char", "word", "spm" -> *out. Returns 0, or -1 for any other name. */
int tok_kind_parse(const char *name, tok_kind_t *out);
const char *tok_kind_name(tok_kind_t kind);
/* Number of special entries at the front of the vocabulary: 0 byte, 1 char, 2 word and spm. */
size_t tok_num_specials(tok_kind_t kind);
/* The special entries at the front of a vocabulary of each layout (text: "<unk>" "<eos>";
 * seq2seq: "<unk>" "<pad>" "<bos>" "<eos>"; all 5 bytes long), and how many a vocabulary of
 * KIND in that layout has (text: tok_num_specials). */
const char *const *tok_specials_of(int seq2seq);
size_t tok_nspecials_of(tok_kind_t kind, int seq2seq);

/* --- Splitter: bytes -> symbols ------------------------------------------------------------ */

/* Called once per symbol. sym points into the splitter's buffer and is valid only during the
 * call; sym == NULL (len 0) is a symbol that is always <unk>. Return 0 to go on; a nonzero value
 * stops the feed/finish call, which returns it (the splitter must then be freed, not fed). */
typedef int (*tok_emit_fn)(void *arg, const unsigned char *sym, size_t len);

typedef struct tok_splitter tok_splitter_t;

/* Returns a splitter (about 70 KiB) or NULL when out of memory. Not for spm: */
tok_splitter_t *tok_splitter_new(tok_kind_t kind);
/* spm: the splitter gathers each line and hands the pieces M encodes it into (io/spm.h), then
 * "\n" for its newline; a last line without one is encoded at finish. M must outlive it. */
tok_splitter_t *tok_splitter_new_spm(const spm_t *m);
void tok_splitter_free(tok_splitter_t *s);
/* Runs of one-byte symbols in one call, for callers that would otherwise pay a call per byte:
 * RUN(arg, syms, n) stands for n emit calls with the symbols syms[0], syms[1], ... of one byte
 * each (byte: every byte; char: ASCII bytes). Its return value stops the feed as emit's does
 * (a run that stops partway must itself count only what it took). */
typedef int (*tok_emit_run_fn)(void *arg, const unsigned char *syms, size_t n);
/* From now on S hands runs to RUN (NULL: back to one emit call per symbol); word has none. */
void tok_splitter_set_run(tok_splitter_t *s, tok_emit_run_fn run);

/* Feeds LEN bytes. A symbol cut at the end of BUF is kept until the next call. Returns 0 or the
 * value with which emit (or the run function) stopped. */
int tok_splitter_feed(tok_splitter_t *s, const void *buf, size_t len, tok_emit_fn emit, void *arg);
/* Feeds the whole content of the file PATH (plain or gzip, detected by content; "-" = stdin) to S
 * without finishing it, so several files form one stream. Returns 0; 66 when PATH cannot be opened
 * or is a folder, 65 when its gzip data is damaged or truncated, 74 on a read error — each with a
 * one-line message naming the file in err. When emit stops the feed, returns 0 and sets *stop to
 * emit's value (*stop is set to 0 otherwise; STOP may be NULL when emit never stops). */
int tok_feed_file(tok_splitter_t *s, const char *path, tok_emit_fn emit, void *arg, int *stop,
                  char *err, size_t errlen);
/* tok_feed_file over bytes [off, off + len) of the uncompressed file PATH (textfile_midline gives
 * a point where a fresh splitter may start). */
int tok_feed_range(tok_splitter_t *s, const char *path, uint64_t off, uint64_t len,
                   tok_emit_fn emit, void *arg, int *stop, char *err, size_t errlen);
/* End of input: emits the symbol still pending (an incomplete UTF-8 sequence becomes one symbol per
 * byte) and resets the splitter for a new stream. Returns 0 or emit's stop value. */
int tok_splitter_finish(tok_splitter_t *s, tok_emit_fn emit, void *arg);

/* --- Counter: symbols -> vocabulary (drnn-prep) -------------------------------------------- */

typedef struct tok_counter tok_counter_t;

/* Memory grows with the number of distinct symbols. NULL when out of memory. */
tok_counter_t *tok_counter_new(tok_kind_t kind);
/* The same for a seq2seq vocabulary: tok_counter_vocab gives the seq2seq specials first. */
tok_counter_t *tok_counter_new_seq2seq(tok_kind_t kind);
void tok_counter_free(tok_counter_t *c);
/* Counts one emitted symbol (sym == NULL and word's "\n" are specials and not counted).
 * Returns 0, or -1 when out of memory. */
int tok_counter_add(tok_counter_t *c, const unsigned char *sym, size_t len);
/* Counts n one-byte symbols syms[0..n), as n tok_counter_add calls would (a run, see
 * tok_emit_run_fn). Returns 0, or -1 when out of memory. */
int tok_counter_add_run(tok_counter_t *c, const unsigned char *syms, size_t n);
/* Adds FROM's counts to INTO (same kind): two halves of a text counted apart. 0; -1 when out of
 * memory. */
int tok_counter_merge(tok_counter_t *into, const tok_counter_t *from);
/* Number of distinct symbols counted so far, the literal special words not included. */
size_t tok_counter_distinct(const tok_counter_t *c);
/* Builds the vocabulary: specials, then the counted symbols in id order, at most MAX_SIZE entries
 * in all (0 = no limit; a text byte counter ignores it and always gives its 256 entries; a seq2seq
 * one keeps the MAX_SIZE - 4 most frequent bytes). Returns an array of *n
 * NUL-terminated strings held in one allocation: free(result) releases everything. NULL when out of
 * memory. */
char **tok_counter_vocab(const tok_counter_t *c, size_t max_size, size_t *n);

/* --- Vocab: a loaded vocabulary ------------------------------------------------------------- */

/* spm vocabularies follow a SentencePiece model: drnn's specials first (text: <unk> <eos>;
 * seq2seq: <unk> <pad> <bos> <eos>), standing for the model's pieces of those roles, then every
 * other piece of the model in the model's id order. A model trained by drnn-prep puts its own
 * specials at those ids, so there drnn's ids are the model's ids. Returns the table as
 * tok_counter_vocab does (free(result)); NULL when out of memory. */
char **tok_spm_vocab(const spm_t *m, int seq2seq, size_t *n);
typedef struct tok_vocab tok_vocab_t;

/* Builds the lookup table of STRINGS[0..n) (copied; the caller keeps its own). A table that starts
 * with "<unk>" "<pad>" "<bos>" "<eos>" is a seq2seq vocabulary (then byte entries must be one byte
 * or ""). Otherwise checks the table against KIND: byte needs the 256 entries above in order; char
 * needs "<unk>" first; word "<unk>", "<eos>". No duplicates; n < 2^32. Returns NULL with a
 * one-line reason in err (or when out of memory). The caller owns the result (tok_vocab_free). */
tok_vocab_t *tok_vocab_new(tok_kind_t kind, const char *const *strings, size_t n, char *err,
                           size_t errlen);
/* The same for any kind; an spm vocabulary also needs its serialized SentencePiece model
 * SPM[0..spm_len) (other kinds: NULL, 0), loaded and checked against the table. */
tok_vocab_t *tok_vocab_open(tok_kind_t kind, const char *const *strings, size_t n, const void *spm,
                            size_t spm_len, char *err, size_t errlen);
void tok_vocab_free(tok_vocab_t *v);
/* A splitter for V's kind (spm: with V's model, valid while V lives); NULL when out of memory. */
tok_splitter_t *tok_vocab_splitter(const tok_vocab_t *v);
/* The SentencePiece model of an spm vocabulary; NULL for the other kinds. */
const spm_t *tok_vocab_spm(const tok_vocab_t *v);
size_t tok_vocab_size(const tok_vocab_t *v);
tok_kind_t tok_vocab_kind(const tok_vocab_t *v);
int tok_vocab_seq2seq(const tok_vocab_t *v); /* 1 for a seq2seq vocabulary */
/* 1 when ID is <unk> (a text byte vocabulary has none: its id 0 is the NUL byte). */
int tok_vocab_is_unk(const tok_vocab_t *v, uint32_t id);
const char *tok_vocab_string(const tok_vocab_t *v, uint32_t id); /* NULL when id >= size */
/* Id of one splitter symbol; unknown symbols and sym == NULL give TOK_UNK (byte: never unknown). */
uint32_t tok_vocab_id(const tok_vocab_t *v, const unsigned char *sym, size_t len);

/* Ids appended as a splitter emits symbols: the emit function tok_ids_emit (arg: a tok_ids_t)
 * looks each symbol up in V and appends its id, growing ids (the caller frees it). Set v, and
 * the rest to 0 (or n and unknown to 0 to reuse the buffer). */
typedef struct {
    const tok_vocab_t *v;
    uint32_t *ids;
    size_t n, cap;
    size_t unknown; /* how many of the ids are <unk> (tok_vocab_is_unk) */
} tok_ids_t;
/* tok_emit_fn; returns -1 when out of memory. */
int tok_ids_emit(void *arg, const unsigned char *sym, size_t len);

/* Tokenizes TEXT[0..len) as one complete stream. On success returns 0, sets *ids to a malloc'd
 * array of *n ids (the caller frees it; may be NULL when *n == 0) and *unknown to how many are
 * TOK_UNK (pass NULL if not wanted). Returns -1 when out of memory (nothing to free). For streams
 * too large to hold, feed a tok_splitter whose emit calls tok_vocab_id instead. */
int tok_encode(const tok_vocab_t *v, const void *text, size_t len, uint32_t **ids, size_t *n,
               size_t *unknown);
/* The same for a file: plain or gzip (detected by content), "-" = stdin. Returns 0; 66 when it
 * cannot be opened, 65 when its gzip data is damaged, 74 on a read error, 70 when out of memory —
 * with a one-line message naming the file in err. */
int tok_encode_file(const tok_vocab_t *v, const char *path, uint32_t **ids, size_t *n,
                    size_t *unknown, char *err, size_t errlen);

/* Writes the text of ids[0..n) to F. byte: the bytes; char: the strings, "" as a NUL byte and
 * <unk> as U+FFFD; word: words joined by single spaces, <eos> as "\n" (no space around it),
 * "<unk>" literally. Seq2seq vocabularies: byte as char, every special as U+FFFD; word: the
 * specials written as their names, like words. spm: the pieces of each line detokenized by the
 * model (io/spm.h), <eos> of a text vocabulary as "\n". Ids >= size are written as <unk> (byte: as
 * U+FFFD). *state carries the spacing across calls for streaming output: set it to 0 at the start
 * of a text. Returns 0, or -1 on a write error. */
int tok_decode_write(const tok_vocab_t *v, const uint32_t *ids, size_t n, int *state, FILE *f);
/* Adds to *chars the characters (Unicode code points: bytes that do not continue a UTF-8
 * sequence) of the text tok_decode_write writes for ids[0..n), with *state as there; char
 * counts one per id (every char token is one character), byte counts the bytes that start a
 * character. Returns 0, or -1 when out of memory. */
int tok_count_chars(const tok_vocab_t *v, const uint32_t *ids, size_t n, int *state,
                    uint64_t *chars);
/* The same into a malloc'd, NUL-terminated buffer of *len bytes (byte/char text may itself hold
 * NUL bytes). The caller frees it. NULL when out of memory. */
char *tok_decode(const tok_vocab_t *v, const uint32_t *ids, size_t n, size_t *len);

#endif

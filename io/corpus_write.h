/* io/corpus_write.h — writing drnn corpus files (DESIGN §6); io/corpus.h reads them.
 *
 * File layout (HDF5, latest file format, whose metadata libhdf5 checksums), version 2:
 *   root attributes, scalar: format "drnn-corpus", version 2 (int32), data ("text", "labels",
 *     "pairs" or "tags"), tokenizer ("byte", "char", "word"), vocab_size (int32), vocab_crc32
 * (uint32), uuid (32 lowercase hex digits from /dev/urandom), and for each present split
 *     <split>_tokens (uint64) and <split>_crc32 (uint32). Labelled and tagged data add num_labels
 * (int32, the number of labels or tags), labels_crc32 (uint32) and <split>_examples (uint64). Pair
 * data adds tgt_vocab_size (int32), tgt_vocab_crc32 (uint32), shared_vocab (int32, 0 or 1),
 * <split>_examples (uint64, the pairs) and <split>_tgt_tokens (uint64); its vocab_size and
 * <split>_tokens are the source side's. Strings are fixed-length, NUL-terminated, ASCII. String
 * tables (/vocab, /labels, /tgt_vocab): 1-D uint8, contiguous: entry after entry, each followed by
 * one NUL byte (no entry holds a NUL: io/tokenize.h stores the NUL byte as ""); entry i is the i-th
 * NUL-terminated string. <name>_crc32 is zlib's crc32 of all its bytes. No variable-length strings:
 * libhdf5 keeps those in its global heap, which has no checksum. /vocab: one entry per id (UTF-8
 * for char and word, raw bytes for byte). /train/tokens, /valid/tokens, /test/tokens: 1-D unsigned
 * little-endian ids of the smallest width that holds vocab_size - 1 (H5T_STD_U8LE, U16LE or U32LE).
 *   Labelled data (one example = a label and its text's tokens):
 *     /labels: the label names (UTF-8), a string table like /vocab; label id = index.
 *     /SPLIT/tokens: every example's tokens, concatenated in example order;
 *     /SPLIT/offsets: uint64 LE [n+1], example i is tokens [offsets[i], offsets[i+1]),
 *       offsets[0] = 0, offsets[n] = <split>_tokens;
 *     /SPLIT/labels: uint32 LE [n], the label id of each example.
 *   Tagged data (one example = a sequence of at least one token, each with a tag):
 *     /labels: the tag names (UTF-8), a string table like /vocab; tag id = index.
 *     /SPLIT/tokens, /SPLIT/offsets: as for labelled data;
 *     /SPLIT/tags: [<split>_tokens], the tag id of each token, unsigned LE of the smallest width
 *       that holds num_labels - 1 (U8LE, U16LE or U32LE).
 *   Pair data (one example = a source and a target sequence, each of at least one token; seq2seq
 *   vocabularies, io/tokenize.h: <unk> <pad> <bos> <eos> first):
 *     /tgt_vocab: the target vocabulary, a string table like /vocab (a copy of it when
 *       shared_vocab);
 *     /SPLIT/src_tokens, /SPLIT/tgt_tokens: every pair's source (target) ids, concatenated in pair
 *       order, each of the smallest width for its own vocabulary; targets without <bos> or <eos>;
 *     /SPLIT/src_offsets, /SPLIT/tgt_offsets: uint64 LE [n+1] as for labelled data: pair i is
 *       src_tokens [src_offsets[i], src_offsets[i+1]) and tgt_tokens [tgt_offsets[i],
 *       tgt_offsets[i+1]); both start at 0 and end at <split>_tokens and <split>_tgt_tokens.
 *   Every dataset of a split is chunked by CORPUS_WRITE_CHUNK elements, shuffle + deflate
 *   + Fletcher32 (libhdf5 verifies every chunk it reads), unlimited max size. The chunks are
 *   encoded by drnn's own worker threads (io/chunk_pack.h; deflate with Huffman codes only, see
 *   DEFLATE_LEVEL in corpus_write.c) and stored with H5Dwrite_chunk: the same bytes libhdf5's
 *   pipeline reads. A split with no
 *   tokens (text) or no examples (labels, pairs, tags) has neither a group nor attributes.
 *   <split>_crc32 is zlib's crc32 of the ids as stored (n * width little-endian bytes); for
 *   labelled data continued over the offsets (8 bytes each, LE) and then the labels (4 bytes, LE);
 *   for tagged data continued over the offsets and then the tags as stored;
 *   for pair data the source ids as stored continued over the target ids as stored (the offsets
 *   are not part of it): crc32(crc32(0, src_tokens bytes), tgt_tokens bytes). It identifies the
 *   data (checkpoints record it); the Fletcher32 chunks are what readers verify.
 * The file is built as PATH.tmp.<pid> in PATH's folder and only appears as PATH, complete, after
 * corpus_writer_commit (close, fsync, rename, fsync of the folder). Every failure removes the
 * temporary file. No MPI.
 */
#ifndef DRNN_IO_CORPUS_WRITE_H
#define DRNN_IO_CORPUS_WRITE_H

#include <stddef.h>
#include <stdint.h>

#define CORPUS_WRITE_CHUNK 65536 /* elements per HDF5 chunk */

typedef struct corpus_writer corpus_writer_t;

/* Creates PATH.tmp.<pid> and writes /vocab (VOCAB[0..vocab_size), no entry with a NUL byte;
 * 1 <= vocab_size <= INT32_MAX). TOKENIZER is "byte", "char" or "word". Returns 0 and sets *out
 * (the caller must end it with corpus_writer_commit or corpus_writer_abort), or 74 (cannot create
 * or write the file), 64 (bad arguments) or 70 (out of memory), with a one-line message in err and
 * nothing left on disk. */
int corpus_writer_open(corpus_writer_t **out, const char *path, const char *tokenizer,
                       const char *const *vocab, size_t vocab_size, char *err, size_t errlen);

/* Appends ids[0..n) to SPLIT (CORPUS_TRAIN, CORPUS_VALID or CORPUS_TEST) of a text corpus,
 * creating its dataset on the first token. Ids are buffered a chunk at a time and CRC'd as each
 * chunk is written. Returns 0, 74 on a write failure, or 70 for an id >= vocab_size, a bad split
 * or a labelled corpus (caller bugs) or no memory, with a message in err. After a failure the
 * writer can only be aborted. */
int corpus_writer_append(corpus_writer_t *w, int split, const uint32_t *ids, size_t n, char *err,
                         size_t errlen);

/* Appends the ids map[syms[0]], map[syms[1]], ... map[syms[n-1]] to SPLIT of a text corpus, as
 * corpus_writer_append would, without a buffer of ids in between (drnn-prep's runs of one-byte
 * symbols), and adds to *ZEROS how many of those ids are 0 (<unk> for char; ZEROS may be NULL).
 * Every map entry must be < vocab_size (else 70). */
int corpus_writer_append_mapped(corpus_writer_t *w, int split, const unsigned char *syms, size_t n,
                                const uint32_t *map, uint64_t *zeros, char *err, size_t errlen);

/* Makes W a labelled corpus: writes /labels = NAMES[0..n) (copied; 1 <= n <= INT32_MAX, the ids'
 * order is the caller's). Call once, before any append. Returns 0, 74 on a write failure, 64 for
 * a bad n, 70 when called twice or late; after a failure W can only be aborted. */
int corpus_writer_set_labels(corpus_writer_t *w, const char *const *names, size_t n, char *err,
                             size_t errlen);

/* Appends one example to SPLIT of a labelled corpus: ids[0..n) to its tokens (n may be 0), its
 * end to the offsets (the leading 0 comes with the split's first example), LABEL to the labels.
 * Returns 0, 74 on a write failure, or 70 for an id >= vocab_size, a label >= the number of
 * labels, a bad split or a corpus of other data (caller bugs), with a message in err. */
int corpus_writer_append_example(corpus_writer_t *w, int split, const uint32_t *ids, size_t n,
                                 uint32_t label, char *err, size_t errlen);

/* Makes W a tagged corpus: writes /labels = NAMES[0..n), the tag names (copied; 1 <= n <=
 * INT32_MAX, the ids' order is the caller's), and stores tag ids in the smallest width that
 * holds n - 1. Call once, before any append. Returns 0, 74 on a write failure, 64 for a bad n,
 * 70 when called twice or late; after a failure W can only be aborted. */
int corpus_writer_set_tags(corpus_writer_t *w, const char *const *names, size_t n, char *err,
                           size_t errlen);

/* Appends one tagged sequence to SPLIT of a tagged corpus: ids[0..n) to its tokens (n >= 1), its
 * end to the offsets (the leading 0 comes with the split's first sequence), tags[0..n) to its
 * tags. Returns 0, 74 on a write failure, or 70 for n == 0, an id >= vocab_size, a tag >= the
 * number of tags, a bad split or a corpus of other data (caller bugs), with a message in err. */
int corpus_writer_append_tagged(corpus_writer_t *w, int split, const uint32_t *ids,
                                const uint32_t *tags, size_t n, char *err, size_t errlen);

/* Makes W a pair corpus: the vocabulary given to corpus_writer_open is the source's, TGT_VOCAB
 * [0..tgt_size) (copied; 1 <= tgt_size <= INT32_MAX) is written as /tgt_vocab; SHARED (0/1) is
 * recorded as shared_vocab (the caller passes the same table twice then). Call once, before any
 * append. Returns 0, 74 on a write failure, 64 for a bad size, 70 when called twice or late;
 * after a failure W can only be aborted. */
/* Tokenizer spm: stores the serialized SentencePiece model of SIDE (0: the text or the source,
 * 1: a pair corpus's target when it has its own) as /spm_model or /tgt_spm_model with its
 * CRC-32. 0, or 74. */
/* Text: adds N to the characters of SPLIT's detokenized text, written as <split>_chars (uint64)
 * for bits per character (io/tokenize.h tok_count_chars). */
void corpus_writer_add_chars(corpus_writer_t *w, int split, uint64_t n);
int corpus_writer_set_spm(corpus_writer_t *w, int side, const void *bytes, size_t len, char *err,
                          size_t errlen);
int corpus_writer_set_pairs(corpus_writer_t *w, const char *const *tgt_vocab, size_t tgt_size,
                            int shared, char *err, size_t errlen);

/* Appends one pair to SPLIT of a pair corpus: src[0..nsrc) and tgt[0..ntgt) (both >= 1, the
 * target without <bos>/<eos>) to its token datasets, their ends to the offsets (the leading 0s
 * come with the split's first pair). Returns 0, 74 on a write failure, or 70 for an empty side,
 * an id >= its vocabulary's size, a bad split or a corpus of other data (caller bugs). */
int corpus_writer_append_pair(corpus_writer_t *w, int split, const uint32_t *src, size_t nsrc,
                              const uint32_t *tgt, size_t ntgt, char *err, size_t errlen);

uint64_t corpus_writer_tokens(const corpus_writer_t *w, int split);     /* (source) so far */
uint64_t corpus_writer_tgt_tokens(const corpus_writer_t *w, int split); /* 0 but for pairs */
uint64_t corpus_writer_examples(const corpus_writer_t *w, int split);   /* 0 for text */
/* Of the split so far, as the <split>_crc32 attribute will hold it. */
uint32_t corpus_writer_crc32(const corpus_writer_t *w, int split);
int corpus_writer_width(const corpus_writer_t *w); /* bytes per (source) id: 1, 2, 4 */
const char *corpus_writer_uuid(const corpus_writer_t *w);
/* The temporary file's name, e.g. for a signal handler that must unlink it. */
const char *corpus_writer_tmp_path(const corpus_writer_t *w);

/* Encodes (shuffle, deflate, Fletcher32) the chunks of every split in THREADS worker threads
 * (io/chunk_pack.h) instead of the calling thread (THREADS 0, the default). Call before the
 * first append. */
void corpus_writer_set_threads(corpus_writer_t *w, int threads);

/* Flushes the last chunks, writes the attributes, closes, fsyncs and renames the file to PATH
 * (replacing an older PATH). Frees W whatever happens. Returns 0, or 74 with a message in err and
 * the temporary file removed. */
int corpus_writer_commit(corpus_writer_t *w, char *err, size_t errlen);

/* Closes everything, removes the temporary file and frees W (NULL is a no-op).
 * Beware: after a failed write, libhdf5 1.10.8 cannot close the file (H5Fclose fails) and then
 * segfaults in its atexit handler (H5_term_library); a program that gives up after a write
 * failure should leave with _exit(), not exit() or a return from main. */
void corpus_writer_abort(corpus_writer_t *w);

#endif

/* io/corpus_write.h — writing drnn corpus files (DESIGN §6); io/corpus.h reads them.
 *
 * File layout (HDF5, latest file format):
 *   root attributes, scalar: format "drnn-corpus", version 1 (int32), tokenizer ("byte", "char",
 *     "word"), vocab_size (int32), uuid (32 lowercase hex digits from /dev/urandom), and for each
 *     present split <split>_tokens (uint64) and <split>_crc32 (uint32). Strings are fixed-length,
 *     NUL-terminated, ASCII.
 *   /vocab: 1-D variable-length strings, one per id (UTF-8 for char and word, ASCII for byte).
 *   /train/tokens, /valid/tokens, /test/tokens: 1-D unsigned little-endian ids of the smallest
 *     width that holds vocab_size - 1 (H5T_STD_U8LE, U16LE or U32LE), chunked by
 *     CORPUS_WRITE_CHUNK elements, shuffle + deflate level 4, unlimited max size. A split with no
 *     tokens has neither a group nor attributes.
 *   <split>_crc32 is zlib's crc32 of the ids as stored: n * width little-endian bytes.
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

/* Creates PATH.tmp.<pid> and writes /vocab (VOCAB[0..vocab_size), copied; 1 <= vocab_size <=
 * INT32_MAX). TOKENIZER is "byte", "char" or "word". Returns 0 and sets *out (the caller must end
 * it with corpus_writer_commit or corpus_writer_abort), or 74 (cannot create or write the file),
 * 64 (bad arguments) or 70 (out of memory), with a one-line message in err and nothing left on
 * disk. */
int corpus_writer_open(corpus_writer_t **out, const char *path, const char *tokenizer,
                       const char *const *vocab, size_t vocab_size, char *err, size_t errlen);

/* Appends ids[0..n) to SPLIT (CORPUS_TRAIN, CORPUS_VALID or CORPUS_TEST), creating its dataset on
 * the first token. Ids are buffered a chunk at a time and CRC'd as each chunk is written. Returns
 * 0, 74 on a write failure, or 70 for an id >= vocab_size, a bad split (a caller bug) or no memory,
 * with a message in err. After a failure the writer can only be aborted. */
int corpus_writer_append(corpus_writer_t *w, int split, const uint32_t *ids, size_t n, char *err,
                         size_t errlen);

uint64_t corpus_writer_tokens(const corpus_writer_t *w, int split); /* appended so far */
uint32_t corpus_writer_crc32(const corpus_writer_t *w, int split);  /* of those tokens */
int corpus_writer_width(const corpus_writer_t *w);                  /* bytes per id: 1, 2, 4 */
const char *corpus_writer_uuid(const corpus_writer_t *w);
/* The temporary file's name, e.g. for a signal handler that must unlink it. */
const char *corpus_writer_tmp_path(const corpus_writer_t *w);

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

/* io/textfile.h — opening text inputs (plain or gzip, detected by content; "-" = stdin) and
 * reading them line by line. Shared by the tokenizers (io/tokenize.h) and drnn-prep's labelled
 * data. No MPI, no HDF5.
 */
#ifndef DRNN_IO_TEXTFILE_H
#define DRNN_IO_TEXTFILE_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/* Opens PATH for gzread (plain files read through unchanged); "-" reads a duplicate of stdin, so
 * gzclose leaves stdin open. NULL with errno set when it cannot be opened. */
gzFile textfile_open(const char *path);

/* Turns the state of F after a gzread that returned <= 0 into a sysexits code with a one-line
 * message naming PATH in err: 0 at a clean end of file, 66 for a folder, 74 on a read error, 65
 * for damaged or truncated gzip data, 70 when out of memory. */
int textfile_status(gzFile f, const char *path, char *err, size_t errlen);

/* Called with each chunk of PATH's (decompressed) bytes, in order. Return 0 to go on; nonzero
 * stops the reading. */
typedef int (*textfile_chunk_fn)(void *arg, const unsigned char *p, size_t n);

/* Reads PATH (textfile_open) in chunks of up to 256 KiB. Returns 0, or 66 (cannot open), 65, 74
 * or 70 as textfile_status, with a message in err. When FN stops the reading, returns 0 and sets
 * *stop to its value (0 otherwise; STOP may be NULL). */
int textfile_chunks(const char *path, textfile_chunk_fn fn, void *arg, int *stop, char *err,
                    size_t errlen);

/* A point near the middle of PATH where a tokenizer can start afresh: 1 when PATH is a regular,
 * uncompressed file of at least MIN bytes (*size gets its size) with a newline at or after its
 * middle and before its end (*at gets the offset just after that newline); 0 otherwise (then the
 * caller reads the file whole). */
int textfile_midline(const char *path, uint64_t min, uint64_t *size, uint64_t *at);

/* textfile_chunks over bytes [off, off + len) of the uncompressed file PATH (fewer when the file
 * is shorter). Returns 0, 66 (cannot open) or 74 (read error) with a message in err. */
int textfile_range_chunks(const char *path, uint64_t off, uint64_t len, textfile_chunk_fn fn,
                          void *arg, int *stop, char *err, size_t errlen);

/* Called once per line, without its "\n" (a last line without one counts too; an empty line has
 * len 0). LINE holds len bytes plus a NUL after them and may contain NUL bytes; it is valid only
 * during the call. LINENO counts from 1. Return 0 to go on; nonzero stops the reading. */
typedef int (*textfile_line_fn)(void *arg, const char *line, size_t len, uint64_t lineno);

/* Reads PATH line by line; memory grows with the longest line. Returns 0, or 66 (cannot open),
 * 65, 74 or 70 as textfile_status, with a message in err. When FN stops the reading, returns 0
 * and sets *stop to its value (0 otherwise; STOP may be NULL when FN never stops). */
int textfile_lines(const char *path, textfile_line_fn fn, void *arg, int *stop, char *err,
                   size_t errlen);

#endif

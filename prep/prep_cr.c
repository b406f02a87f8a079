/* prep/prep_cr.c — drnn-prep's text on its way from a file to a tokenizer: a CR line ending
 * ("\r" right before "\n", or a "\r" that ends the file) is dropped, unless --keep-cr, and
 * counted either way. The line formats drop it where they cut lines (prep/prep_lines.c).
 *
 * Input without a "\r" reaches the splitter in the very chunks textfile_chunks reads, so LF text
 * gives the ids it always gave; a chunk with CR line endings is fed in the pieces between them.
 */
#include "prep/prep.h"

#include <string.h>

#include "io/textfile.h"

static int cr_feed(prep_cr_t *f, const unsigned char *p, size_t n) {
    return tok_splitter_feed(f->s, p, n, f->emit, f->arg);
}

/* textfile_chunk_fn: the chunk P[0..n) to the splitter, its CR line endings dropped (unless
 * f->keep). A "\r" that ends the chunk waits for the next one (f->pending); in keep mode it is fed
 * with its chunk and only its count waits. */
static int cr_chunk(void *arg, const unsigned char *p, size_t n) {
    prep_cr_t *f = arg;
    size_t from = 0; /* p[from..n) is not fed yet */
    int stop;
    if (n == 0) return 0;
    if (f->pending) {
        f->pending = 0;
        if (p[0] == '\n')
            f->crs++;
        else if (!f->keep && (stop = cr_feed(f, (const unsigned char *)"\r", 1)) != 0)
            return stop;
    }
    for (const unsigned char *cr = p; (cr = memchr(cr, '\r', n - (size_t)(cr - p))) != NULL; cr++) {
        size_t at = (size_t)(cr - p);
        if (at + 1 < n && p[at + 1] != '\n') continue; /* a CR inside a line stays */
        if (at + 1 == n)
            f->pending = 1;
        else
            f->crs++;
        if (f->keep) continue;
        if (at > from && (stop = cr_feed(f, p + from, at - from)) != 0) return stop;
        from = at + 1;
    }
    return n > from ? cr_feed(f, p + from, n - from) : 0;
}

/* After a file (or range) read to its end: a "\r" still pending ended it. */
static int cr_end(prep_cr_t *f, int rc, const int *stop) {
    if (f->pending && rc == 0 && !(stop && *stop)) f->crs++;
    f->pending = 0;
    return rc;
}

int prep_cr_feed_file(prep_cr_t *f, const char *path, int *stop, char *err, size_t errlen) {
    f->pending = 0;
    int rc = textfile_chunks(path, cr_chunk, f, stop, err, errlen);
    return cr_end(f, rc, stop);
}

/* The first half of a file ends just after a "\n" (textfile_midline), so no "\r" pends there;
 * the second ends with the file. */
int prep_cr_feed_range(prep_cr_t *f, const char *path, uint64_t off, uint64_t len, int *stop,
                       char *err, size_t errlen) {
    f->pending = 0;
    int rc = textfile_range_chunks(path, off, len, cr_chunk, f, stop, err, errlen);
    return cr_end(f, rc, stop);
}

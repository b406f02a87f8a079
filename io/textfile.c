/* io/textfile.c — see textfile.h. */
#include "io/textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define READ_CAP (256 * 1024)

gzFile textfile_open(const char *path) {
    if (strcmp(path, "-") != 0) return gzopen(path, "rb");
    int fd = dup(STDIN_FILENO); /* gzclose closes it; stdin itself stays open */
    if (fd < 0) return NULL;
    gzFile f = gzdopen(fd, "rb");
    if (!f) close(fd);
    return f;
}

int textfile_status(gzFile f, const char *path, char *err, size_t errlen) {
    int zerr;
    const char *msg = gzerror(f, &zerr);
    if (zerr == Z_OK) return 0;
    if (zerr == Z_ERRNO) {
        int e = errno;
        return drnn_errf(err, errlen, e == EISDIR ? 66 : 74, "cannot read '%s': %s", path,
                         strerror(e));
    }
    if (zerr == Z_MEM_ERROR)
        return drnn_errf(err, errlen, 70, "out of memory while reading '%s'", path);
    /* Z_BUF_ERROR after the last byte means the gzip stream ended early. */
    return drnn_errf(err, errlen, 65,
                     "'%s' has damaged gzip data (%s); re-create or re-download it", path,
                     zerr == Z_BUF_ERROR ? "truncated" : msg);
}

typedef struct {
    char *buf; /* the line so far, NUL-terminated */
    size_t len, cap;
} line_t;

static int line_append(line_t *l, const unsigned char *p, size_t n) {
    if (l->len + n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 4096;
        while (cap < l->len + n + 1) cap *= 2;
        char *b = realloc(l->buf, cap);
        if (!b) return -1;
        l->buf = b;
        l->cap = cap;
    }
    if (n) memcpy(l->buf + l->len, p, n);
    l->len += n;
    l->buf[l->len] = '\0';
    return 0;
}

int textfile_chunks(const char *path, textfile_chunk_fn fn, void *arg, int *stop, char *err,
                    size_t errlen) {
    int rc = 0, dummy;
    if (!stop) stop = &dummy;
    *stop = 0;
    errno = 0;
    gzFile f = textfile_open(path);
    if (!f)
        return drnn_errf(err, errlen, 66, "cannot open '%s': %s", path,
                         errno ? strerror(errno) : "no memory");
    unsigned char *buf = malloc(READ_CAP);
    /* zlib reads (or inflates) a request of twice its buffer size straight into buf: no copy */
    if (!buf || gzbuffer(f, READ_CAP / 2) != 0) {
        rc = drnn_errf(err, errlen, 70, "out of memory reading '%s'", path);
    } else {
        for (;;) {
            int got = gzread(f, buf, READ_CAP);
            if (got <= 0) {
                rc = textfile_status(f, path, err, errlen);
                break;
            }
            if ((*stop = fn(arg, buf, (size_t)got)) != 0) break;
        }
    }
    free(buf);
    gzclose(f);
    return rc;
}

int textfile_midline(const char *path, uint64_t min, uint64_t *size, uint64_t *at) {
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0) return 0;
    struct stat st;
    unsigned char buf[64 * 1024];
    int found = 0;
    /* gzip (magic 1f 8b) is read through zlib, from its start only */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size >= min && min >= 2 &&
        pread(fd, buf, 2, 0) == 2 && !(buf[0] == 0x1f && buf[1] == 0x8b)) {
        uint64_t pos = (uint64_t)st.st_size / 2;
        for (ssize_t got; (got = pread(fd, buf, sizeof buf, (off_t)pos)) > 0;
             pos += (uint64_t)got) {
            const unsigned char *nl = memchr(buf, '\n', (size_t)got);
            if (!nl) continue;
            *at = pos + (uint64_t)(nl - buf) + 1;
            found = *at < (uint64_t)st.st_size;
            break;
        }
        *size = (uint64_t)st.st_size;
    }
    close(fd);
    return found;
}

int textfile_range_chunks(const char *path, uint64_t off, uint64_t len, textfile_chunk_fn fn,
                          void *arg, int *stop, char *err, size_t errlen) {
    int rc = 0, dummy;
    if (!stop) stop = &dummy;
    *stop = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return drnn_errf(err, errlen, 66, "cannot open '%s': %s", path, strerror(errno));
    unsigned char *buf = malloc(READ_CAP);
    if (!buf) rc = drnn_errf(err, errlen, 70, "out of memory reading '%s'", path);
    while (rc == 0 && len > 0) {
        ssize_t got = pread(fd, buf, len < READ_CAP ? (size_t)len : READ_CAP, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) rc = drnn_errf(err, errlen, 74, "cannot read '%s': %s", path, strerror(errno));
        if (got <= 0) break;
        off += (uint64_t)got, len -= (uint64_t)got;
        if ((*stop = fn(arg, buf, (size_t)got)) != 0) break;
    }
    free(buf);
    close(fd);
    return rc;
}

/* Lines from chunks: the line so far, and the caller's per-line function. */
typedef struct {
    line_t l;
    uint64_t lineno;
    textfile_line_fn fn;
    void *arg;
    int oom; /* a line could not grow: the reading stopped */
} lines_t;

/* Emits the complete lines of p[0..n), keeping a partial last line. */
static int split_lines(void *arg, const unsigned char *p, size_t n) {
    lines_t *ls = arg;
    while (n > 0) {
        const unsigned char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        if (line_append(&ls->l, p, take) != 0) return ls->oom = 1;
        if (!nl) return 0;
        int stop = ls->fn(ls->arg, ls->l.buf, ls->l.len, ++ls->lineno);
        if (stop) return stop;
        ls->l.len = 0;
        p += take + 1;
        n -= take + 1;
    }
    return 0;
}

int textfile_lines(const char *path, textfile_line_fn fn, void *arg, int *stop, char *err,
                   size_t errlen) {
    int dummy;
    if (!stop) stop = &dummy;
    lines_t ls = {{NULL, 0, 0}, 0, fn, arg, 0};
    if (line_append(&ls.l, NULL, 0) != 0)
        return drnn_errf(err, errlen, 70, "out of memory reading '%s'", path);
    int rc = textfile_chunks(path, split_lines, &ls, stop, err, errlen);
    if (rc == 0 && ls.oom) {
        *stop = 0;
        rc = drnn_errf(err, errlen, 70, "out of memory reading a line of '%s'", path);
    } else if (rc == 0 && !*stop && ls.l.len > 0) {
        *stop = fn(arg, ls.l.buf, ls.l.len, ls.lineno + 1); /* no final "\n" */
    }
    free(ls.l.buf);
    return rc;
}

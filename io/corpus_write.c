/* io/corpus_write.c — see corpus_write.h for the file layout. */
#include "io/corpus_write.h"

#include "io/corpus.h"
#include "model/util.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* Measured on 83 MB of KJV text: level 1 is 3-14% larger, level 6 is 1-5% smaller but takes twice
 * as long, level 9 three to eight times as long. */
#define DEFLATE_LEVEL 4

static const char *const split_names[CORPUS_NSPLITS] = {"train", "valid", "test"};

typedef struct {
    hid_t group, dset;  /* -1 until the split's first token */
    uint64_t n;         /* tokens in the dataset */
    uint32_t crc;       /* of those tokens as stored */
    size_t fill;        /* ids packed in buf, not yet in the dataset */
    unsigned char *buf; /* one chunk: CORPUS_WRITE_CHUNK * width bytes */
} split_out_t;

struct corpus_writer {
    hid_t file;
    hid_t id_type; /* predefined H5T_STD_U{8,16,32}LE: never closed */
    int width;
    uint32_t vocab_size;
    char tokenizer[8];
    char uuid[33];
    char *path, *tmp;
    split_out_t split[CORPUS_NSPLITS];
};

/* ---- errors --------------------------------------------------------------------------------- */

/* Keeps the innermost description; a failed write's holds the errno text, quoted, among lines of
 * addresses and times that do not belong in a one-line message. */
static herr_t last_h5_error(unsigned n, const H5E_error2_t *e, void *arg) {
    static const char key[] = "error message = '";
    char *out = arg;
    (void)n;
    if (!e->desc || !e->desc[0]) return 0;
    const char *m = strstr(e->desc, key);
    if (m) {
        m += sizeof key - 1;
        snprintf(out, 256, "%.*s", (int)strcspn(m, "'"), m);
    } else {
        snprintf(out, 256, "%s", e->desc);
    }
    for (char *p = out; *p; p++) {
        if (*p == '\n') *p = ' ';
    }
    return 0;
}

/* Formats a write failure with HDF5's innermost reason (often the errno text) and returns 74. */
static int h5_fail(const corpus_writer_t *w, const char *what, char *err, size_t errlen) {
    char why[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, last_h5_error, why);
    H5Eclear2(H5E_DEFAULT);
    return drnn_errf(err, errlen, 74,
                     "cannot write '%s' (%s%s%s); check free space and permissions", w->tmp, what,
                     why[0] ? ": " : "", why);
}

static int sys_fail(const char *what, const char *path, char *err, size_t errlen) {
    return drnn_errf(err, errlen, 74, "cannot %s '%s': %s", what, path, strerror(errno));
}

/* ---- small helpers -------------------------------------------------------------------------- */

static void make_uuid(char out[33]) {
    unsigned char b[16];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(b, 1, sizeof b, f) : 0;
    if (f) fclose(f);
    if (got != sizeof b) { /* no /dev/urandom (chroot): time, pid and address mixed (splitmix64) */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^
                     (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)out;
        for (int i = 0; i < 16; i++) {
            uint64_t z = (x += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            b[i] = (unsigned char)(z ^ (z >> 31));
        }
    }
    for (int i = 0; i < 16; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static herr_t attr_write(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *val) {
    herr_t rc = -1;
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = space < 0 ? -1 : H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) rc = H5Awrite(a, mtype, val);
    if (a >= 0 && H5Aclose(a) < 0) rc = -1;
    if (space >= 0) H5Sclose(space);
    return rc;
}

static herr_t attr_string(hid_t loc, const char *name, const char *val) {
    herr_t rc = -1;
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && H5Tset_size(t, strlen(val) + 1) >= 0 && H5Tset_strpad(t, H5T_STR_NULLTERM) >= 0 &&
        H5Tset_cset(t, H5T_CSET_ASCII) >= 0)
        rc = attr_write(loc, name, t, t, val);
    if (t >= 0) H5Tclose(t);
    return rc;
}

/* fsync of a file or folder by name: HDF5 itself never fsyncs. Folders that refuse (EINVAL on
 * some file systems) are not an error. */
static int fsync_path(const char *path, int is_dir) {
    int fd = open(path, O_RDONLY | (is_dir ? O_DIRECTORY : 0));
    if (fd < 0) return -1;
    int rc = fsync(fd);
    if (rc != 0 && is_dir && errno == EINVAL) rc = 0;
    close(fd);
    return rc;
}

/* Packs ids into little-endian WIDTH-byte slots. Returns n, or the index of the first id >=
 * LIMIT. Byte-wise stores keep the file little-endian on any host. */
static size_t pack_ids(unsigned char *dst, const uint32_t *ids, size_t n, int width,
                       uint32_t limit) {
    for (size_t i = 0; i < n; i++) {
        uint32_t id = ids[i];
        if (id >= limit) return i;
        dst[0] = (unsigned char)id;
        if (width > 1) dst[1] = (unsigned char)(id >> 8);
        if (width > 2) {
            dst[2] = (unsigned char)(id >> 16);
            dst[3] = (unsigned char)(id >> 24);
        }
        dst += width;
    }
    return n;
}

/* ---- vocab and token datasets ---------------------------------------------------------------- */

static int write_vocab(corpus_writer_t *w, const char *const *vocab, size_t n, char *err,
                       size_t errlen) {
    int rc = 0;
    hsize_t dims = n;
    hid_t t = H5Tcopy(H5T_C_S1), space = -1, d = -1;
    H5T_cset_t cset = strcmp(w->tokenizer, "byte") == 0 ? H5T_CSET_ASCII : H5T_CSET_UTF8;
    if (t < 0 || H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, cset) < 0 ||
        (space = H5Screate_simple(1, &dims, NULL)) < 0 ||
        (d = H5Dcreate2(w->file, "vocab", t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, vocab) < 0)
        rc = h5_fail(w, "writing /vocab", err, errlen);
    if (d >= 0 && H5Dclose(d) < 0 && rc == 0) rc = h5_fail(w, "writing /vocab", err, errlen);
    if (space >= 0) H5Sclose(space);
    if (t >= 0) H5Tclose(t);
    return rc;
}

static int split_create(corpus_writer_t *w, int k, char *err, size_t errlen) {
    int rc = 0;
    split_out_t *s = &w->split[k];
    hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = CORPUS_WRITE_CHUNK;
    hid_t space = -1, dcpl = -1;
    s->buf = malloc((size_t)CORPUS_WRITE_CHUNK * (size_t)w->width);
    if (!s->buf) {
        return drnn_errf(err, errlen, 70, "out of memory writing '%s'", w->tmp);
    }
    s->group = H5Gcreate2(w->file, split_names[k], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    space = H5Screate_simple(1, &dims, &maxdims); /* empty, extended at every flush */
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    /* Shuffle before deflate: the high bytes of 16/32-bit ids are mostly 0 and compress well. */
    if (s->group < 0 || space < 0 || dcpl < 0 || H5Pset_chunk(dcpl, 1, &chunk) < 0 ||
        H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, DEFLATE_LEVEL) < 0 ||
        (s->dset =
             H5Dcreate2(s->group, "tokens", w->id_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
        rc = h5_fail(w, "creating a token dataset", err, errlen);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return rc;
}

/* Writes the packed ids of split K at the end of its dataset; they are CRC'd here, exactly the
 * bytes HDF5 stores (memory type = file type, so no conversion). */
static int split_flush(corpus_writer_t *w, int k, char *err, size_t errlen) {
    split_out_t *s = &w->split[k];
    if (s->fill == 0) return 0;
    int rc = 0;
    hsize_t start = s->n, count = s->fill, size = s->n + s->fill;
    hid_t fspace = -1, mspace = -1;
    s->crc = (uint32_t)crc32(s->crc, s->buf, (uInt)(s->fill * (size_t)w->width));
    if (H5Dset_extent(s->dset, &size) < 0 || (fspace = H5Dget_space(s->dset)) < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
        (mspace = H5Screate_simple(1, &count, NULL)) < 0 ||
        H5Dwrite(s->dset, w->id_type, mspace, fspace, H5P_DEFAULT, s->buf) < 0)
        rc = h5_fail(w, "writing token ids", err, errlen);
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    s->n += s->fill;
    s->fill = 0;
    return rc;
}

/* Closes split K's objects; returns -1 when HDF5 reports a failure (e.g. flushing a chunk). */
static int split_close(split_out_t *s) {
    int rc = 0;
    if (s->dset >= 0 && H5Dclose(s->dset) < 0) rc = -1;
    if (s->group >= 0 && H5Gclose(s->group) < 0) rc = -1;
    s->dset = s->group = -1;
    free(s->buf);
    s->buf = NULL;
    return rc;
}

/* ---- public --------------------------------------------------------------------------------- */

static int writer_init(corpus_writer_t *w, const char *path, const char *tokenizer, size_t vsize) {
    w->file = -1;
    for (int k = 0; k < CORPUS_NSPLITS; k++) w->split[k].group = w->split[k].dset = -1;
    w->vocab_size = (uint32_t)vsize;
    w->width = vsize <= 256 ? 1 : vsize <= 65536 ? 2 : 4;
    w->id_type = w->width == 1 ? H5T_STD_U8LE : w->width == 2 ? H5T_STD_U16LE : H5T_STD_U32LE;
    snprintf(w->tokenizer, sizeof w->tokenizer, "%s", tokenizer);
    make_uuid(w->uuid);
    size_t len = strlen(path) + 32;
    w->path = strdup(path);
    w->tmp = malloc(len);
    if (!w->path || !w->tmp) return -1;
    snprintf(w->tmp, len, "%s.tmp.%ld", path, (long)getpid());
    return 0;
}

static int writer_create_file(corpus_writer_t *w, char *err, size_t errlen) {
    /* A plain open first: its errno names the problem (no folder, no permission) clearly. */
    int fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0)
        return drnn_errf(err, errlen, 74, "cannot create '%s': %s; choose a writable output folder",
                         w->tmp, strerror(errno));
    close(fd);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* The latest format checksums its metadata, so damaged attributes fail loudly. */
    if (fapl >= 0 && H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) >= 0)
        w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    return w->file < 0 ? h5_fail(w, "creating it", err, errlen) : 0;
}

int corpus_writer_open(corpus_writer_t **out, const char *path, const char *tokenizer,
                       const char *const *vocab, size_t vocab_size, char *err, size_t errlen) {
    int rc = 64;
    *out = NULL;
    if (strcmp(tokenizer, "byte") && strcmp(tokenizer, "char") && strcmp(tokenizer, "word")) {
        return drnn_errf(err, errlen, 64, "unknown tokenizer '%s' (byte, char or word)", tokenizer);
    }
    if (vocab_size < 1 || vocab_size > INT32_MAX) {
        return drnn_errf(err, errlen, 64, "vocabulary size %zu is out of range", vocab_size);
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported by us, in one line */
    corpus_writer_t *w = calloc(1, sizeof *w);
    if (!w || writer_init(w, path, tokenizer, vocab_size) != 0) {
        rc = drnn_errf(err, errlen, 70, "out of memory opening '%s'", path);
        goto fail;
    }
    if ((rc = writer_create_file(w, err, errlen)) != 0) goto fail;
    if ((rc = write_vocab(w, vocab, vocab_size, err, errlen)) != 0) goto fail;
    *out = w;
    return 0;
fail:
    corpus_writer_abort(w);
    return rc;
}

int corpus_writer_append(corpus_writer_t *w, int split, const uint32_t *ids, size_t n, char *err,
                         size_t errlen) {
    if (split < 0 || split >= CORPUS_NSPLITS) {
        return drnn_errf(err, errlen, 70, "internal error: split %d does not exist", split);
    }
    split_out_t *s = &w->split[split];
    int rc = 0;
    if (n > 0 && s->dset < 0 && (rc = split_create(w, split, err, errlen)) != 0) return rc;
    while (n > 0) {
        size_t take = CORPUS_WRITE_CHUNK - s->fill;
        if (take > n) take = n;
        size_t ok =
            pack_ids(s->buf + s->fill * (size_t)w->width, ids, take, w->width, w->vocab_size);
        if (ok < take) {
            return drnn_errf(err, errlen, 70, "internal error: token id %u >= vocabulary size %u",
                             ids[ok], w->vocab_size);
        }
        s->fill += take;
        ids += take;
        n -= take;
        if (s->fill == CORPUS_WRITE_CHUNK && (rc = split_flush(w, split, err, errlen)) != 0)
            return rc;
    }
    return 0;
}

uint64_t corpus_writer_tokens(const corpus_writer_t *w, int split) {
    return w->split[split].n + w->split[split].fill;
}

uint32_t corpus_writer_crc32(const corpus_writer_t *w, int split) {
    const split_out_t *s = &w->split[split];
    return (uint32_t)crc32(s->crc, s->buf, (uInt)(s->fill * (size_t)w->width));
}

int corpus_writer_width(const corpus_writer_t *w) {
    return w->width;
}
const char *corpus_writer_uuid(const corpus_writer_t *w) {
    return w->uuid;
}
const char *corpus_writer_tmp_path(const corpus_writer_t *w) {
    return w->tmp;
}

static int write_attributes(corpus_writer_t *w) {
    int version = CORPUS_VERSION, vsize = (int)w->vocab_size;
    hid_t root = H5Gopen2(w->file, "/", H5P_DEFAULT);
    int bad = root < 0 || attr_string(root, "format", CORPUS_FORMAT) < 0 ||
              attr_write(root, "version", H5T_STD_I32LE, H5T_NATIVE_INT, &version) < 0 ||
              attr_string(root, "tokenizer", w->tokenizer) < 0 ||
              attr_write(root, "vocab_size", H5T_STD_I32LE, H5T_NATIVE_INT, &vsize) < 0 ||
              attr_string(root, "uuid", w->uuid) < 0;
    for (int k = 0; k < CORPUS_NSPLITS && !bad; k++) {
        const split_out_t *s = &w->split[k];
        char name[32];
        if (s->n == 0) continue;
        snprintf(name, sizeof name, "%s_tokens", split_names[k]);
        bad = attr_write(root, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &s->n) < 0;
        snprintf(name, sizeof name, "%s_crc32", split_names[k]);
        bad = bad || attr_write(root, name, H5T_STD_U32LE, H5T_NATIVE_UINT32, &s->crc) < 0;
    }
    if (root >= 0 && H5Gclose(root) < 0) bad = 1;
    return bad ? -1 : 0;
}

static int rename_into_place(corpus_writer_t *w, char *err, size_t errlen) {
    if (fsync_path(w->tmp, 0) != 0) return sys_fail("fsync", w->tmp, err, errlen);
    if (rename(w->tmp, w->path) != 0) return sys_fail("rename to", w->path, err, errlen);
    /* The rename is durable once the folder is synced. The file is complete either way, so a
     * folder that cannot be synced is not reported as a failed write. */
    char *dir = strdup(w->path);
    if (dir) fsync_path(dirname(dir), 1);
    free(dir);
    return 0;
}

int corpus_writer_commit(corpus_writer_t *w, char *err, size_t errlen) {
    int rc = 0;
    for (int k = 0; k < CORPUS_NSPLITS && rc == 0; k++) rc = split_flush(w, k, err, errlen);
    if (rc == 0 && write_attributes(w) != 0) rc = h5_fail(w, "writing attributes", err, errlen);
    for (int k = 0; k < CORPUS_NSPLITS; k++) {
        if (split_close(&w->split[k]) != 0 && rc == 0) rc = h5_fail(w, "closing", err, errlen);
    }
    if (w->file >= 0 && H5Fclose(w->file) < 0 && rc == 0) rc = h5_fail(w, "closing", err, errlen);
    w->file = -1;
    if (rc == 0) rc = rename_into_place(w, err, errlen);
    if (rc != 0) {
        corpus_writer_abort(w); /* removes the temporary file (a no-op once renamed) */
        return rc;
    }
    free(w->path);
    free(w->tmp);
    free(w);
    return 0;
}

void corpus_writer_abort(corpus_writer_t *w) {
    if (!w) return;
    for (int k = 0; k < CORPUS_NSPLITS; k++) split_close(&w->split[k]);
    if (w->file >= 0) H5Fclose(w->file);
    H5Eclear2(H5E_DEFAULT);
    if (w->tmp) unlink(w->tmp);
    free(w->path);
    free(w->tmp);
    free(w);
}

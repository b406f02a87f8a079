/* io/corpus_write.c — see corpus_write.h for the file layout. */
#include "io/corpus_write.h"

#include "io/chunk_pack.h"
#include "io/corpus.h"
#include "io/corpus_write_data.h"
#include "io/fsutil.h"
#include "io/h5util.h"
#include "io/tokenize.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* How chunks are deflated (io/chunk_pack.h): zlib, in worker threads. On 500 MB of KJV text (char
 * ids), 2 cores, 2026-12-02: 37 MB/s with zlib level 4 in libhdf5's pipeline (file 0.33 of the
 * text); in one worker thread, 70-88 MB/s at level 1 (0.38) and 108 MB/s with Huffman codes only
 * (Z_HUFFMAN_ONLY, 0.55); 170 MB/s with a worker per CPU, 218 with a worker per other CPU and
 * the tokenizing thread deflating too (plus counting on two threads and early write-back). zlib
 * 1.2.13 codes about 160 MB/s per core this way (Z_RLE 150), about 3 of drnn-prep's 4 CPU
 * seconds.
 * Readers take any level or strategy. */
#define DEFLATE_LEVEL    1
#define DEFLATE_STRATEGY Z_HUFFMAN_ONLY
/* Write-back of the output is started after every WRITEBACK_BYTES of chunks. */
#define WRITEBACK_BYTES (16u << 20)

const char *const cw_data_names[NDATA] = {"text", "labels", "pairs", "tags"};
static const char *const table_names[NTABLES] = {"vocab", "labels", "tgt_vocab"};
/* Dataset names of each kind of data; NULL: the column is not used. */
static const char *const col_names[NDATA][NCOLS] = {
    {"tokens"},
    {"tokens", "offsets", "labels"},
    {"src_tokens", "src_offsets", NULL, "tgt_tokens", "tgt_offsets"},
    {"tokens", "offsets", NULL, NULL, NULL, "tags"},
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

/* Packs ids into little-endian WIDTH-byte slots. Returns n, or the index of the first id >=
 * LIMIT. Byte-wise stores keep the file little-endian on any host; one loop per width, and the
 * range check as a maximum, so the compiler vectorizes them. */
static size_t pack_ids(unsigned char *dst, const uint32_t *ids, size_t n, int width,
                       uint32_t limit) {
    uint32_t most = 0;
    for (size_t i = 0; i < n; i++) most = ids[i] > most ? ids[i] : most;
    if (most >= limit) {
        size_t bad = 0;
        while (ids[bad] < limit) bad++;
        return bad;
    }
    if (width == 1) {
        for (size_t i = 0; i < n; i++) dst[i] = (unsigned char)ids[i];
    } else if (width == 2) {
        for (size_t i = 0; i < n; i++) {
            dst[2 * i] = (unsigned char)ids[i];
            dst[2 * i + 1] = (unsigned char)(ids[i] >> 8);
        }
    } else {
        for (size_t i = 0; i < n; i++)
            for (int b = 0; b < 4; b++) dst[4 * i + (size_t)b] = (unsigned char)(ids[i] >> (8 * b));
    }
    return n;
}

/* Packs V into WIDTH little-endian bytes at DST. */
void cw_pack_u64(unsigned char *dst, uint64_t v, int width) {
    for (int b = 0; b < width; b++) dst[b] = (unsigned char)(v >> (8 * b));
}

/* ---- string tables and split datasets ------------------------------------------------------- */

/* Table T: its entries, each followed by a NUL, as one 1-D uint8 dataset (no variable-length
 * strings: libhdf5 keeps those in its global heap, which has no checksum); their crc32 is kept
 * for the <name>_crc32 attribute. */
int cw_write_strings(corpus_writer_t *w, int t, const char *const *strings, size_t n, char *err,
                     size_t errlen) {
    const char *name = table_names[t];
    int rc = 0;
    char what[64];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) len += strlen(strings[i]) + 1;
    unsigned char *bytes = malloc(len), *p = bytes;
    if (!bytes) return drnn_errf(err, errlen, 70, "out of memory writing '%s'", w->tmp);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(strings[i]) + 1;
        memcpy(p, strings[i], l);
        p += l;
    }
    w->table_crc[t] = (uint32_t)crc32_z(0, bytes, len);
    hsize_t dims = len;
    hid_t space = H5Screate_simple(1, &dims, NULL), d = -1;
    snprintf(what, sizeof what, "writing /%s", name);
    if (space < 0 ||
        (d = H5Dcreate2(w->file, name, H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT)) < 0 ||
        H5Dwrite(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes) < 0)
        rc = h5_fail(w, what, err, errlen);
    if (d >= 0 && H5Dclose(d) < 0 && rc == 0) rc = h5_fail(w, what, err, errlen);
    if (space >= 0) H5Sclose(space);
    free(bytes);
    if (rc == 0) w->tables |= 1u << t;
    return rc;
}

/* An empty, extendible, chunked dataset NAME in GROUP for column C. */
static int column_create(corpus_writer_t *w, hid_t group, const char *name, column_t *c, char *err,
                         size_t errlen) {
    int rc = 0;
    hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = CORPUS_WRITE_CHUNK;
    c->buf = malloc((size_t)CORPUS_WRITE_CHUNK * (size_t)c->width);
    if (!c->buf) return drnn_errf(err, errlen, 70, "out of memory writing '%s'", w->tmp);
    hid_t space = H5Screate_simple(1, &dims, &maxdims); /* extended at every flush */
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    /* Shuffle before deflate: the high bytes of 16/32/64-bit values are mostly 0. Fletcher32
     * last, so libhdf5 checks each stored chunk before it inflates it. */
    if (space < 0 || dcpl < 0 || H5Pset_chunk(dcpl, 1, &chunk) < 0 || H5Pset_shuffle(dcpl) < 0 ||
        H5Pset_deflate(dcpl, DEFLATE_LEVEL) < 0 || /* what libhdf5 would use */
        H5Pset_fletcher32(dcpl) < 0 ||
        (c->dset = H5Dcreate2(group, name, c->type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
        rc = h5_fail(w, "creating a dataset", err, errlen);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return rc;
}

/* Creates split K's group and the datasets its kind of data has. */
int cw_split_create(corpus_writer_t *w, int k, char *err, size_t errlen) {
    split_out_t *s = &w->split[k];
    int rc = 0;
    s->group = H5Gcreate2(w->file, corpus_split_names[k], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (s->group < 0) return h5_fail(w, "creating a split group", err, errlen);
    for (int c = 0; c < NCOLS && rc == 0; c++)
        if (col_names[w->data][c])
            rc = column_create(w, s->group, col_names[w->data][c], &s->col[c], err, errlen);
    return rc;
}

/* chunk_sink_fn: stores encoded chunk INDEX of column TAG (N elements) as it is, after growing
 * the dataset over it; every chunk of a column arrives in order. */
static int write_chunk(void *arg, const void *tag, uint64_t index, size_t n, const unsigned char *p,
                       size_t len) {
    corpus_writer_t *w = arg;
    const column_t *c = tag;
    hsize_t start = index * CORPUS_WRITE_CHUNK, size = start + n;
    if (H5Dset_extent(c->dset, &size) < 0 ||
        H5Dwrite_chunk(c->dset, H5P_DEFAULT, 0, &start, len, p) < 0)
        return -1;
    /* The disk writes while the text is still being read, not all of it in the final fsync
     * (that fsync took 0.19 s of 2.8 on 500 MB of char text). */
    w->unsynced += len;
    void *fd = NULL;
    if (w->unsynced >= WRITEBACK_BYTES && H5Fget_vfd_handle(w->file, H5P_DEFAULT, &fd) >= 0) {
        fs_writeback_start(*(int *)fd);
        w->unsynced = 0;
    }
    return 0;
}

/* Turns a pool's failure (-1: zlib had no memory, or a chunk write failed) into a message. */
static int pool_fail(corpus_writer_t *w, int rc, char *err, size_t errlen) {
    return rc ? h5_fail(w, "writing a split", err, errlen) : 0;
}

/* Hands the packed elements of column C, one chunk, to the pool that encodes and writes them
 * at the end of its dataset; they are CRC'd here, exactly the bytes HDF5 stores (file type =
 * memory type). */
int cw_column_flush(corpus_writer_t *w, column_t *c, char *err, size_t errlen) {
    if (c->fill == 0) return 0;
    if (!w->pool)
        w->pool = chunk_pool_new(CORPUS_WRITE_CHUNK, DEFLATE_LEVEL, DEFLATE_STRATEGY, w->threads,
                                 2 * w->threads + 2, write_chunk, w);
    if (!w->pool) return drnn_errf(err, errlen, 70, "out of memory writing '%s'", w->tmp);
    c->crc = (uint32_t)crc32(c->crc, c->buf, (uInt)(c->fill * (size_t)c->width));
    int rc = chunk_pool_submit(w->pool, c, c->n / CORPUS_WRITE_CHUNK, c->buf, c->fill, c->width);
    c->n += c->fill;
    c->fill = 0;
    return pool_fail(w, rc, err, errlen);
}

/* Appends one value to column C (offsets, labels). */
int cw_column_push(corpus_writer_t *w, column_t *c, uint64_t v, char *err, size_t errlen) {
    cw_pack_u64(c->buf + c->fill * (size_t)c->width, v, c->width);
    return ++c->fill == CORPUS_WRITE_CHUNK ? cw_column_flush(w, c, err, errlen) : 0;
}

/* Appends ids[0..n) to the id column COL (COL_TOKENS, COL_TGT_TOKENS, COL_TAGS) of split K. */
int cw_tokens_append(corpus_writer_t *w, int k, int col, const uint32_t *ids, size_t n, char *err,
                     size_t errlen) {
    column_t *c = &w->split[k].col[col];
    uint32_t limit = col == COL_TOKENS       ? w->vocab_size
                     : col == COL_TGT_TOKENS ? w->tgt_vocab_size
                                             : w->num_labels;
    while (n > 0) {
        size_t take = CORPUS_WRITE_CHUNK - c->fill;
        if (take > n) take = n;
        size_t ok = pack_ids(c->buf + c->fill * (size_t)c->width, ids, take, c->width, limit);
        if (ok < take && col == COL_TAGS)
            return drnn_errf(err, errlen, 70, "internal error: tag id %u >= number of tags %u",
                             ids[ok], limit);
        if (ok < take)
            return drnn_errf(err, errlen, 70, "internal error: token id %u >= vocabulary size %u",
                             ids[ok], limit);
        c->fill += take;
        ids += take;
        n -= take;
        int rc = c->fill == CORPUS_WRITE_CHUNK ? cw_column_flush(w, c, err, errlen) : 0;
        if (rc) return rc;
    }
    return 0;
}

/* Closes split K's objects; returns -1 when HDF5 reports a failure (e.g. flushing a chunk). */
static int split_close(split_out_t *s) {
    int rc = 0;
    for (int k = 0; k < NCOLS; k++) {
        column_t *c = &s->col[k];
        if (c->dset >= 0 && H5Dclose(c->dset) < 0) rc = -1;
        c->dset = -1;
        free(c->buf);
        c->buf = NULL;
    }
    if (s->group >= 0 && H5Gclose(s->group) < 0) rc = -1;
    s->group = -1;
    return rc;
}

/* CRC of column C's elements so far, the ones still in its buffer included. */
uint32_t cw_column_crc(const column_t *c) {
    if (c->fill == 0) return c->crc; /* crc32(crc, NULL, 0) would give 0, not crc */
    return (uint32_t)crc32(c->crc, c->buf, (uInt)(c->fill * (size_t)c->width));
}

/* ---- public --------------------------------------------------------------------------------- */

/* The smallest width that holds the ids of a vocabulary of VSIZE entries. */
int cw_id_width(size_t vsize) {
    return vsize <= 256 ? 1 : vsize <= 65536 ? 2 : 4;
}

void cw_column_set_width(column_t *col, int width) {
    col->width = width;
    col->type = width == 1   ? H5T_STD_U8LE
                : width == 2 ? H5T_STD_U16LE
                : width == 4 ? H5T_STD_U32LE
                             : H5T_STD_U64LE;
}

static int writer_init(corpus_writer_t *w, const char *path, const char *tokenizer, size_t vsize) {
    /* token columns: from the vocabulary; tags: from their number (corpus_writer_set_tags) */
    static const int widths[NCOLS] = {0, 8, 4, 0, 8, 4};
    w->file = -1;
    w->vocab_size = (uint32_t)vsize;
    w->width = cw_id_width(vsize);
    for (int k = 0; k < CORPUS_NSPLITS; k++) {
        w->split[k].group = -1;
        for (int c = 0; c < NCOLS; c++) {
            w->split[k].col[c].dset = -1;
            cw_column_set_width(&w->split[k].col[c], widths[c] ? widths[c] : w->width);
        }
    }
    snprintf(w->tokenizer, sizeof w->tokenizer, "%s", tokenizer);
    make_uuid(w->uuid);
    size_t len = strlen(path) + 32;
    w->path = strdup(path);
    w->tmp = calloc(1, len);
    if (!w->path || !w->tmp) return -1;
    return fs_tmp_begin(w->tmp, len, path);
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
    tok_kind_t kind;
    if (tok_kind_parse(tokenizer, &kind) != 0)
        return drnn_errf(err, errlen, 64, "unknown tokenizer '%s' (byte, char, word or spm)",
                         tokenizer);
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
    rc = cw_write_strings(w, TABLE_VOCAB, vocab, vocab_size, err, errlen);
    if (rc) goto fail;
    *out = w;
    return 0;
fail:
    corpus_writer_abort(w);
    return rc;
}

const char *corpus_writer_tmp_path(const corpus_writer_t *w) {
    return w->tmp;
}

static int write_u64(hid_t root, int k, const char *what, uint64_t v) {
    char name[32];
    snprintf(name, sizeof name, "%s_%s", corpus_split_names[k], what);
    return attr_write(root, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v) < 0 ? -1 : 0;
}

static int attr_i32(hid_t loc, const char *name, int v) {
    return attr_write(loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v);
}

static int write_attributes(corpus_writer_t *w) {
    hid_t root = H5Gopen2(w->file, "/", H5P_DEFAULT);
    int bad = root < 0 || attr_string(root, "format", CORPUS_FORMAT) < 0 ||
              attr_i32(root, "version", CORPUS_VERSION) < 0 ||
              attr_string(root, "data", cw_data_names[w->data]) < 0 ||
              attr_string(root, "tokenizer", w->tokenizer) < 0 ||
              attr_i32(root, "vocab_size", (int)w->vocab_size) < 0 ||
              attr_string(root, "uuid", w->uuid) < 0;
    for (int t = 0; t < NTABLES && !bad; t++) {
        char name[32];
        snprintf(name, sizeof name, "%s_crc32", table_names[t]);
        if (w->tables >> t & 1)
            bad = attr_write(root, name, H5T_STD_U32LE, H5T_NATIVE_UINT32, &w->table_crc[t]) < 0;
    }
    if (!bad && (w->data == DATA_LABELS || w->data == DATA_TAGS))
        bad = attr_i32(root, "num_labels", (int)w->num_labels) < 0;
    if (!bad && w->data == DATA_PAIRS)
        bad = attr_i32(root, "tgt_vocab_size", (int)w->tgt_vocab_size) < 0 ||
              attr_i32(root, "shared_vocab", w->shared_vocab) < 0;
    for (int k = 0; k < CORPUS_NSPLITS && !bad; k++) {
        uint32_t crc = corpus_writer_crc32(w, k);
        char name[32];
        if (w->split[k].group < 0) continue;
        bad = write_u64(root, k, "tokens", corpus_writer_tokens(w, k)) < 0;
        if (!bad && w->data == DATA_TEXT && w->split[k].chars)
            bad = write_u64(root, k, "chars", w->split[k].chars) < 0;
        if (!bad && w->data != DATA_TEXT)
            bad = write_u64(root, k, "examples", corpus_writer_examples(w, k));
        if (!bad && w->data == DATA_PAIRS)
            bad = write_u64(root, k, "tgt_tokens", corpus_writer_tgt_tokens(w, k));
        snprintf(name, sizeof name, "%s_crc32", corpus_split_names[k]);
        bad = bad || attr_write(root, name, H5T_STD_U32LE, H5T_NATIVE_UINT32, &crc) < 0;
    }
    if (root >= 0 && H5Gclose(root) < 0) bad = 1;
    return bad ? -1 : 0;
}

static int rename_into_place(corpus_writer_t *w, char *err, size_t errlen) {
    /* The rename is durable once the folder is synced. The file is complete either way, so a
     * folder that cannot be synced (-2) is not reported as a failed write. */
    if (fs_tmp_commit(w->tmp, w->path) == -1) return sys_fail("put in place", w->path, err, errlen);
    return 0;
}

void corpus_writer_set_threads(corpus_writer_t *w, int threads) {
    w->threads = threads > 0 ? threads : 0;
}

int corpus_writer_commit(corpus_writer_t *w, char *err, size_t errlen) {
    int rc = 0;
    for (int k = 0; k < CORPUS_NSPLITS; k++)
        for (int c = 0; c < NCOLS && rc == 0; c++)
            if (w->split[k].col[c].dset >= 0)
                rc = cw_column_flush(w, &w->split[k].col[c], err, errlen);
    if (rc == 0 && w->pool) rc = pool_fail(w, chunk_pool_drain(w->pool), err, errlen);
    chunk_pool_free(w->pool);
    w->pool = NULL;
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
    chunk_pool_free(w->pool);
    for (int k = 0; k < CORPUS_NSPLITS; k++) split_close(&w->split[k]);
    if (w->file >= 0) H5Fclose(w->file);
    H5Eclear2(H5E_DEFAULT);
    if (w->tmp) fs_tmp_discard(NULL, w->tmp); /* removes and unregisters the temporary */
    free(w->path);
    free(w->tmp);
    free(w);
}

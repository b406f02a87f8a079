/* io/chunk_pack.h against libhdf5 itself:
 *   - chunk_fletcher32 equals the checksum libhdf5's Fletcher32 filter stores (read back with
 *     H5Dread_chunk) on chunks of random, compressible and all-0xff data (sums that fold to
 *     0xffff), widths 1-8, odd and even compressed lengths;
 *   - chunks encoded by a pool (no workers, and 3 workers with a small ring) and stored with
 *     H5Dwrite_chunk read back through libhdf5's own pipeline as the exact elements, a partial
 *     last chunk included, for widths 1, 2, 4 and 8, with zlib's default and Huffman-only
 *     strategies; a damaged stored chunk fails to read.
 */
#include <hdf5.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "io/chunk_pack.h"
#include "tests/testutil.h"

#define CHUNK 4096

static uint64_t rng_state = 88172645463325252ull;
static uint64_t next_u64(void) {
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return rng_state;
}

static hid_t file_type(int width) {
    return width == 1   ? H5T_STD_U8LE
           : width == 2 ? H5T_STD_U16LE
           : width == 4 ? H5T_STD_U32LE
                        : H5T_STD_U64LE;
}

/* A 1-D dataset NAME of N elements, chunked by CHUNK; DEFLATE 0 leaves out shuffle + deflate. */
static hid_t make_dset(hid_t f, const char *name, int width, hsize_t n, int deflate) {
    hsize_t chunk = CHUNK, maxd = H5S_UNLIMITED;
    hid_t sp = H5Screate_simple(1, &n, &maxd), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    if (deflate) H5Pset_shuffle(dcpl), H5Pset_deflate(dcpl, 4);
    H5Pset_fletcher32(dcpl);
    hid_t d = H5Dcreate2(f, name, file_type(width), sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl), H5Sclose(sp);
    return d;
}

/* Data of N elements of WIDTH bytes (little-endian): KIND 0 random, 1 text-like, 2 all 0xff. */
static unsigned char *make_data(size_t n, int width, int kind) {
    unsigned char *p = malloc(n * (size_t)width);
    for (size_t i = 0; i < n * (size_t)width; i++)
        p[i] = kind == 2   ? 0xff
               : kind == 1 ? (unsigned char)("in the beginning "[next_u64() % 17])
                           : (unsigned char)next_u64();
    return p;
}

/* Every stored chunk of D ends with chunk_fletcher32 of the bytes before it. */
static int check_stored_sums(hid_t d, hsize_t n, const char *what) {
    int bad = 0, odd = 0;
    unsigned char *buf = malloc(CHUNK * 8 * 2 + 64);
    for (hsize_t off = 0; off < n; off += CHUNK) {
        hsize_t size = 0;
        uint32_t filters = 0;
        H5Dget_chunk_storage_size(d, &off, &size);
        if (size < 4 || size > CHUNK * 8 * 2 ||
            H5Dread_chunk(d, H5P_DEFAULT, &off, &filters, buf) < 0) {
            EXPECT(0, "%s: cannot read the chunk at %llu", what, (unsigned long long)off);
            return 1;
        }
        uint32_t stored = (uint32_t)buf[size - 4] | (uint32_t)buf[size - 3] << 8 |
                          (uint32_t)buf[size - 2] << 16 | (uint32_t)buf[size - 1] << 24;
        bad += chunk_fletcher32(buf, (size_t)size - 4) != stored;
        odd += (size - 4) % 2;
    }
    free(buf);
    EXPECT(bad == 0, "%s: %d chunks whose stored Fletcher32 differs from chunk_fletcher32", what,
           bad);
    return odd;
}

static void test_fletcher(hid_t f) {
    int odd = 0;
    for (int kind = 0; kind < 3; kind++)
        for (int width = 1; width <= 8; width *= 2)
            for (int deflate = 0; deflate < 2; deflate++) {
                char name[64], what[96];
                size_t n = 5 * CHUNK + 777;
                snprintf(name, sizeof name, "f_%d_%d_%d", kind, width, deflate);
                snprintf(what, sizeof what, "data %d width %d deflate %d", kind, width, deflate);
                unsigned char *data = make_data(n, width, kind);
                hid_t d = make_dset(f, name, width, n, deflate);
                EXPECT(H5Dwrite(d, file_type(width), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0,
                       "%s: write", what);
                odd += check_stored_sums(d, n, what);
                H5Dclose(d);
                free(data);
            }
    EXPECT(odd > 0, "no compressed chunk of odd length was checked");
    /* Known values: libhdf5's folding keeps 0xffff, where a plain mod 65535 would give 0. */
    unsigned char ff[4] = {0xff, 0xff, 0xff, 0xff}, abc[3] = {'a', 'b', 'c'};
    EXPECT(chunk_fletcher32(ff, 4) == 0xffffffffu, "fletcher32(ff ff ff ff) = %08x",
           chunk_fletcher32(ff, 4));
    /* "ab" = 0x6162, then 'c' as a high byte: a = 0xc462, b = 0x6162 + 0xc462 folded. */
    EXPECT(chunk_fletcher32(abc, 3) == 0x25c5c462u, "fletcher32(abc) = %08x",
           chunk_fletcher32(abc, 3));
}

typedef struct {
    hid_t d;
    uint64_t next;
    int calls;
} sink_t;

static int sink(void *arg, const void *tag, uint64_t index, size_t n, const unsigned char *p,
                size_t len) {
    sink_t *s = arg;
    hsize_t start = index * CHUNK, size = start + n;
    EXPECT(tag == (void *)s, "the tag did not come back");
    EXPECT(index == s->next, "chunk %llu arrived, %llu expected", (unsigned long long)index,
           (unsigned long long)s->next);
    s->next++, s->calls++;
    if (H5Dset_extent(s->d, &size) < 0 || H5Dwrite_chunk(s->d, H5P_DEFAULT, 0, &start, len, p) < 0)
        return 7;
    return 0;
}

/* Pool-encoded chunks read back through libhdf5's pipeline as the elements written. */
static void test_pool(hid_t f, int threads, int width, int level, int strategy) {
    char name[64], what[96];
    size_t n = 9 * CHUNK + 1234;
    snprintf(name, sizeof name, "p_%d_%d_%d_%d", threads, width, level, strategy);
    snprintf(what, sizeof what, "%d workers, width %d, level %d, strategy %d", threads, width,
             level, strategy);
    unsigned char *data = make_data(n, width, 1), *back = calloc(n, (size_t)width);
    for (size_t i = 0; i < n * (size_t)width; i += 3) data[i] = (unsigned char)next_u64();
    sink_t s = {make_dset(f, name, width, 0, 1), 0, 0};
    chunk_pool_t *p = chunk_pool_new(CHUNK, level, strategy, threads, 3, sink, &s);
    EXPECT(p != NULL, "%s: no pool", what);
    if (!p) return;
    int rc = 0;
    for (size_t at = 0; at < n && rc == 0; at += CHUNK) {
        size_t m = n - at < CHUNK ? n - at : CHUNK;
        rc = chunk_pool_submit(p, &s, at / CHUNK, data + at * (size_t)width, m, width);
    }
    if (rc == 0) rc = chunk_pool_drain(p);
    chunk_pool_free(p);
    EXPECT(rc == 0, "%s: pool returned %d", what, rc);
    EXPECT(s.calls == 10, "%s: %d chunks stored, 10 expected", what, s.calls);
    EXPECT(H5Dread(s.d, file_type(width), H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0 &&
               memcmp(back, data, n * (size_t)width) == 0,
           "%s: the elements read back differ", what);
    check_stored_sums(s.d, n, what);
    /* A flipped bit in a stored chunk: libhdf5's Fletcher32 check refuses it. */
    hsize_t off = 2 * CHUNK, size = 0;
    uint32_t filters = 0;
    unsigned char *raw = malloc(CHUNK * 8 * 2 + 64);
    H5Dget_chunk_storage_size(s.d, &off, &size);
    H5Dread_chunk(s.d, H5P_DEFAULT, &off, &filters, raw);
    raw[size / 2] ^= 0x10;
    H5Dwrite_chunk(s.d, H5P_DEFAULT, 0, &off, size, raw);
    EXPECT(H5Dread(s.d, file_type(width), H5S_ALL, H5S_ALL, H5P_DEFAULT, back) < 0,
           "%s: a damaged chunk was read without error", what);
    free(raw);
    H5Dclose(s.d);
    free(data), free(back);
}

/* A sink's error stops the pool and comes back from submit or drain. */
static void test_sink_error(void) {
    static unsigned char data[CHUNK];
    sink_t s = {-1, 0, 0}; /* no dataset: every write fails */
    chunk_pool_t *p = chunk_pool_new(CHUNK, 1, Z_DEFAULT_STRATEGY, 2, 2, sink, &s);
    int rc = 0;
    for (int i = 0; i < 4 && rc == 0; i++)
        rc = chunk_pool_submit(p, &s, (uint64_t)i, data, CHUNK, 1);
    if (rc == 0) rc = chunk_pool_drain(p);
    EXPECT(rc == 7, "a failing sink gave %d, not its code 7", rc);
    chunk_pool_free(p);
}

int main(void) {
    char path[] = "/tmp/test_chunk_pack.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 1;
    close(fd);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the damaged chunk's read fails on purpose */
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    test_fletcher(f);
    for (int width = 1; width <= 8; width *= 2) {
        test_pool(f, 0, width, 1, Z_DEFAULT_STRATEGY);
        test_pool(f, 3, width, 1, Z_DEFAULT_STRATEGY);
        test_pool(f, 0, width, 1, Z_HUFFMAN_ONLY); /* drnn-prep's choice */
        test_pool(f, 2, width, 1, Z_HUFFMAN_ONLY);
    }
    test_sink_error();
    H5Fclose(f);
    unlink(path);
    return TEST_RESULT("chunk_pack");
}

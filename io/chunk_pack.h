/* io/chunk_pack.h — what libhdf5's filter pipeline shuffle + deflate + Fletcher32 does to a chunk,
 * done by the caller's own worker threads, for writers that store whole chunks with
 * H5Dwrite_chunk (io/corpus_write.c).
 *
 * libhdf5 runs its filters in the thread that calls H5Dwrite, one chunk after the other; deflate
 * then bounds drnn-prep's speed. Here every chunk is encoded by one of N workers and handed back,
 * in the order it was submitted, to a sink the submitting thread runs (the only thread that calls
 * HDF5). A submitting thread that would wait for a worker encodes a waiting chunk itself. The bytes
 * are the ones a reader's pipeline expects: the shuffle filter's byte planes (elements of one byte
 * are left as they are), a zlib stream (any level or strategy inflates), then the Fletcher32
 * checksum of those bytes as libhdf5 computes it, appended little-endian. Memory: `depth` raw and
 * encoded chunks. No HDF5 and no MPI here.
 */
#ifndef DRNN_IO_CHUNK_PACK_H
#define DRNN_IO_CHUNK_PACK_H

#include <stddef.h>
#include <stdint.h>

/* libhdf5's Fletcher32 of p[0..n): 16-bit big-endian words, an odd last byte as a high byte. */
uint32_t chunk_fletcher32(const unsigned char *p, size_t n);

/* Receives encoded chunk number INDEX of TAG (n valid elements; the chunk's other elements are
 * zero) as LEN bytes at P. Runs in the submitting thread. Returns 0, or a code that
 * chunk_pool_submit / chunk_pool_drain pass on. */
typedef int (*chunk_sink_fn)(void *arg, const void *tag, uint64_t index, size_t n,
                             const unsigned char *p, size_t len);

typedef struct chunk_pool chunk_pool_t;

/* A pool for chunks of CHUNK elements of at most 8 bytes, deflated by zlib at LEVEL (1-9) with
 * STRATEGY (Z_DEFAULT_STRATEGY, Z_HUFFMAN_ONLY, ...), by THREADS workers and the submitting thread
 * whenever it would wait for them (0: the submitting thread encodes each chunk itself), at most
 * DEPTH chunks in flight. NULL when out of memory or no thread can be started. */
chunk_pool_t *chunk_pool_new(size_t chunk, int level, int strategy, int threads, int depth,
                             chunk_sink_fn sink, void *sink_arg);

/* Copies elements raw[0..n) (n <= chunk, WIDTH bytes each) as chunk INDEX of TAG into the pool;
 * chunks finished in the meantime go to the sink first, in submission order (so does the oldest
 * when the pool is full). Returns 0, the sink's code, or -1 when zlib failed (out of memory). */
int chunk_pool_submit(chunk_pool_t *p, const void *tag, uint64_t index, const void *raw, size_t n,
                      int width);

/* Waits for every chunk and hands each to the sink. 0, the sink's code or -1 as above. */
int chunk_pool_drain(chunk_pool_t *p);

/* Stops the workers and frees P; chunks not drained are dropped (NULL is a no-op). */
void chunk_pool_free(chunk_pool_t *p);

#endif

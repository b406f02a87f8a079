/* io/deflate_huff.h — a fast zlib-format encoder that uses Huffman coding only (no string
 * matching): one dynamic-Huffman deflate block per call, or stored blocks when that would not be
 * smaller. It is what zlib's Z_HUFFMAN_ONLY strategy does, several times faster: corpus chunks
 * (io/chunk_pack.h) are mostly small ids whose skewed byte frequencies Huffman codes capture, and
 * zlib's encoder bounded drnn-prep's speed. Any zlib inflate (libhdf5's deflate filter among
 * them) reads the output. No HDF5, no MPI, no allocation.
 */
#ifndef DRNN_IO_DEFLATE_HUFF_H
#define DRNN_IO_DEFLATE_HUFF_H

#include <stddef.h>

/* The most bytes deflate_huff writes for N input bytes. */
size_t deflate_huff_bound(size_t n);

/* Encodes in[0..n) as a zlib stream into out (cap >= deflate_huff_bound(n) bytes). Returns its
 * length (never 0). */
size_t deflate_huff(unsigned char *out, size_t cap, const unsigned char *in, size_t n);

#endif

/* io/h5util.h — small checked helpers over the HDF5 C library, shared by io/ files.
 *
 * All return 0 on success and -1 on failure (nothing printed: HDF5's own error stack is turned
 * off by h5_quiet, callers name the file and what to do).
 */
#ifndef DRNN_IO_H5UTIL_H
#define DRNN_IO_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Turns off HDF5's automatic error printing (once per process). */
void h5_quiet(void);

/* File access properties with the latest file format (attributes survive bit flips better), or
 * -1 when they cannot be made (H5Fcreate/H5Fopen then fail on it). The caller closes them. */
hid_t h5_fapl_latest(void);

int h5_attr_get_string(hid_t obj, const char *name, char *buf, size_t len);
int h5_attr_get_i64(hid_t obj, const char *name, int64_t *out);
int h5_attr_get_u64(hid_t obj, const char *name, uint64_t *out);
int h5_attr_set_string(hid_t obj, const char *name, const char *value);
int h5_attr_set_i64(hid_t obj, const char *name, int64_t value);
int h5_attr_set_u64(hid_t obj, const char *name, uint64_t value);
/* A 1-D int64 attribute of n values (n >= 1). get: an integer attribute of 1 to max values
 * (scalar or 1-D) into out, their count into *n. 0, or -1. */
int h5_attr_set_i64s(hid_t obj, const char *name, const int64_t *v, int n);
int h5_attr_get_i64s(hid_t obj, const char *name, int64_t *out, int max, int *n);
/* A scalar float64 attribute (get: any float type, converted). 0, or -1. */
int h5_attr_set_f64(hid_t obj, const char *name, double value);
int h5_attr_get_f64(hid_t obj, const char *name, double *out);

/* Reads the 1-D variable- or fixed-length string dataset PATH. On success *out is a malloc'd
 * array of *n malloc'd strings (free with h5_free_strings). */
int h5_read_strings(hid_t file, const char *path, char ***out, int *n);
void h5_free_strings(char **s, int n);
/* Writes n strings as a 1-D variable-length UTF-8 string dataset PATH. */
int h5_write_strings(hid_t file, const char *path, const char *const *s, int n);

/* 1 if the link PATH exists (intermediate groups included), else 0. */
int h5_exists(hid_t file, const char *path);

/* An opaque byte string as a 1-D uint8 dataset PATH (contiguous) with its CRC-32 as the uint64
 * attribute "crc32" (a SentencePiece model). 0, or -1. */
int h5_write_bytes(hid_t file, const char *path, const void *bytes, size_t len);
/* Reads it into *out (malloc'd, *len bytes; the caller frees it). 0; 1 when PATH is absent
 * (*out NULL); -1 when it is of another shape or type, has no crc32, or the bytes do not match
 * it (damaged). */
int h5_read_bytes(hid_t file, const char *path, void **out, size_t *len);

#endif

/* io/weights.h — model.h5 files: one float32 dataset per tensor named by its PyTorch state_dict
 * key, /vocab, and scalar attributes describing the model (DESIGN §8).
 *
 * Writes go to a temporary name in the same folder, are fsynced and renamed: a crash never
 * leaves a half-written model.h5 under the real name.
 */
#ifndef DRNN_IO_WEIGHTS_H
#define DRNN_IO_WEIGHTS_H

#include <stddef.h>

#include "io/model_attrs.h"
#include "model/params.h"

#define WEIGHTS_FORMAT  "drnn-model"
#define WEIGHTS_VERSION 1

/* Writes params (laid out by tab), the description, tokenizer, vocab and labels of mi to PATH,
 * through a temporary beside it renamed into place when complete (io/fsutil.h; removed on every
 * failure, so an earlier PATH stays as it was). Returns 0, or 74 with a message naming the file
 * and why ("disk full", or the errno text) in err. */
int weights_write(const char *path, const param_table_t *tab, const float *params,
                  const model_info_t *mi, char *err, size_t errlen);

/* Reads the attributes, /vocab and /labels of a drnn-model file into *mi (free with
 * model_info_free). Returns 0, 66 (missing) or 65 (not a drnn model, damaged, a description this
 * build cannot build) with a message in err. */
int weights_read_meta(const char *path, model_info_t *mi, char *err, size_t errlen);
/* As weights_read_meta, but a file with no format attribute (only tensors, as h5py writes a
 * PyTorch state_dict) is not an error: then *has_meta = 0 and *mi is zeroed.
 * A format attribute naming anything but "drnn-model" is 65. */
int weights_read_meta_any(const char *path, model_info_t *mi, int *has_meta, char *err,
                          size_t errlen);

/* Fills params from the datasets named as tab's tensors; checks every name, shape and dtype
 * (float32, or float64 converted) and that the file holds nothing else at its root but /vocab and
 * /labels: an unexpected tensor (say rnn.weight_ih_l1 for a 1-layer model) is an error, as with
 * PyTorch's load_state_dict(strict=True). params NULL: read and check only (one tensor at a time).
 * Returns 0, 66, or 65 naming the tensor in err. */
int weights_read_params(const char *path, const param_table_t *tab, float *params, char *err,
                        size_t errlen);

/* Checks PATH in a child process before this process parses it (DESIGN §7): libhdf5 can crash or
 * hang on a damaged file, and a file without a CRC (a PyTorch model.h5) cannot be verified before
 * it is parsed. The child (fork; it never calls MPI and ends with _exit, so it may run after
 * MPI_Init) does what this process will do next: opens the file, reads the model attributes and
 * /vocab when there is a format attribute (weights_read_meta_any), and with tab != NULL reads
 * every tensor as weights_read_params does. The parent waits at most WEIGHTS_CHECK_TIMEOUT
 * seconds plus one per 50 MB of file, then kills the child.
 * Returns 0 when those reads succeeded in the child; the child's 65 or 66 with its message; 65
 * ("damaged") when the child crashed or timed out; 70 when fork or pipe fail. */
#define WEIGHTS_CHECK_TIMEOUT 30
int weights_validate_isolated(const char *path, const param_table_t *tab, char *err, size_t errlen);

#endif

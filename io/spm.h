/* io/spm.h — SentencePiece subword models, reached from C (the library is C++: io/spm.cc is the
 * project's only C++ file, and this is all of its interface).
 *
 * A model is held as the library's serialized ModelProto (the bytes of a `.model` file): that is
 * what a corpus, a checkpoint and model.h5 store, and what drnn-export writes out. Ids here are
 * the model's own; io/tokenize.h maps them to drnn's vocabulary layout.
 * Every function that can fail returns a sysexits code (65 damaged or not a model, 66 cannot
 * open, 64 bad training options, 70 out of memory or a library error) with a one-line message in
 * err that names the file when there is one.
 */
#ifndef DRNN_IO_SPM_H
#define DRNN_IO_SPM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spm spm_t;

/* Loads a serialized model (BYTES[0..len), copied). WHAT names it in messages ("'m.model'",
 * "the corpus 'c.h5'"). */
int spm_load(const void *bytes, size_t len, const char *what, spm_t **out, char *err,
             size_t errlen);
/* Loads the `.model` file PATH. */
int spm_load_file(const char *path, spm_t **out, char *err, size_t errlen);
void spm_free(spm_t *m);

/* The serialized model (valid while M lives). */
const void *spm_bytes(const spm_t *m, size_t *len);
/* Number of pieces; the piece of ID (its bytes, NUL-terminated); the special ids (-1: none). */
size_t spm_size(const spm_t *m);
const char *spm_piece(const spm_t *m, size_t id);
int spm_unk_id(const spm_t *m);
int spm_bos_id(const spm_t *m);
int spm_eos_id(const spm_t *m);
int spm_pad_id(const spm_t *m);

/* Encodes TEXT[0..len) (one sentence: no newline) and calls FN once per piece, in order. A piece
 * the model does not know is handed as the text it covers (and maps to <unk>). Returns 0, FN's
 * nonzero value when it stops, or -1 when the library fails. */
typedef int (*spm_piece_fn)(void *arg, const char *piece, size_t len);
int spm_encode(const spm_t *m, const char *text, size_t len, spm_piece_fn fn, void *arg);

/* The text of PIECES[0..n) as the library detokenizes one sentence: a malloc'd, NUL-terminated
 * string of *len bytes (the caller frees it); NULL when out of memory or the library fails. */
char *spm_decode(const spm_t *m, const char *const *pieces, size_t n, size_t *len);

/* Trains a model. ARGS are spm_train's flags ("--vocab_size=8000 --model_type=bpe ..."); input
 * sentences come from NEXT, called until it returns 0 (1: *line, *len hold a sentence, valid
 * until the next call; < 0: stop, and spm_train returns 65 with the message NEXT left in err).
 * The result does not depend on the number of threads or on anything but ARGS and the
 * sentences. */
typedef int (*spm_next_fn)(void *arg, const char **line, size_t *len);
int spm_train(const char *args, spm_next_fn next, void *arg, spm_t **out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif

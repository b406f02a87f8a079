/* model/util.h — invariants, allocation and error messages: the base every module builds on.
 *
 * model/ has no MPI: a failed invariant prints where it failed and aborts this process; under
 * mpirun a dead rank ends the whole job, so no rank is left waiting in a collective.
 */
#ifndef DRNN_MODEL_UTIL_H
#define DRNN_MODEL_UTIL_H

#include <stddef.h>

#define DRNN_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) model_assert_fail(#cond, __FILE__, __LINE__);                                 \
    } while (0)

void model_assert_fail(const char *what, const char *file, int line);

/* calloc that never returns NULL: dies with the size and call site instead. */
#define model_calloc(n, size) model_calloc_at((n), (size), __FILE__, __LINE__)
void *model_calloc_at(size_t n, size_t size, const char *file, int line);

/* Formats a one-line message into err [errlen] and returns code: the one way a function that
 * returns a status (loading a checkpoint, reading a corpus, parsing options) reports what went
 * wrong. Programs end on such a code through drnn_die (comm/comm.h). */
int drnn_errf(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

/* base/util.h — invariants, allocation and error messages: the base every module builds on.
 *
 * model/ has no MPI: a failed invariant prints where it failed and aborts this process; under
 * mpirun a dead rank ends the whole job, so no rank is left waiting in a collective.
 */
#ifndef DRNN_BASE_UTIL_H
#define DRNN_BASE_UTIL_H

#include <stddef.h>

#define DRNN_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) drnn_assert_fail(#cond, __FILE__, __LINE__);                                  \
    } while (0)

void drnn_assert_fail(const char *what, const char *file, int line);

/* calloc that never returns NULL: dies with the size and call site instead. */
#define drnn_calloc(n, size) drnn_calloc_at((n), (size), __FILE__, __LINE__)
void *drnn_calloc_at(size_t n, size_t size, const char *file, int line);

/* Buffers that only grow, sized by the largest batch seen so far rather than by a bound
 * fixed in advance (the high-water mark is kept: a later smaller batch allocates nothing).
 * drnn_grow: when n > *cap elements of SIZE bytes, frees p and returns a zeroed buffer of n
 * elements (the contents are not kept) with *cap = n; else returns p. Dies on out of memory. */
#define drnn_grow(p, cap, n, size) drnn_grow_at((p), (cap), (n), (size), __FILE__, __LINE__)
void *drnn_grow_at(void *p, size_t *cap, size_t n, size_t size, const char *file, int line);
/* Raises *cap to need; 1 when it rose (the caller then rebuilds what *cap sizes). */
static inline int drnn_cap_raise(size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    *cap = need;
    return 1;
}

/* Formats a one-line message into err [errlen] and returns code: the one way a function that
 * returns a status (loading a checkpoint, reading a corpus, parsing options) reports what went
 * wrong. Programs end on such a code through drnn_die (comm/comm.h). */
int drnn_errf(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Monotonic wall-clock seconds (for rates and timings; no MPI). */
double drnn_wtime(void);

/* The program name messages start with ("drnn-train"); "drnn" until set. */
void drnn_set_prog(const char *prog);
const char *drnn_prog(void);

/* What drnn_die does besides printing, installed by comm/ once MPI runs: `prefix` writes the
 * message's "rank R: " part (may write nothing), `end` ends the job with code (MPI_Abort on
 * several ranks) and does not return. NULL hooks: one plain process. */
typedef struct {
    void (*prefix)(char *buf, size_t len);
    void (*end)(int code);
} drnn_die_hook_t;
void drnn_set_die_hook(const drnn_die_hook_t *hook);

/* The one program-level way to end on an error this process alone sees (or any error of a
 * program that runs as one process): prints "PROG: [rank R: ]message" and ends with code
 * (sysexits, DESIGN §8): through the die hook, else _exit(code) (exit handlers are skipped:
 * libhdf5's would touch a file whose close just failed). Never returns. */
void drnn_die(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/* Files drnn_die removes before it ends the program: the temporaries of outputs being written
 * (io/fsutil.h's fs_tmp_*), so a program that dies midway leaves no partial file behind (exit
 * handlers would not run: drnn_die skips them). drnn_die_unlink_add copies PATH; at most
 * DRNN_DIE_UNLINK_MAX at once: 0, or -1 when the table is full. drnn_die_unlink_remove forgets
 * PATH (no-op if absent) once it has been renamed into place or removed. Only the process that
 * added a path removes it (not a forked child). Not thread-safe: call from one thread. */
#define DRNN_DIE_UNLINK_MAX 8
int drnn_die_unlink_add(const char *path);
void drnn_die_unlink_remove(const char *path);

#endif

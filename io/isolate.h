/* io/isolate.h — run a risky read in a child process (DESIGN §7).
 *
 * libhdf5 can crash (SIGSEGV, abort) or loop forever on a damaged file. isolate_run forks; the
 * child runs fn, sends its message through a pipe and ends with _exit: no atexit handlers, no
 * stdio flush, no MPI — so it is safe after MPI_Init. The parent waits at most `timeout` seconds,
 * then kills the child. This module makes no MPI calls and prints nothing.
 */
#ifndef DRNN_IO_ISOLATE_H
#define DRNN_IO_ISOLATE_H

#include <stddef.h>

typedef enum { ISOLATE_EXITED = 0, ISOLATE_CRASHED, ISOLATE_TIMEOUT } isolate_status_t;

typedef struct {
    isolate_status_t status;
    int code;   /* ISOLATE_EXITED: fn's return value (0..255) */
    int signal; /* ISOLATE_CRASHED: the signal that ended the child */
} isolate_result_t;

typedef int (*isolate_fn)(void *arg, char *err, size_t errlen);

/* Runs fn(arg, err, errlen) in a child. Returns 0 with *res filled and err holding the message
 * fn left (empty when none, always NUL-terminated); or -1 when pipe, fork or waitpid failed, the
 * reason in err. */
int isolate_run(isolate_result_t *res, isolate_fn fn, void *arg, double timeout, char *err,
                size_t errlen);

#endif

#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void drnn_assert_fail(const char *what, const char *file, int line) {
    fprintf(stderr, "drnn: internal error: assertion '%s' failed at %s:%d\n", what, file, line);
    abort();
}

void *drnn_calloc_at(size_t n, size_t size, const char *file, int line) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "drnn: out of memory allocating %zu x %zu bytes at %s:%d\n", n, size, file,
                line);
        abort();
    }
    return p;
}

void *drnn_grow_at(void *p, size_t *cap, size_t n, size_t size, const char *file, int line) {
    if (n <= *cap && p) return p;
    free(p);
    *cap = n > *cap ? n : *cap;
    return drnn_calloc_at(*cap, size, file, line);
}

int drnn_errf(char *err, size_t errlen, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

static const char *prog_name = "drnn";
static drnn_die_hook_t die_hook;

void drnn_set_prog(const char *prog) {
    prog_name = prog;
}

const char *drnn_prog(void) {
    return prog_name;
}

void drnn_set_die_hook(const drnn_die_hook_t *hook) {
    die_hook = hook ? *hook : (drnn_die_hook_t){NULL, NULL};
}

/* The temporaries drnn_die removes, each with the process that registered it: a forked child
 * (io/isolate.c) that dies must not remove its parent's files. */
static struct {
    char *path;
    pid_t pid;
} die_unlink[DRNN_DIE_UNLINK_MAX];

int drnn_die_unlink_add(const char *path) {
    for (int i = 0; i < DRNN_DIE_UNLINK_MAX; i++) {
        if (die_unlink[i].path) continue;
        die_unlink[i].path = strdup(path);
        die_unlink[i].pid = getpid();
        return die_unlink[i].path ? 0 : -1;
    }
    return -1;
}

void drnn_die_unlink_remove(const char *path) {
    for (int i = 0; i < DRNN_DIE_UNLINK_MAX; i++) {
        if (die_unlink[i].path && strcmp(die_unlink[i].path, path) == 0) {
            free(die_unlink[i].path);
            die_unlink[i].path = NULL;
        }
    }
}

void drnn_die(int code, const char *fmt, ...) {
    char prefix[64] = "";
    if (die_hook.prefix) die_hook.prefix(prefix, sizeof prefix);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: %s", prog_name, prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    for (int i = 0; i < DRNN_DIE_UNLINK_MAX; i++) /* a stream may still be open: unlink is fine */
        if (die_unlink[i].path && die_unlink[i].pid == getpid()) unlink(die_unlink[i].path);
    fflush(NULL);
    if (die_hook.end) die_hook.end(code);
    _exit(code); /* no exit handlers: libhdf5's would close a file whose close just failed */
}

double drnn_wtime(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

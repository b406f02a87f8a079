#include "model/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void model_assert_fail(const char *what, const char *file, int line) {
    fprintf(stderr, "drnn: internal error: assertion '%s' failed at %s:%d\n", what, file, line);
    abort();
}

void *model_calloc_at(size_t n, size_t size, const char *file, int line) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "drnn: out of memory allocating %zu x %zu bytes at %s:%d\n", n, size, file,
                line);
        abort();
    }
    return p;
}

int drnn_errf(char *err, size_t errlen, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

/* tests/mutate.h — what the fuzz tests share: the damage they do to files (tests/fuzz_load.c:
 * checkpoints and model.h5; tests/fuzz_corpus.c: corpora): bit flips, truncation, a range of random
 * bytes, a range of zeros, bytes appended, or the file removed. The choices come from a splitmix64
 * generator, so a seed reproduces a run. A test harness, not a library: I/O failures exit 2. */
#ifndef DRNN_TESTS_MUTATE_H
#define DRNN_TESTS_MUTATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* FAIL(fmt, ...): prints "FAIL: message" on stderr and counts it in fuzz_failures; the 21st
 * failure exits 1, so that one bug does not flood the log. */
extern int fuzz_failures;
#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "FAIL: " __VA_ARGS__);                                                     \
        fputc('\n', stderr);                                                                       \
        if (++fuzz_failures > 20) exit(1);                                                         \
    } while (0)

/* Seeds the generator behind mut_next and mut_apply. */
void mut_seed(uint64_t seed);
uint64_t mut_next(void);
size_t mut_below(size_t n); /* uniform in [0, n); 0 for n == 0 */

/* The whole file PATH into a malloc'd *DATA (*LEN bytes). 0, or -1 when it cannot be read. */
int mut_read(const char *path, unsigned char **data, size_t *len);
/* D[0..n) as the file PATH; exits 2 when it cannot be written. */
void mut_write(const char *path, const unsigned char *d, size_t n);

/* A mutated copy of IN[0..len) into OUT (room for len + 64 bytes), *OUTLEN bytes, at least one
 * byte changed; *KIND names the mutation. With ALLOW_REMOVE it may instead choose "removed" and
 * return 1 (the caller removes the file); otherwise returns 0. */
int mut_apply(const unsigned char *in, size_t len, unsigned char *out, size_t *outlen,
              const char **kind, int allow_remove);

#endif

/* tests/mutate.c — see mutate.h. */
#include "tests/mutate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fuzz_failures;
static uint64_t rng_state;

void mut_seed(uint64_t seed) {
    rng_state = seed;
}

uint64_t mut_next(void) { /* splitmix64: the mutation choices only */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

size_t mut_below(size_t n) {
    return n ? (size_t)(mut_next() % n) : 0;
}

int mut_read(const char *path, unsigned char **data, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *data = n >= 0 ? malloc((size_t)n + 1) : NULL;
    *len = *data && fread(*data, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
    fclose(f);
    return *data && *len == (size_t)n ? 0 : -1;
}

void mut_write(const char *path, const unsigned char *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "mutate: cannot write %s: %s\n", path, strerror(errno));
        exit(2);
    }
}

int mut_apply(const unsigned char *in, size_t len, unsigned char *out, size_t *outlen,
              const char **kind, int allow_remove) {
    memcpy(out, in, len);
    *outlen = len;
    for (;;) {
        switch (mut_below(allow_remove ? 6 : 5)) {
        case 0: { /* 1..16 distinct bit flips */
            *kind = "bit flips";
            size_t k = 1 + mut_below(16);
            for (size_t i = 0; i < k; i++)
                out[mut_below(len)] ^= (unsigned char)(1u << mut_below(8));
            break;
        }
        case 1:
            *kind = "truncation";
            *outlen = mut_below(len);
            break;
        case 2: { /* a range of random bytes */
            *kind = "random range";
            size_t at = mut_below(len), n = 1 + mut_below(256);
            for (size_t i = at; i < len && i < at + n; i++) out[i] = (unsigned char)mut_next();
            break;
        }
        case 3: { /* a range zeroed */
            *kind = "zeroed range";
            size_t at = mut_below(len), n = 1 + mut_below(4096);
            for (size_t i = at; i < len && i < at + n; i++) out[i] = 0;
            break;
        }
        case 4: { /* bytes appended */
            *kind = "appended bytes";
            size_t n = 1 + mut_below(64);
            for (size_t i = 0; i < n; i++) out[len + i] = (unsigned char)mut_next();
            *outlen = len + n;
            break;
        }
        default:
            *kind = "removed";
            return 1;
        }
        if (*outlen != len || memcmp(out, in, len) != 0) return 0;
        memcpy(out, in, len); /* the flips cancelled: try again */
    }
}

#include "model/rng.h"

#include <math.h>

/* Constants from Salmon et al., "Parallel random numbers: as easy as 1, 2, 3" (SC'11). */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static void mulhilo(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo) {
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    *lo = (uint32_t)p;
}

void rng_philox4x32(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint32_t hi0, lo0, hi1, lo1;
        mulhilo(PHILOX_M0, c0, &hi0, &lo0);
        mulhilo(PHILOX_M1, c2, &hi1, &lo1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0, c1 = n1, c2 = n2, c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

/* Counter = (index/4 as 32 bits, b, a, purpose); key = seed. Element index%4 of the block. */
uint32_t rng_u32(uint64_t seed, uint32_t purpose, uint32_t a, uint32_t b, uint64_t index) {
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32) ^ (uint32_t)(index >> 34)};
    uint32_t ctr[4] = {(uint32_t)(index >> 2), b, a, purpose};
    uint32_t out[4];
    rng_philox4x32(out, ctr, key);
    return out[index & 3];
}

float rng_uniform(uint64_t seed, uint32_t purpose, uint32_t a, uint32_t b, uint64_t index) {
    return (float)(rng_u32(seed, purpose, a, b, index) >> 8) * (1.0f / 16777216.0f);
}

void rng_fill_uniform(float *dst, size_t n, float lo, float hi, uint64_t seed, uint32_t purpose,
                      uint32_t a, uint32_t b) {
    for (size_t i = 0; i < n; i++) dst[i] = lo + (hi - lo) * rng_uniform(seed, purpose, a, b, i);
}

void rng_fill_normal(float *dst, size_t n, float mean, float std, uint64_t seed, uint32_t purpose,
                     uint32_t a, uint32_t b) {
    for (size_t i = 0; i < n; i += 2) {
        /* u1 in (0, 1] so that log(u1) is finite. */
        double u1 = 1.0 - rng_uniform(seed, purpose, a, b, 2 * (uint64_t)i);
        double u2 = rng_uniform(seed, purpose, a, b, 2 * (uint64_t)i + 1);
        double r = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
        dst[i] = (float)(mean + std * r * cos(th));
        if (i + 1 < n) dst[i + 1] = (float)(mean + std * r * sin(th));
    }
}

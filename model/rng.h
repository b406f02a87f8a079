/* model/rng.h — Philox4x32-10 counter-based random numbers (DESIGN §3).
 *
 * Every random value is a pure function of (seed, purpose, a, b, index): nothing is carried from
 * call to call, so values never depend on the number of ranks or on what ran before, and a resumed
 * run needs no saved generator state.
 */
#ifndef DRNN_MODEL_RNG_H
#define DRNN_MODEL_RNG_H

#include <stddef.h>
#include <stdint.h>

/* RNG_POWERSGD: PowerSGD's initial Q of matrix a at step b (trainer/train_psgd.c). */
enum rng_purpose {
    RNG_INIT = 1,
    RNG_DROPOUT = 2,
    RNG_SHUFFLE = 3,
    RNG_SAMPLE = 4,
    RNG_POWERSGD = 5
};

/* One Philox4x32-10 block: out = philox(counter ctr, key key). */
void rng_philox4x32(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2]);

/* 32 random bits number `index` of the sequence (seed, purpose, a, b). */
uint32_t rng_u32(uint64_t seed, uint32_t purpose, uint32_t a, uint32_t b, uint64_t index);

/* Uniform in [0, 1) with 24 random bits, element `index` of (seed, purpose, a, b). */
float rng_uniform(uint64_t seed, uint32_t purpose, uint32_t a, uint32_t b, uint64_t index);

/* dst[i] = lo + (hi - lo) * U_i for i < n. */
void rng_fill_uniform(float *dst, size_t n, float lo, float hi, uint64_t seed, uint32_t purpose,
                      uint32_t a, uint32_t b);

/* dst[i] ~ N(mean, std^2) (Box-Muller on pairs of uniforms). */
void rng_fill_normal(float *dst, size_t n, float mean, float std, uint64_t seed, uint32_t purpose,
                     uint32_t a, uint32_t b);

#endif

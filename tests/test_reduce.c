/* tests/test_reduce.c — comm/reduce.h: bf16 rounding and the bucketed all-reduce.
 *
 * Alone (one rank): bf16 round-to-nearest-even, NaN and inf kept, every bf16 value round-trips,
 * a million random floats against a reference; a one-rank reduce leaves the buffer untouched.
 * Under mpirun -n N (N > 1) as well:
 *   fp32  integer-valued gradients (exact sums) over 11 uneven buckets, three steps that report
 *         ranges in decreasing order, in increasing order, and not at all (wait starts them);
 *   bf16  each element equals bf16(fp32 sum in rank order of bf16(x_r)) bit for bit, i.e. it
 *         was rounded exactly twice, lies within bf16 tolerance of the exact sum, and N ranks
 *         summing 0.0425 get bf16(N * bf16(0.0425)) (16 ranks: 0.6796875);
 *   bytes bf16 sends half the bytes of fp32.
 * Failures are summed over ranks; every rank exits non-zero if any rank failed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm/comm.h"
#include "comm/reduce.h"
#include "tests/testutil.h"

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static float bf(float x) {
    return comm_bf16_to_float(comm_bf16_from_float(x));
}

/* ---- rounding ---------------------------------------------------------------------------- */

static void check_rounding(void) {
    struct {
        uint32_t in;
        uint16_t out;
        const char *what;
    } cases[] = {
        {0x3f800000u, 0x3f80, "1.0"},
        {0x3f808000u, 0x3f80, "1 + 2^-8: tie, even neighbour below"},
        {0x3f818000u, 0x3f82, "1 + 3 * 2^-8: tie, even neighbour above"},
        {0x3f808001u, 0x3f81, "just above a tie rounds up"},
        {0x3f807fffu, 0x3f80, "just below a tie rounds down"},
        {0xbfc00000u, 0xbfc0, "-1.5"},
        {0x7f800000u, 0x7f80, "+inf"},
        {0xff800000u, 0xff80, "-inf"},
        {0x7f7fffffu, 0x7f80, "FLT_MAX overflows to +inf"},
        {0x7f7f7fffu, 0x7f7f, "largest value that stays finite"},
        {0x00000001u, 0x0000, "smallest subnormal to +0"},
        {0x00018000u, 0x0002, "subnormal tie to even"},
        {0x80000000u, 0x8000, "-0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t got = comm_bf16_from_float(from_bits(cases[i].in));
        EXPECT(got == cases[i].out, "bf16(0x%08x) = 0x%04x, expected 0x%04x (%s)", cases[i].in, got,
               cases[i].out, cases[i].what);
    }
    /* NaNs stay NaN with their sign, including payloads only in the bits rounding drops. */
    uint32_t nans[] = {0x7fc00000u, 0x7f800001u, 0xff800001u, 0x7fffffffu, 0xffc00000u};
    for (size_t i = 0; i < sizeof nans / sizeof nans[0]; i++) {
        float back = bf(from_bits(nans[i]));
        EXPECT(isnan(back) && (bits(back) >> 31) == (nans[i] >> 31),
               "bf16 of NaN 0x%08x gave 0x%08x", nans[i], bits(back));
    }
    /* Every non-NaN bf16 value converts to float and back unchanged. */
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = comm_bf16_to_float((uint16_t)h);
        if (!isnan(f) && comm_bf16_from_float(f) != h) bad++;
    }
    EXPECT(bad == 0, "%d bf16 values do not round-trip", bad);
    /* Random finite floats: the nearer of the two bf16 neighbours, the even one on a tie. */
    uint64_t s = 88172645463325252ull;
    bad = 0;
    for (int i = 0; i < 1000000; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        uint32_t u = (uint32_t)s;
        float x = from_bits(u);
        if (!isfinite(x)) continue;
        uint32_t lo = u & 0xffff0000u;
        /* Above the largest bf16 the next neighbour is 2^128, which IEEE rounding treats as
         * the step to inf. */
        double a = from_bits(lo), b = (lo & 0x7fffffffu) == 0x7f7f0000u
                                          ? copysign(0x1p128, a)
                                          : (double)from_bits(lo + 0x10000u);
        double da = fabs((double)x - a), db = fabs((double)x - b);
        uint16_t want = (uint16_t)(lo >> 16);
        if (db < da || (db == da && (want & 1))) want = (uint16_t)((lo + 0x10000u) >> 16);
        if (comm_bf16_from_float(x) != want) bad++;
    }
    EXPECT(bad == 0, "%d of 1e6 random floats not rounded to nearest even", bad);
}

/* ---- the reduce -------------------------------------------------------------------------- */

enum { NF = 10007, BUCKET_FLOATS = 1000 };

static float fp32_value(int rank, int i) {
    return (float)((rank + 1) * (i % 97) - 40);
}

static float bf16_value(int rank, int i) {
    return (float)(sin(0.37 * i + rank) * (1.0 + rank) * 0.01);
}

/* Reports [0, NF) in chunks: mode 0 decreasing offsets, 1 increasing, 2 not at all. */
static void report(comm_reduce_t *r, int mode) {
    static const size_t chunk[] = {1, 313, 2500, 77, 999, 1000, 4096};
    if (mode == 2) return;
    size_t done = 0;
    for (int k = 0; done < NF; k++) {
        size_t c = chunk[k % 7] < NF - done ? chunk[k % 7] : NF - done;
        if (mode == 0)
            comm_reduce_ready(r, NF - done - c, c);
        else
            comm_reduce_ready(r, done, c);
        done += c;
        comm_reduce_progress(r);
    }
}

static void check_fp32(int rank, int size) {
    float *g = malloc(sizeof(float) * NF);
    comm_reduce_t *r = comm_reduce_create(g, NF, BUCKET_FLOATS * sizeof(float), COMM_REDUCE_FP32);
    EXPECT(size == 1 || comm_reduce_buckets(r) == (NF + BUCKET_FLOATS - 1) / BUCKET_FLOATS,
           "fp32: %d buckets", comm_reduce_buckets(r));
    for (int mode = 0; mode < 3; mode++) {
        for (int i = 0; i < NF; i++) g[i] = fp32_value(rank, i);
        report(r, mode);
        comm_reduce_wait(r);
        int bad = 0;
        for (int i = 0; i < NF; i++) {
            float want = 0.0f;
            for (int q = 0; q < size; q++) want += fp32_value(q, i);
            if (g[i] != want) bad++;
        }
        EXPECT(bad == 0, "fp32 step %d (report mode %d): %d of %d sums wrong", mode + 1, mode, bad,
               NF);
    }
    comm_reduce_free(r);
    free(g);
}

static void check_bf16(int rank, int size) {
    float *g = malloc(sizeof(float) * NF);
    comm_reduce_t *r = comm_reduce_create(g, NF, BUCKET_FLOATS * sizeof(float), COMM_REDUCE_BF16);
    for (int mode = 0; mode < 3; mode++) {
        for (int i = 0; i < NF; i++) g[i] = bf16_value(rank, i);
        report(r, mode);
        comm_reduce_wait(r);
        int inexact = 0, loose = 0;
        for (int i = 0; i < NF; i++) {
            float acc = bf(bf16_value(0, i));
            double exact = bf16_value(0, i), mag = fabs(exact);
            for (int q = 1; q < size; q++) {
                acc += bf(bf16_value(q, i));
                exact += bf16_value(q, i), mag += fabs(bf16_value(q, i));
            }
            float want = size == 1 ? bf16_value(rank, i) : bf(acc);
            if (bits(g[i]) != bits(want)) inexact++;
            /* Two roundings to 8 significant bits (at most 2^-8 relative each): one of every
             * input, one of the sum; plus fp32 summation. */
            if (size > 1 && fabs(g[i] - exact) > 0x1p-8 * (mag + fabs(exact)) + 1e-6 * mag) loose++;
        }
        EXPECT(inexact == 0, "bf16 step %d: %d of %d elements differ from bf16(sum bf16(x_r))",
               mode + 1, inexact, NF);
        EXPECT(loose == 0, "bf16 step %d: %d elements outside bf16 tolerance of the exact sum",
               mode + 1, loose);
    }
    comm_reduce_free(r);

    /* N ranks each contributing 0.0425: rounded twice, not at every hop. */
    float one = 0.0425f, x[3] = {one, one, one};
    r = comm_reduce_create(x, 3, 2 * sizeof(float), COMM_REDUCE_BF16);
    comm_reduce_ready(r, 0, 3);
    comm_reduce_wait(r);
    float want = size == 1 ? one : bf((float)size * bf(one)), hop = bf(one);
    for (int q = 1; q < size; q++) hop = bf(hop + bf(one));
    for (int k = 0; k < 3; k++)
        EXPECT(x[k] == want, "%d x 0.0425 in bf16: got %.9g, expected %.9g (hop by hop: %.9g)",
               size, x[k], want, hop);
    if (rank == 0 && size > 1)
        printf("%d ranks x 0.0425: %.9g (two roundings), hop-by-hop rounding would give %.9g\n",
               size, x[0], hop);
    comm_reduce_free(r);
    free(g);
}

static void check_bytes(int size) {
    float g[4096];
    comm_reduce_t *a = comm_reduce_create(g, 4096, 4096, COMM_REDUCE_FP32);
    comm_reduce_t *b = comm_reduce_create(g, 4096, 4096, COMM_REDUCE_BF16);
    double fa = comm_reduce_bytes_per_step(a), fb = comm_reduce_bytes_per_step(b);
    if (size == 1)
        EXPECT(fa == 0.0 && fb == 0.0, "one rank sends bytes: %g, %g", fa, fb);
    else
        EXPECT(fb >= 0.45 * fa && fb <= 0.55 * fa, "bytes per step: bf16 %g vs fp32 %g", fb, fa);
    comm_reduce_free(a);
    comm_reduce_free(b);
}

int main(int argc, char **argv) {
    comm_init(&argc, &argv, "test_reduce");
    int rank = comm_rank(), size = comm_size();
    check_rounding();
    check_fp32(rank, size);
    check_bf16(rank, size);
    check_bytes(size);
    double failed = test_failures;
    comm_allreduce_sum_doubles(&failed, 1);
    int rc = 0;
    if (rank == 0) {
        char name[64];
        snprintf(name, sizeof name, "test_reduce (%d rank%s)", size, size > 1 ? "s" : "");
        test_failures = (int)failed;
        rc = TEST_RESULT(name);
    }
    comm_exit(failed > 0 ? 1 : rc);
}

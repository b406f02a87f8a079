/* Philox4x32-10 against the known-answer vectors published with Random123 (kat_vectors), and
 * the properties drnn relies on: pure function of its arguments, uniform in [0, 1). */
#include <math.h>
#include <stdio.h>

#include "model/rng.h"
#include "tests/testutil.h"

static void kat(const uint32_t ctr[4], const uint32_t key[2], const uint32_t want[4]) {
    uint32_t out[4];
    rng_philox4x32(out, ctr, key);
    for (int i = 0; i < 4; i++)
        EXPECT(out[i] == want[i], "philox word %d: got %08x want %08x", i, out[i], want[i]);
}

int main(void) {
    const uint32_t z4[4] = {0, 0, 0, 0}, z2[2] = {0, 0};
    const uint32_t w0[4] = {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8};
    kat(z4, z2, w0);
    const uint32_t f4[4] = {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff};
    const uint32_t f2[2] = {0xffffffff, 0xffffffff};
    const uint32_t w1[4] = {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd};
    kat(f4, f2, w1);
    const uint32_t p4[4] = {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344};
    const uint32_t p2[2] = {0xa4093822, 0x299f31d0};
    const uint32_t w2[4] = {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1};
    kat(p4, p2, w2);

    /* Same arguments, same value; different purpose or stream, different values. */
    EXPECT(rng_u32(7, 1, 2, 3, 12345) == rng_u32(7, 1, 2, 3, 12345), "not a pure function");
    EXPECT(rng_u32(7, 1, 2, 3, 12345) != rng_u32(7, 2, 2, 3, 12345), "purpose ignored");
    EXPECT(rng_u32(7, 1, 2, 3, 12345) != rng_u32(7, 1, 2, 4, 12345), "b ignored");
    EXPECT(rng_u32(7, 1, 2, 3, 12345) != rng_u32(8, 1, 2, 3, 12345), "seed ignored");

    /* Moments of 1e6 uniforms and normals. */
    double s = 0, s2 = 0, mn = 1, mx = 0;
    const int n = 1000000;
    for (int i = 0; i < n; i++) {
        double u = rng_uniform(1, 1, 0, 0, i);
        s += u, s2 += u * u, mn = fmin(mn, u), mx = fmax(mx, u);
    }
    EXPECT(mn >= 0 && mx < 1, "uniform out of [0,1): %g %g", mn, mx);
    EXPECT(fabs(s / n - 0.5) < 2e-3, "uniform mean %g", s / n);
    EXPECT(fabs(s2 / n - s * s / n / n - 1.0 / 12) < 2e-3, "uniform variance");
    static float g[100000];
    rng_fill_normal(g, 100000, 0, 1, 3, 1, 0, 0);
    s = s2 = 0;
    for (int i = 0; i < 100000; i++) s += g[i], s2 += (double)g[i] * g[i];
    EXPECT(fabs(s / 1e5) < 0.02 && fabs(s2 / 1e5 - 1) < 0.02, "normal moments %g %g", s / 1e5,
           s2 / 1e5);
    return TEST_RESULT("test_rng");
}

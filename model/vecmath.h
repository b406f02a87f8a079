/* model/vecmath.h — vectorized float math for the per-element loops (gate math, softmax).
 *
 * GCC turns a loop calling expf/tanhf into calls of glibc's libmvec (_ZGVbN4v_expf: 4 floats per
 * call, within 4 ulp) when the functions are declared simd, which math.h does only under
 * -ffast-math. Files including this header are built with -ftree-vectorize -fno-math-errno
 * instead (see CMakeLists.txt), keeping IEEE semantics; other compilers and libcs get the
 * scalar calls.
 *
 * DRNN_VEC_CLONES builds a function twice, for baseline x86-64 (SSE2, 4-wide libmvec calls) and
 * for x86-64-v3 (AVX2 + FMA, 8-wide); the dynamic loader picks by what the CPU supports. */
#ifndef DRNN_MODEL_VECMATH_H
#define DRNN_MODEL_VECMATH_H

#include <math.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
extern float expf(float) __attribute__((simd("notinbranch")));
extern float tanhf(float) __attribute__((simd("notinbranch")));
#define DRNN_VEC_CLONES __attribute__((target_clones("default", "arch=x86-64-v3")))
#else
#define DRNN_VEC_CLONES
#endif

#endif

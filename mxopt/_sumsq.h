/* Sums in double for the norm passes of LAMB and LANS and GroupAdaGrad's
 * row sums.
 *
 * acc[j] += (x[i] * scale)^2 in double for every i with i % 4 == j: four
 * interleaved partial sums, each added in index order, so the result is the
 * one the plain loop `acc[i & 3] += d * d` gives, bit for bit.  The SSE2 code
 * keeps partial sums 0-1 in one register and 2-3 in another, which is that
 * same partition; without SSE2 the plain loop runs.  `scale` is exactly 1.0
 * for a plain sum of squares (x * 1.0 == x).
 *
 * Calls that continue a sum must start at an index that is a multiple of 4
 * of the loop they continue (the block loops of the callers do).
 *
 * C++ (the kernels are compiled as C++): one template per sum, for float
 * and double, behind the plain names the Cython code declares.
 */
#ifndef MXOPT_SUMSQ_H
#define MXOPT_SUMSQ_H

#include <stddef.h>

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define MX_SUMSQ_SSE2 1
#else
#define MX_SUMSQ_SSE2 0
#endif

#if MX_SUMSQ_SSE2
/* x[i..i+3] widened to double: lanes 0-1 in lo, 2-3 in hi */
static inline void mx_load4_pd(const float* x, __m128d* lo, __m128d* hi) {
    __m128 v = _mm_loadu_ps(x);
    *lo = _mm_cvtps_pd(v);
    *hi = _mm_cvtps_pd(_mm_movehl_ps(v, v));
}

static inline void mx_load4_pd(const double* x, __m128d* lo, __m128d* hi) {
    *lo = _mm_loadu_pd(x);
    *hi = _mm_loadu_pd(x + 2);
}
#endif

/* square: acc[i & 3] += (x[i] * scale)^2; otherwise acc[i & 3] += x[i] */
template <typename T, bool square>
static inline void mx_sum4_t(const T* x, ptrdiff_t n, double scale, double* acc) {
    ptrdiff_t i = 0;
#if MX_SUMSQ_SSE2
    __m128d a01 = _mm_loadu_pd(acc), a23 = _mm_loadu_pd(acc + 2);
    const __m128d s = _mm_set1_pd(scale);
    for (; i + 4 <= n; i += 4) {
        __m128d lo, hi;
        mx_load4_pd(x + i, &lo, &hi);
        if (square) {
            lo = _mm_mul_pd(lo, s);
            hi = _mm_mul_pd(hi, s);
            lo = _mm_mul_pd(lo, lo);
            hi = _mm_mul_pd(hi, hi);
        }
        a01 = _mm_add_pd(a01, lo);
        a23 = _mm_add_pd(a23, hi);
    }
    _mm_storeu_pd(acc, a01);
    _mm_storeu_pd(acc + 2, a23);
#endif
    for (; i < n; i++) {
        double d = (double)x[i];
        if (square) {
            d = d * scale;
            d = d * d;
        }
        acc[i & 3] += d;
    }
}

static inline void mx_sumsq4_f32(const float* x, ptrdiff_t n, double scale, double* acc) {
    mx_sum4_t<float, true>(x, n, scale, acc);
}

static inline void mx_sumsq4_f64(const double* x, ptrdiff_t n, double scale, double* acc) {
    mx_sum4_t<double, true>(x, n, scale, acc);
}

/* acc[j] += x[i] for i % 4 == j, in double: the same partition, for values
 * already squared (and rounded) by the caller. */
static inline void mx_sum4_f32(const float* x, ptrdiff_t n, double* acc) {
    mx_sum4_t<float, false>(x, n, 1.0, acc);
}

static inline void mx_sum4_f64(const double* x, ptrdiff_t n, double* acc) {
    mx_sum4_t<double, false>(x, n, 1.0, acc);
}

#endif

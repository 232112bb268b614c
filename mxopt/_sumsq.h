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

static inline void mx_sumsq4_f32(const float* x, ptrdiff_t n, double scale, double* acc) {
    ptrdiff_t i = 0;
#if MX_SUMSQ_SSE2
    __m128d a01 = _mm_loadu_pd(acc), a23 = _mm_loadu_pd(acc + 2);
    const __m128d s = _mm_set1_pd(scale);
    for (; i + 4 <= n; i += 4) {
        __m128 v = _mm_loadu_ps(x + i);
        __m128d lo = _mm_mul_pd(_mm_cvtps_pd(v), s);
        __m128d hi = _mm_mul_pd(_mm_cvtps_pd(_mm_movehl_ps(v, v)), s);
        a01 = _mm_add_pd(a01, _mm_mul_pd(lo, lo));
        a23 = _mm_add_pd(a23, _mm_mul_pd(hi, hi));
    }
    _mm_storeu_pd(acc, a01);
    _mm_storeu_pd(acc + 2, a23);
#endif
    for (; i < n; i++) {
        double d = (double)x[i] * scale;
        acc[i & 3] += d * d;
    }
}

static inline void mx_sumsq4_f64(const double* x, ptrdiff_t n, double scale, double* acc) {
    ptrdiff_t i = 0;
#if MX_SUMSQ_SSE2
    __m128d a01 = _mm_loadu_pd(acc), a23 = _mm_loadu_pd(acc + 2);
    const __m128d s = _mm_set1_pd(scale);
    for (; i + 4 <= n; i += 4) {
        __m128d lo = _mm_mul_pd(_mm_loadu_pd(x + i), s);
        __m128d hi = _mm_mul_pd(_mm_loadu_pd(x + i + 2), s);
        a01 = _mm_add_pd(a01, _mm_mul_pd(lo, lo));
        a23 = _mm_add_pd(a23, _mm_mul_pd(hi, hi));
    }
    _mm_storeu_pd(acc, a01);
    _mm_storeu_pd(acc + 2, a23);
#endif
    for (; i < n; i++) {
        double d = x[i] * scale;
        acc[i & 3] += d * d;
    }
}

/* acc[j] += x[i] for i % 4 == j, in double: the same partition, for values
 * already squared (and rounded) by the caller. */
static inline void mx_sum4_f32(const float* x, ptrdiff_t n, double* acc) {
    ptrdiff_t i = 0;
#if MX_SUMSQ_SSE2
    __m128d a01 = _mm_loadu_pd(acc), a23 = _mm_loadu_pd(acc + 2);
    for (; i + 4 <= n; i += 4) {
        __m128 v = _mm_loadu_ps(x + i);
        a01 = _mm_add_pd(a01, _mm_cvtps_pd(v));
        a23 = _mm_add_pd(a23, _mm_cvtps_pd(_mm_movehl_ps(v, v)));
    }
    _mm_storeu_pd(acc, a01);
    _mm_storeu_pd(acc + 2, a23);
#endif
    for (; i < n; i++)
        acc[i & 3] += (double)x[i];
}

static inline void mx_sum4_f64(const double* x, ptrdiff_t n, double* acc) {
    ptrdiff_t i = 0;
#if MX_SUMSQ_SSE2
    __m128d a01 = _mm_loadu_pd(acc), a23 = _mm_loadu_pd(acc + 2);
    for (; i + 4 <= n; i += 4) {
        a01 = _mm_add_pd(a01, _mm_loadu_pd(x + i));
        a23 = _mm_add_pd(a23, _mm_loadu_pd(x + i + 2));
    }
    _mm_storeu_pd(acc, a01);
    _mm_storeu_pd(acc + 2, a23);
#endif
    for (; i < n; i++)
        acc[i & 3] += x[i];
}

#endif

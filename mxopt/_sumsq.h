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

/* one value into its partial sum: *a += (x * scale)^2 with square, else *a += x */
template <typename T, bool square>
static inline void mx_acc1(T x, double scale, double* a) {
    double d = (double)x;
    if (square) {
        d = d * scale;
        d = d * d;
    }
    *a += d;
}

#if MX_SUMSQ_SSE2
/* x[0..3] into the partial sums 0-1 (a01) and 2-3 (a23), as mx_acc1 does */
template <typename T, bool square>
static inline void mx_acc4(const T* x, __m128d s, __m128d* a01, __m128d* a23) {
    __m128d lo, hi;
    mx_load4_pd(x, &lo, &hi);
    if (square) {
        lo = _mm_mul_pd(lo, s);
        hi = _mm_mul_pd(hi, s);
        lo = _mm_mul_pd(lo, lo);
        hi = _mm_mul_pd(hi, hi);
    }
    *a01 = _mm_add_pd(*a01, lo);
    *a23 = _mm_add_pd(*a23, hi);
}
#endif

/* square: acc[i & 3] += (x[i] * scale)^2; otherwise acc[i & 3] += x[i] */
template <typename T, bool square>
static inline void mx_sum4_t(const T* x, ptrdiff_t n, double scale, double* acc) {
    ptrdiff_t i = 0;
#if MX_SUMSQ_SSE2
    __m128d a01 = _mm_loadu_pd(acc), a23 = _mm_loadu_pd(acc + 2);
    const __m128d s = _mm_set1_pd(scale);
    for (; i + 4 <= n; i += 4)
        mx_acc4<T, square>(x + i, s, &a01, &a23);
    _mm_storeu_pd(acc, a01);
    _mm_storeu_pd(acc + 2, a23);
#endif
    for (; i < n; i++)
        mx_acc1<T, square>(x[i], scale, acc + (i & 3));
}

/* Two sums at once: ax[i & 3] += x[i] and ay[i & 3] += y[i], each with the
 * additions of mx_sum4_t (no squaring) in the same order, so each result is
 * bit for bit the one mx_sum4_t gives.  The two sets of partial sums sit in
 * four registers, so one sum's additions run while the other's wait for
 * theirs (GroupAdaGrad takes its rows two at a time with this). */
template <typename T>
static inline void mx_sum4x2_t(const T* x, const T* y, ptrdiff_t n, double* ax, double* ay) {
    ptrdiff_t i = 0;
#if MX_SUMSQ_SSE2
    __m128d x01 = _mm_loadu_pd(ax), x23 = _mm_loadu_pd(ax + 2);
    __m128d y01 = _mm_loadu_pd(ay), y23 = _mm_loadu_pd(ay + 2);
    const __m128d one = _mm_set1_pd(1.0);
    for (; i + 4 <= n; i += 4) {
        mx_acc4<T, false>(x + i, one, &x01, &x23);
        mx_acc4<T, false>(y + i, one, &y01, &y23);
    }
    _mm_storeu_pd(ax, x01);
    _mm_storeu_pd(ax + 2, x23);
    _mm_storeu_pd(ay, y01);
    _mm_storeu_pd(ay + 2, y23);
#endif
    for (; i < n; i++) {
        mx_acc1<T, false>(x[i], 1.0, ax + (i & 3));
        mx_acc1<T, false>(y[i], 1.0, ay + (i & 3));
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

static inline void mx_sum4x2_f32(const float* x, const float* y, ptrdiff_t n, double* ax,
                                 double* ay) {
    mx_sum4x2_t<float>(x, y, n, ax, ay);
}

static inline void mx_sum4x2_f64(const double* x, const double* y, ptrdiff_t n, double* ax,
                                 double* ay) {
    mx_sum4x2_t<double>(x, y, n, ax, ay);
}

#endif

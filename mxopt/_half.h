/* float16 <-> float32 conversion and OpenMP helpers for mxopt's kernels.
 *
 * float16 is a storage format in mxopt: kernels read IEEE binary16 values as
 * uint16 bit patterns, widen them to float in registers, compute in float and
 * narrow once when storing.  The narrowing rounds to nearest even, matching
 * numpy's astype(float16); NaN becomes the quiet NaN 0x7e00 (with its sign),
 * magnitudes from 65520 up become inf.
 *
 * The scalar conversions have no branches (every candidate is computed and
 * the result picked with integer selects), so that loops calling them
 * vectorise.  The array conversions (mx_half_to_float_n, mx_float_to_half_n)
 * work on 8 values at a time with SSE2, with a short path for the common
 * case; they are two to four times as fast as GCC's vectorisation of the
 * scalar code.  Where the CPU has F16C they use its instructions instead.
 * Scalar, vectorised, SSE2 and F16C code give the same bits for every
 * input (checked on all 2^16 halves and all 2^32 floats against the former
 * branching code).
 */
#ifndef MXOPT_HALF_H
#define MXOPT_HALF_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define MX_HALF_SSE2 1
#else
#define MX_HALF_SSE2 0
#endif

static inline float mx_bits_to_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t mx_float_to_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/* float16 bits -> float.  The half sits in the high 16 bits of a 32-bit word
 * (as SSE2's unpack puts it), exponent and mantissa are moved to the float32
 * positions and rebiased; inf/nan take the all-ones float exponent, zero and
 * subnormals are renormalised by (1 + m/1024) * 2^-14 - 2^-14 (exact).  All
 * comparisons are on non-negative int32 values (SSE2 compares signed). */
static inline float mx_half_to_float(uint16_t h) {
    uint32_t hi = (uint32_t)h << 16;
    int32_t o = (int32_t)((hi & 0x7fff0000u) >> 3);    /* exponent, mantissa */
    int32_t normal = o + ((127 - 15) << 23);
    normal += (o > 0x0f7fffff) ? ((128 - 16) << 23) : 0;  /* inf or nan */
    int32_t tiny = (int32_t)mx_float_to_bits(
        mx_bits_to_float((uint32_t)(o + ((127 - 14) << 23))) - 6.103515625e-05f);
    int32_t r = (o < 0x00800000) ? tiny : normal;       /* zero or subnormal */
    return mx_bits_to_float((uint32_t)r | (hi & 0x80000000u));
}

/* float -> float16 bits, rounding to nearest even.  The magnitude a, clamped
 * to 65536 (inf and nan too), is added to M = 2^(E+13), E its exponent, at
 * least -14: the sum keeps the exponent of M and its mantissa holds k, a
 * rounded to a multiple of 2^(E-10), the float16 spacing (ties to even, by
 * the FPU).  The half is then ((E+14) << 10) + k, which also gives the
 * subnormals (E = -14, k < 1024), the carry into the next exponent (k = 2048)
 * and inf (65520 and up).  NaN, clamped like inf, adds the quiet bit: 0x7e00. */
static inline uint16_t mx_float_to_half(float value) {
    uint32_t bits = mx_float_to_bits(value);
    int32_t a = (int32_t)(bits & 0x7fffffffu);
    int32_t x = (a < 0x47800000) ? a : 0x47800000;      /* min(|value|, 65536) */
    int32_t e = x & 0x7f800000;
    e = (e > (113 << 23)) ? e : (113 << 23);            /* E >= -14 */
    int32_t m = e + (13 << 23);                         /* M = 2^(E+13) */
    int32_t sum = (int32_t)mx_float_to_bits(mx_bits_to_float((uint32_t)x)
                                            + mx_bits_to_float((uint32_t)m));
    int32_t h = (sum - m) + ((m >> 13) - (126 << 10));  /* k + ((E+14) << 10) */
    h |= (a > 0x7f800000) ? 0x200 : 0;                  /* nan */
    return (uint16_t)((uint32_t)h | ((bits >> 16) & 0x8000u));
}

/* The same conversions over arrays, 8 values at a time with SSE2.  Each
 * block of 8 first tries the common case, which needs few instructions:
 * widening, no zero, subnormal, inf or nan among the 8 halves (then a half is
 * its bits moved and rebiased); narrowing, the float's bits rebiased and
 * rounded half to even on the 13 dropped bits (the main branch of the former
 * code), kept when all 8 results lie in [0x400, 0x7c00]: a result in that
 * range is the right half for every float (checked on all 2^32), outside it
 * the float is zero, subnormal, nan or too large.  Otherwise the block takes
 * the steps of the scalar code above. */
#if MX_HALF_SSE2
static inline void mx_half_to_float_8(__m128i h, float* out) {
    const __m128i zero = _mm_setzero_si128();
    const __m128i exp16 = _mm_set1_epi16(0x7c00);
    const __m128i rebias = _mm_set1_epi32((127 - 15) << 23);
    __m128i e = _mm_and_si128(h, exp16);
    __m128i unusual = _mm_or_si128(_mm_cmpeq_epi16(e, zero), _mm_cmpeq_epi16(e, exp16));
    if (_mm_movemask_epi8(unusual) == 0) {
        /* all normal: sign to bit 31, exponent and mantissa 13 bits up */
        const __m128i keep = _mm_set1_epi32((int)0x8fffffffu);
        __m128i lo = _mm_srai_epi32(_mm_unpacklo_epi16(zero, h), 3);
        __m128i hi = _mm_srai_epi32(_mm_unpackhi_epi16(zero, h), 3);
        _mm_storeu_si128((__m128i*)out, _mm_add_epi32(_mm_and_si128(lo, keep), rebias));
        _mm_storeu_si128((__m128i*)(out + 4), _mm_add_epi32(_mm_and_si128(hi, keep), rebias));
        return;
    }
    const __m128i mag = _mm_set1_epi32(0x7fff0000), sign = _mm_set1_epi32((int)0x80000000u);
    const __m128i special = _mm_set1_epi32((128 - 16) << 23);
    const __m128i inf_below = _mm_set1_epi32(0x0f7fffff), normal_min = _mm_set1_epi32(0x00800000);
    const __m128i tiny_bias = _mm_set1_epi32((127 - 14) << 23);
    const __m128 tiny_sub = _mm_set1_ps(6.103515625e-05f);
    for (int k = 0; k < 2; k++) {
        __m128i hi = k == 0 ? _mm_unpacklo_epi16(zero, h) : _mm_unpackhi_epi16(zero, h);
        __m128i o = _mm_srli_epi32(_mm_and_si128(hi, mag), 3);
        __m128i normal = _mm_add_epi32(o, rebias);
        normal = _mm_add_epi32(normal, _mm_and_si128(_mm_cmpgt_epi32(o, inf_below), special));
        __m128i tiny = _mm_castps_si128(_mm_sub_ps(_mm_castsi128_ps(_mm_add_epi32(o, tiny_bias)), tiny_sub));
        __m128i is_tiny = _mm_cmplt_epi32(o, normal_min);
        __m128i r = _mm_or_si128(_mm_and_si128(is_tiny, tiny), _mm_andnot_si128(is_tiny, normal));
        _mm_storeu_si128((__m128i*)(out + 4 * k), _mm_or_si128(r, _mm_and_si128(hi, sign)));
    }
}

static inline __m128i mx_float_to_half_4(__m128i a, __m128i* nan) {
    /* k + ((E+14) << 10) of 4 magnitudes, as int32; *nan gets the nan mask */
    const __m128i expmask = _mm_set1_epi32(0x7f800000), inf = _mm_set1_epi32(0x7f800000);
    const __m128i m_shift = _mm_set1_epi32(13 << 23), h_bias = _mm_set1_epi32(-(126 << 10));
    const __m128 limit = _mm_set1_ps(65536.0f), e_min = _mm_set1_ps(6.103515625e-05f);
    *nan = _mm_cmpgt_epi32(a, inf);
    /* minps/maxps on these non-negative values order like the int32 selects
     * of the scalar code; minps gives its second operand (65536) for nan */
    __m128 x = _mm_min_ps(_mm_castsi128_ps(a), limit);
    __m128 e = _mm_max_ps(_mm_castsi128_ps(_mm_and_si128(_mm_castps_si128(x), expmask)), e_min);
    __m128i m = _mm_add_epi32(_mm_castps_si128(e), m_shift);
    __m128i sum = _mm_castps_si128(_mm_add_ps(x, _mm_castsi128_ps(m)));
    return _mm_add_epi32(_mm_sub_epi32(sum, m), _mm_add_epi32(_mm_srli_epi32(m, 13), h_bias));
}

static inline __m128i mx_float_to_half_8(const float* in) {
    const __m128i absmask = _mm_set1_epi32(0x7fffffff), one = _mm_set1_epi32(1);
    const __m128i rebias_round = _mm_set1_epi32((int)(0xfffu - (112u << 23)));
    __m128i b0 = _mm_castps_si128(_mm_loadu_ps(in)), b1 = _mm_castps_si128(_mm_loadu_ps(in + 4));
    __m128i a0 = _mm_and_si128(b0, absmask), a1 = _mm_and_si128(b1, absmask);
    /* sign bits (bit 15 of the int16 high halves) */
    __m128i sign = _mm_and_si128(_mm_packs_epi32(_mm_srai_epi32(b0, 16), _mm_srai_epi32(b1, 16)),
                                 _mm_set1_epi16((short)0x8000));
    /* common case: rebias, round half to even on the 13 dropped bits */
    __m128i t0 = _mm_add_epi32(_mm_add_epi32(a0, rebias_round), _mm_and_si128(_mm_srli_epi32(a0, 13), one));
    __m128i t1 = _mm_add_epi32(_mm_add_epi32(a1, rebias_round), _mm_and_si128(_mm_srli_epi32(a1, 13), one));
    __m128i t = _mm_packs_epi32(_mm_srli_epi32(t0, 13), _mm_srli_epi32(t1, 13));
    __m128i in_range = _mm_max_epi16(_mm_min_epi16(t, _mm_set1_epi16(0x7c00)), _mm_set1_epi16(0x400));
    if (_mm_movemask_epi8(_mm_cmpeq_epi16(in_range, t)) == 0xffff)
        return _mm_or_si128(t, sign);
    __m128i nan0, nan1;
    __m128i h0 = mx_float_to_half_4(a0, &nan0), h1 = mx_float_to_half_4(a1, &nan1);
    /* all in int16 range: 0 <= h <= 0x7c00, masks -1/0 */
    __m128i h = _mm_packs_epi32(h0, h1);
    h = _mm_or_si128(h, _mm_and_si128(_mm_packs_epi32(nan0, nan1), _mm_set1_epi16(0x200)));
    return _mm_or_si128(h, sign);
}
#endif

/* With F16C (x86 CPUs since about 2012, chosen at run time): vcvtph2ps and
 * vcvtps2ph convert 8 values per instruction, two to three times as fast as
 * the SSE2 code, with the same bits for every input but NaNs: vcvtph2ps sets
 * a signalling NaN's quiet bit, vcvtps2ph keeps a NaN's payload, where
 * mxopt (as numpy) keeps the half's bits and gives the float NaNs 0x7e00.  A
 * block of 8 with a NaN therefore takes the SSE2 steps above.  (Checked on
 * all 2^16 halves and all 2^32 floats.) */
#if MX_HALF_SSE2 && (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define MX_HALF_F16C 1

__attribute__((target("avx,f16c")))
static void mx_half_to_float_n_f16c(const uint16_t* h, float* out, ptrdiff_t n) {
    const __m128i mag = _mm_set1_epi16(0x7fff), inf = _mm_set1_epi16(0x7c00);
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i v = _mm_loadu_si128((const __m128i*)(h + i));
        if (_mm_movemask_epi8(_mm_cmpgt_epi16(_mm_and_si128(v, mag), inf)))
            mx_half_to_float_8(v, out + i);     /* a NaN among the 8 */
        else
            _mm256_storeu_ps(out + i, _mm256_cvtph_ps(v));
    }
    for (; i < n; i++)
        out[i] = mx_half_to_float(h[i]);
}

__attribute__((target("avx,f16c")))
static void mx_float_to_half_n_f16c(const float* in, uint16_t* h, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(in + i);
        __m128i r = _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))
            ? mx_float_to_half_8(in + i)                 /* a NaN among the 8 */
            : _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
        _mm_storeu_si128((__m128i*)(h + i), r);
    }
    for (; i < n; i++)
        h[i] = mx_float_to_half(in[i]);
}
#else
#define MX_HALF_F16C 0
#endif

/* whether the array conversions use F16C: off until mx_half_set_f16c(1),
 * which the module calls at import when the CPU has it */
static int mx_half_use_f16c = 0;

static int mx_half_f16c_available(void) {
#if MX_HALF_F16C
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
#else
    return 0;
#endif
}

/* 1 when done; 0 (and no change) when F16C is asked for and this CPU or
 * build lacks it */
static int mx_half_set_f16c(int on) {
    if (on && !mx_half_f16c_available())
        return 0;
    mx_half_use_f16c = on ? 1 : 0;
    return 1;
}

static int mx_half_f16c(void) { return mx_half_use_f16c; }

static inline void mx_half_to_float_n(const uint16_t* h, float* out, ptrdiff_t n) {
    ptrdiff_t i = 0;
#if MX_HALF_F16C
    if (mx_half_use_f16c) {
        mx_half_to_float_n_f16c(h, out, n);
        return;
    }
#endif
#if MX_HALF_SSE2
    for (ptrdiff_t n8 = n - n % 8; i < n8; i += 8)
        mx_half_to_float_8(_mm_loadu_si128((const __m128i*)(h + i)), out + i);
#endif
    for (; i < n; i++)
        out[i] = mx_half_to_float(h[i]);
}

static inline void mx_float_to_half_n(const float* in, uint16_t* h, ptrdiff_t n) {
    ptrdiff_t i = 0;
#if MX_HALF_F16C
    if (mx_half_use_f16c) {
        mx_float_to_half_n_f16c(in, h, n);
        return;
    }
#endif
#if MX_HALF_SSE2
    for (ptrdiff_t n8 = n - n % 8; i < n8; i += 8)
        _mm_storeu_si128((__m128i*)(h + i), mx_float_to_half_8(in + i));
#endif
    for (; i < n; i++)
        h[i] = mx_float_to_half(in[i]);
}

#ifdef _OPENMP
#include <omp.h>
#define MX_HAVE_OPENMP 1
static inline int mx_omp_max_threads(void) { return omp_get_max_threads(); }
#else
#define MX_HAVE_OPENMP 0
static inline int mx_omp_max_threads(void) { return 1; }
#endif

#ifdef __cplusplus
#include <type_traits>
/* hfloat: a float16 value in registers, for float16 weights updated without a
 * float32 master copy.  Every arithmetic operation with an hfloat operand
 * rounds its result to binary16, which is how MXNet's half_t computes, so the
 * update rules (written once for float/double/hfloat) give MXNet's float16
 * numbers. */
struct hfloat {
    float v;
    hfloat() : v(0.f) {}
    hfloat(float x) : v(mx_half_to_float(mx_float_to_half(x))) {}
    explicit operator float() const { return v; }
};
static inline hfloat mx_hfloat_from_bits(uint16_t h) { hfloat r; r.v = mx_half_to_float(h); return r; }
static inline uint16_t mx_hfloat_to_bits(hfloat x) { return mx_float_to_half(x.v); }
/* mixed operations take only arithmetic types, so that comparisons of ints
 * and enums elsewhere in the module never consider hfloat */
#define MX_HF_ARITHMETIC(T) typename std::enable_if<std::is_arithmetic<T>::value, int>::type = 0
#define MX_HF_ARITH(OP) \
    static inline hfloat operator OP(hfloat a, hfloat b) { return hfloat(a.v OP b.v); } \
    template <typename T, MX_HF_ARITHMETIC(T)> static inline hfloat operator OP(hfloat a, T b) { return hfloat(a.v OP (float)b); } \
    template <typename T, MX_HF_ARITHMETIC(T)> static inline hfloat operator OP(T a, hfloat b) { return hfloat((float)a OP b.v); }
#define MX_HF_CMP(OP) \
    static inline bool operator OP(hfloat a, hfloat b) { return a.v OP b.v; } \
    template <typename T, MX_HF_ARITHMETIC(T)> static inline bool operator OP(hfloat a, T b) { return a.v OP (float)b; } \
    template <typename T, MX_HF_ARITHMETIC(T)> static inline bool operator OP(T a, hfloat b) { return (float)a OP b.v; }
MX_HF_ARITH(+) MX_HF_ARITH(-) MX_HF_ARITH(*) MX_HF_ARITH(/)
MX_HF_CMP(>) MX_HF_CMP(<) MX_HF_CMP(>=) MX_HF_CMP(<=) MX_HF_CMP(==) MX_HF_CMP(!=)
static inline hfloat operator-(hfloat a) { return hfloat(-a.v); }
#endif

#endif

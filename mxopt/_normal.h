/* Standard normal numbers for SGLD's noise.
 *
 * Uniform bits come from xoshiro256++ (Blackman & Vigna, 2019).  The caller
 * cuts its output into blocks of MX_NORMAL_BLOCK numbers; each block draws
 * from streams seeded by splitmix64 from (key, stream index) alone, so a
 * number depends on the key and its position only, never on the thread
 * count or the order blocks are run in.
 *
 * Normal numbers come from the ziggurat method (Marsaglia & Tsang, 2000)
 * with n strips of equal area under f(x) = exp(-x^2 / 2): strip 0 is the
 * base (a rectangle of height f(r) plus the tail beyond r), strip i >= 1 lies
 * between the heights f(x_i) and f(x_{i+1}).  A draw picks a strip i, a sign
 * and a uniform u; z = u * x_i is accepted at once when z < x_{i+1} (98.5%
 * of draws with 256 strips, 99.57% with 1024), otherwise the wedge is tested
 * against f(z), or, in the base strip, z comes from the tail by Marsaglia's
 * exponential method.
 *
 * float64 (mx_normal64_block): 256 strips; one stream per block, one 64-bit
 * draw per candidate (8 bits strip, 1 bit sign, 53 bits u), all in double.
 *
 * float32 (mx_normal32_block): 1024 strips; eight streams per block
 * ("lanes") step together; a round gives 8 x 64 bits, read as 16 32-bit
 * draws in memory order (lane 0 low half, lane 0 high half, lane 1 low half,
 * ...), one per number.  A 32-bit draw holds the strip (bits 0-9), the sign
 * (bit 10) and a 21-bit integer m, u = m / 2^21 (1024 x 2^21 values per sign,
 * as many as 256 strips with 23 bits would give).  The quick test is m < k_i
 * with the integer k_i = ceil(2^21 x_{i+1} / x_i), and z = m * w_i with the
 * float w_i = x_i / 2^21: integer work and one float product, the same bits
 * in the scalar code and in the AVX2 and AVX-512 code (which run 8 or 16
 * draws at a time, table look-ups by gather).  Draws failing the quick test
 * are finished in position order, in double, with uniforms from a ninth
 * stream of the block ("spare"), whose 64-bit outputs also give fresh 32-bit
 * draws when a wedge test fails.  So every instruction set gives the same
 * numbers, and the first n numbers of a block do not depend on how many
 * more are asked for.
 *
 * The instruction set is chosen at start-up from the CPU (x86-64 with GCC or
 * Clang; the scalar code everywhere else); mx_normal_set_isa lets the tests
 * compare the three.
 */
#ifndef MXOPT_NORMAL_H
#define MXOPT_NORMAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define MX_NORMAL_X86 1
#else
#define MX_NORMAL_X86 0
#endif

#define MX_NORMAL_BLOCK 4096          /* numbers per block (a multiple of 16) */
#define MX_NORMAL_LANES 8             /* float32: streams stepping together */
#define MX_NORMAL_ROUND 16            /* float32: numbers per round */
#define MX_NORMAL_SPARE MX_NORMAL_LANES   /* float32: the spare stream's lane */

enum { MX_ISA_SCALAR = 0, MX_ISA_AVX2 = 1, MX_ISA_AVX512 = 2 };

/* A ziggurat of n strips of equal area v under f(x) = exp(-x^2 / 2): x_0 = v /
 * f(r) (the base's virtual width), x_1 = r (where the tail starts), ...,
 * x_n = 0.  float64 numbers use 256 strips, float32 numbers 1024 (fewer
 * draws fail the quick test: 0.43% instead of 1.5%, and each costs far more
 * than a quick one).  r and v solve the construction exactly (x_n = 0). */
#define MX_ZIG_MAX 1024
typedef struct {
    int n;
    double r, v;
    double x[MX_ZIG_MAX + 1];
    double f[MX_ZIG_MAX + 1];     /* f(x_i) */
    int shape[MX_ZIG_MAX];        /* wedge i: 1 convex (x_{i+1} >= 1), -1 concave (x_i <= 1), 0 neither */
    double slope[MX_ZIG_MAX];     /* the chord's slope (f_i - f_{i+1}) / (x_i - x_{i+1}) */
    double mid[MX_ZIG_MAX];       /* the strip's middle m, where the tangent touches */
    double fmid[MX_ZIG_MAX];      /* f(m); the tangent is f(m) (1 - m (z - m)) */
} mx_zig_table;

static mx_zig_table mx_zig64;     /* 256 strips: 8 bits of a 64-bit draw */
static mx_zig_table mx_zig32;     /* 1024 strips: 10 bits of a 32-bit draw */
#define MX_ZIG32_BITS 10                      /* strip bits of a float32 draw */
#define MX_ZIG32_STRIPS (1 << MX_ZIG32_BITS)
#define MX_ZIG32_MBITS (31 - MX_ZIG32_BITS)   /* bits of m, after the sign bit */
static uint32_t mx_zig_k32[MX_ZIG32_STRIPS];  /* float32 quick test: m < k_i */
static float mx_zig_w32[MX_ZIG32_STRIPS];     /* float32: z = m * w_i */
static const double MX_UNIT53 = 1.0 / 9007199254740992.0;   /* 2^-53 */
static int mx_normal_isa_now = MX_ISA_SCALAR;

/* ------------------------------------------------------------ uniform bits */
static inline uint64_t mx_splitmix64(uint64_t* s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline uint64_t mx_rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t mx_xoshiro(uint64_t* s) {
    uint64_t result = mx_rotl64(s[0] + s[3], 23) + s[0];
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = mx_rotl64(s[3], 45);
    return result;
}

/* the state of stream `stream` of `key`: four splitmix64 outputs */
static inline void mx_stream_seed(uint64_t* s, uint64_t key, uint64_t stream) {
    uint64_t sm = key;
    sm = mx_splitmix64(&sm) ^ (stream * 0xD1B54A32D192ED03ULL);
    s[0] = mx_splitmix64(&sm);
    s[1] = mx_splitmix64(&sm);
    s[2] = mx_splitmix64(&sm);
    s[3] = mx_splitmix64(&sm);
}

/* the top 53 bits as a uniform number in [0, 1) (through int64: one
 * instruction, where an unsigned conversion takes several) */
static inline double mx_unit53(uint64_t bits) { return (double)(int64_t)(bits >> 11) * MX_UNIT53; }

/* uniform in (0, 1]: safe under log */
static inline double mx_open01(uint64_t* s) { return mx_unit53(mx_xoshiro(s)) + MX_UNIT53; }

/* ------------------------------------------------------------------ tables */
static void mx_zig_table_init(mx_zig_table* t, int n, double r, double v) {
    int i;
    t->n = n;
    t->r = r;
    t->v = v;
    t->x[0] = v / exp(-0.5 * r * r);
    t->x[1] = r;
    for (i = 1; i < n - 1; i++)   /* the next strip starts where this one's area is used up */
        t->x[i + 1] = sqrt(-2.0 * log(exp(-0.5 * t->x[i] * t->x[i]) + v / t->x[i]));
    t->x[n] = 0.0;
    for (i = 0; i <= n; i++)
        t->f[i] = exp(-0.5 * t->x[i] * t->x[i]);
    for (i = 1; i < n; i++) {
        double a = t->x[i + 1], b = t->x[i];
        t->shape[i] = a >= 1.0 ? 1 : (b <= 1.0 ? -1 : 0);
        t->slope[i] = (t->f[i] - t->f[i + 1]) / (b - a);
        t->mid[i] = 0.5 * (a + b);
        t->fmid[i] = exp(-0.5 * t->mid[i] * t->mid[i]);
    }
}

static void mx_normal_tables(void) {
    mx_zig_table_init(&mx_zig64, 256, 3.6541528853610088, 4.92867323399e-3);
    mx_zig_table_init(&mx_zig32, MX_ZIG32_STRIPS, 4.0388498461095045, 1.2263246463530881e-3);
    for (int i = 0; i < MX_ZIG32_STRIPS; i++) {
        mx_zig_k32[i] = (uint32_t)ceil(ldexp(mx_zig32.x[i + 1] / mx_zig32.x[i], MX_ZIG32_MBITS));
        mx_zig_w32[i] = (float)ldexp(mx_zig32.x[i], -MX_ZIG32_MBITS);
    }
}

/* the tail beyond r by Marsaglia's method: r + a with a ~ Exp(r) accepted
 * with probability exp(-a^2 / 2) */
static inline double mx_zig_tail(const mx_zig_table* t, uint64_t* s) {
    for (;;) {
        double a = -log(mx_open01(s)) / t->r;
        double b = -log(mx_open01(s));
        if (b + b > a * a)
            return t->r + a;
    }
}

/* the wedge test of z in strip i: a uniform height y under the strip's top
 * edge falls below the curve.  Most y are decided without exp: f is convex
 * beyond 1 and concave below, so on a strip that lies on one side the chord
 * through the strip's corners and the tangent at its middle bound f from
 * both sides.  The bounds decide only with a margin (1e-12) far beyond
 * rounding, so the answer is always the one exp gives. */
static inline int mx_zig_wedge(const mx_zig_table* t, int i, double z, uint64_t* s) {
    double y = t->f[i] + mx_unit53(mx_xoshiro(s)) * (t->f[i + 1] - t->f[i]);
    if (t->shape[i]) {
        double chord = t->f[i + 1] + (z - t->x[i + 1]) * t->slope[i];
        double tangent = t->fmid[i] * (1.0 - t->mid[i] * (z - t->mid[i]));
        double below = t->shape[i] > 0 ? tangent : chord;   /* f(z) >= below */
        double above = t->shape[i] > 0 ? chord : tangent;   /* f(z) <= above */
        if (y < below - 1e-12)
            return 1;
        if (y > above + 1e-12)
            return 0;
    }
    return y < exp(-0.5 * z * z);
}

/* ----------------------------------------------------------------- float64 */
static inline double mx_normal64_one(uint64_t* s) {
    for (;;) {
        uint64_t bits = mx_xoshiro(s);
        int i = (int)(bits & 255);
        /* bit 8 gives the sign as a factor +1 or -1: no branch to mispredict */
        double sign = 1.0 - (double)(int)((bits >> 7) & 2);
        double z = mx_unit53(bits) * mx_zig64.x[i];
        if (z < mx_zig64.x[i + 1])
            return z * sign;
        if (i == 0)
            return mx_zig_tail(&mx_zig64, s) * sign;
        if (mx_zig_wedge(&mx_zig64, i, z, s))
            return z * sign;
    }
}

/* numbers 0..n-1 (n <= MX_NORMAL_BLOCK) of block `block` */
static void mx_normal64_block(double* out, ptrdiff_t n, uint64_t key, uint64_t block) {
    uint64_t s[4];
    mx_stream_seed(s, key, block);
    for (ptrdiff_t i = 0; i < n; i++)
        out[i] = mx_normal64_one(s);
}

/* ----------------------------------------------------------------- float32 */
/* z with the draw's sign: bit 10 moved to the float's sign bit */
static inline float mx_zig32_signed(float z, uint32_t u) {
    uint32_t b;
    memcpy(&b, &z, 4);
    b ^= (u << (31 - MX_ZIG32_BITS)) & 0x80000000u;
    memcpy(&z, &b, 4);
    return z;
}

/* the quick path of one draw: writes m * w_i with its sign, returns whether
 * it is accepted */
static inline int mx_zig32_quick(uint32_t u, float* out) {
    uint32_t i = u & (MX_ZIG32_STRIPS - 1), m = u >> (MX_ZIG32_BITS + 1);
    *out = mx_zig32_signed((float)(int32_t)m * mx_zig_w32[i], u);
    return m < mx_zig_k32[i];
}

/* a draw that failed the quick test, finished with the spare stream */
static float mx_zig32_finish(uint32_t u, uint64_t* spare) {
    float z;
    for (;;) {
        int i = (int)(u & (MX_ZIG32_STRIPS - 1));
        if (mx_zig32_quick(u, &z))
            return z;                      /* a fresh draw may pass at once */
        if (i == 0)
            return mx_zig32_signed((float)mx_zig_tail(&mx_zig32, spare), u);
        z = fabsf(z);
        if (mx_zig_wedge(&mx_zig32, i, (double)z, spare))
            return mx_zig32_signed(z, u);
        u = (uint32_t)mx_xoshiro(spare);
    }
}

/* the lanes' states: word j of lane l at s[j * MX_NORMAL_LANES + l]; the
 * spare stream apart */
typedef struct {
    uint64_t s[4 * MX_NORMAL_LANES];
    uint64_t spare[4];
} mx_normal32_state;

typedef void (*mx_normal32_rounds_fn)(float* out, ptrdiff_t rounds, mx_normal32_state* st);

static void mx_normal32_rounds_scalar(float* out, ptrdiff_t rounds, mx_normal32_state* st) {
    uint64_t* s = st->s;
    for (ptrdiff_t r = 0; r < rounds; r++, out += MX_NORMAL_ROUND) {
        uint32_t u[MX_NORMAL_ROUND];
        unsigned reject = 0;
        for (int l = 0; l < MX_NORMAL_LANES; l++) {
            uint64_t lane[4] = {s[l], s[MX_NORMAL_LANES + l], s[2 * MX_NORMAL_LANES + l],
                                s[3 * MX_NORMAL_LANES + l]};
            uint64_t bits = mx_xoshiro(lane);
            for (int j = 0; j < 4; j++)
                s[j * MX_NORMAL_LANES + l] = lane[j];
            u[2 * l] = (uint32_t)bits;
            u[2 * l + 1] = (uint32_t)(bits >> 32);
        }
        for (int j = 0; j < MX_NORMAL_ROUND; j++)
            if (!mx_zig32_quick(u[j], out + j))
                reject |= 1u << j;
        for (; reject; reject &= reject - 1) {
            int j = __builtin_ctz(reject);
            out[j] = mx_zig32_finish(u[j], st->spare);
        }
    }
}

#if MX_NORMAL_X86
/* The SIMD rounds write every quick-path number and collect the draws that
 * fail the quick test (and their positions) in a list, without a branch
 * (about one round in fifteen has one); the list is finished after the last
 * round, in position order as the scalar code does. */
#define MX_REJECT_CAP (MX_NORMAL_BLOCK + MX_NORMAL_ROUND)

/* the pair (k_i, w_i) as one 64-bit word, for one gather per draw */
static uint64_t mx_zig_kw[MX_ZIG32_STRIPS];
/* AVX2's list compaction: for each 8-bit mask, the indices of its set bits
 * first (as vpermd takes them) */
static uint32_t mx_compact8[256][8];

static void mx_normal_simd_tables(void) {
    for (int i = 0; i < MX_ZIG32_STRIPS; i++) {
        uint32_t wbits;
        memcpy(&wbits, &mx_zig_w32[i], 4);
        mx_zig_kw[i] = ((uint64_t)wbits << 32) | mx_zig_k32[i];
    }
    for (int i = 0; i < 256; i++) {
        int c = 0;
        for (int j = 0; j < 8; j++)
            if (i & (1 << j))
                mx_compact8[i][c++] = (uint32_t)j;
        for (; c < 8; c++)
            mx_compact8[i][c] = 0;
    }
}

static void mx_finish_list(float* out, const uint32_t* u, const uint32_t* pos, ptrdiff_t n,
                           uint64_t* spare) {
    for (ptrdiff_t j = 0; j < n; j++)
        out[pos[j]] = mx_zig32_finish(u[j], spare);
}

#define MX_ROTL_256(x, k) _mm256_or_si256(_mm256_slli_epi64((x), (k)), _mm256_srli_epi64((x), 64 - (k)))

/* one xoshiro256++ step of four lanes held in s0..s3 */
#define MX_XOSHIRO_256(out, s0, s1, s2, s3) do {                                     \
        __m256i t_;                                                                  \
        (out) = _mm256_add_epi64(MX_ROTL_256(_mm256_add_epi64((s0), (s3)), 23), (s0)); \
        t_ = _mm256_slli_epi64((s1), 17);                                            \
        (s2) = _mm256_xor_si256((s2), (s0));                                         \
        (s3) = _mm256_xor_si256((s3), (s1));                                         \
        (s1) = _mm256_xor_si256((s1), (s2));                                         \
        (s0) = _mm256_xor_si256((s0), (s3));                                         \
        (s2) = _mm256_xor_si256((s2), t_);                                           \
        (s3) = MX_ROTL_256((s3), 45);                                                \
    } while (0)

/* the quick path of the 8 draws u at positions pos: stores the numbers at
 * out, appends the rejected draws and positions to the lists, returns their
 * new length */
__attribute__((target("avx2,popcnt")))
static inline ptrdiff_t mx_zig32_quick8(__m256i u, __m256i pos, float* out, uint32_t* ru,
                                        uint32_t* rpos, ptrdiff_t nrej) {
    /* (k, w) of draws 0,1,4,5 and 2,3,6,7: the unpacks below then put them in order */
    const __m256i strip = _mm256_permutevar8x32_epi32(_mm256_and_si256(u, _mm256_set1_epi32(MX_ZIG32_STRIPS - 1)),
                                                      _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7));
    const __m256 g0 = _mm256_castsi256_ps(_mm256_i32gather_epi64(
        (const long long*)mx_zig_kw, _mm256_castsi256_si128(strip), 8));
    const __m256 g1 = _mm256_castsi256_ps(_mm256_i32gather_epi64(
        (const long long*)mx_zig_kw, _mm256_extracti128_si256(strip, 1), 8));
    const __m256i k = _mm256_castps_si256(_mm256_shuffle_ps(g0, g1, _MM_SHUFFLE(2, 0, 2, 0)));
    const __m256 w = _mm256_shuffle_ps(g0, g1, _MM_SHUFFLE(3, 1, 3, 1));
    const __m256i m = _mm256_srli_epi32(u, MX_ZIG32_BITS + 1);
    __m256 z = _mm256_mul_ps(_mm256_cvtepi32_ps(m), w);
    const __m256i sign = _mm256_and_si256(_mm256_slli_epi32(u, 31 - MX_ZIG32_BITS),
                                          _mm256_set1_epi32((int)0x80000000u));
    z = _mm256_castsi256_ps(_mm256_xor_si256(_mm256_castps_si256(z), sign));
    _mm256_storeu_ps(out, z);
    /* rejected: m >= k (both below 2^31: the signed compare is exact) */
    const unsigned reject = 0xFFu & ~(unsigned)_mm256_movemask_ps(
        _mm256_castsi256_ps(_mm256_cmpgt_epi32(k, m)));
    const __m256i order = _mm256_loadu_si256((const __m256i*)mx_compact8[reject]);
    _mm256_storeu_si256((__m256i*)(ru + nrej), _mm256_permutevar8x32_epi32(u, order));
    _mm256_storeu_si256((__m256i*)(rpos + nrej), _mm256_permutevar8x32_epi32(pos, order));
    return nrej + _mm_popcnt_u32(reject);
}

__attribute__((target("avx2,popcnt")))
static void mx_normal32_rounds_avx2(float* out, ptrdiff_t rounds, mx_normal32_state* st) {
    uint64_t* s = st->s;
    uint32_t ru[MX_REJECT_CAP], rpos[MX_REJECT_CAP];
    ptrdiff_t nrej = 0;
    __m256i a0 = _mm256_loadu_si256((const __m256i*)(s + 0)), b0 = _mm256_loadu_si256((const __m256i*)(s + 4));
    __m256i a1 = _mm256_loadu_si256((const __m256i*)(s + 8)), b1 = _mm256_loadu_si256((const __m256i*)(s + 12));
    __m256i a2 = _mm256_loadu_si256((const __m256i*)(s + 16)), b2 = _mm256_loadu_si256((const __m256i*)(s + 20));
    __m256i a3 = _mm256_loadu_si256((const __m256i*)(s + 24)), b3 = _mm256_loadu_si256((const __m256i*)(s + 28));
    __m256i pos = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i eight = _mm256_set1_epi32(8);
    for (ptrdiff_t r = 0; r < rounds; r++) {
        __m256i ua, ub;
        MX_XOSHIRO_256(ua, a0, a1, a2, a3);   /* lanes 0-3: numbers 0-7 of the round */
        MX_XOSHIRO_256(ub, b0, b1, b2, b3);   /* lanes 4-7: numbers 8-15 */
        nrej = mx_zig32_quick8(ua, pos, out + r * MX_NORMAL_ROUND, ru, rpos, nrej);
        pos = _mm256_add_epi32(pos, eight);
        nrej = mx_zig32_quick8(ub, pos, out + r * MX_NORMAL_ROUND + 8, ru, rpos, nrej);
        pos = _mm256_add_epi32(pos, eight);
    }
    _mm256_storeu_si256((__m256i*)(s + 0), a0); _mm256_storeu_si256((__m256i*)(s + 4), b0);
    _mm256_storeu_si256((__m256i*)(s + 8), a1); _mm256_storeu_si256((__m256i*)(s + 12), b1);
    _mm256_storeu_si256((__m256i*)(s + 16), a2); _mm256_storeu_si256((__m256i*)(s + 20), b2);
    _mm256_storeu_si256((__m256i*)(s + 24), a3); _mm256_storeu_si256((__m256i*)(s + 28), b3);
    mx_finish_list(out, ru, rpos, nrej, st->spare);
}

__attribute__((target("avx512f,popcnt")))
static void mx_normal32_rounds_avx512(float* out, ptrdiff_t rounds, mx_normal32_state* st) {
    uint64_t* s = st->s;
    uint32_t ru[MX_REJECT_CAP], rpos[MX_REJECT_CAP];
    ptrdiff_t nrej = 0;
    __m512i s0 = _mm512_loadu_si512(s + 0), s1 = _mm512_loadu_si512(s + 8);
    __m512i s2 = _mm512_loadu_si512(s + 16), s3 = _mm512_loadu_si512(s + 24);
    const __m512i low = _mm512_set1_epi32(MX_ZIG32_STRIPS - 1), signbit = _mm512_set1_epi32((int)0x80000000u);
    /* (k, w) of draws 0,1,4,5,8,9,12,13 and 2,3,6,7,10,11,14,15: the unpacks
     * below then put them in order */
    const __m512i split = _mm512_setr_epi32(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
    const __m512i sixteen = _mm512_set1_epi32(16);
    __m512i pos = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (ptrdiff_t r = 0; r < rounds; r++, out += MX_NORMAL_ROUND) {
        /* one xoshiro256++ step of the eight lanes: the round's 16 draws */
        const __m512i u = _mm512_add_epi64(_mm512_rol_epi64(_mm512_add_epi64(s0, s3), 23), s0);
        const __m512i t = _mm512_slli_epi64(s1, 17);
        s2 = _mm512_xor_si512(s2, s0);
        s3 = _mm512_xor_si512(s3, s1);
        s1 = _mm512_xor_si512(s1, s2);
        s0 = _mm512_xor_si512(s0, s3);
        s2 = _mm512_xor_si512(s2, t);
        s3 = _mm512_rol_epi64(s3, 45);
        /* the quick path of the 16 draws */
        const __m512i strip = _mm512_permutexvar_epi32(split, _mm512_and_si512(u, low));
        const __m512 g0 = _mm512_castsi512_ps(_mm512_i32gather_epi64(
            _mm512_castsi512_si256(strip), (const void*)mx_zig_kw, 8));
        const __m512 g1 = _mm512_castsi512_ps(_mm512_i32gather_epi64(
            _mm512_extracti64x4_epi64(strip, 1), (const void*)mx_zig_kw, 8));
        const __m512i k = _mm512_castps_si512(_mm512_shuffle_ps(g0, g1, _MM_SHUFFLE(2, 0, 2, 0)));
        const __m512 w = _mm512_shuffle_ps(g0, g1, _MM_SHUFFLE(3, 1, 3, 1));
        const __m512i m = _mm512_srli_epi32(u, MX_ZIG32_BITS + 1);
        const __m512i z = _mm512_castps_si512(_mm512_mul_ps(_mm512_cvtepi32_ps(m), w));
        const __m512i sign = _mm512_and_si512(_mm512_slli_epi32(u, 31 - MX_ZIG32_BITS), signbit);
        _mm512_storeu_si512(out, _mm512_xor_si512(z, sign));
        const __mmask16 reject = _mm512_cmpge_epu32_mask(m, k);
        _mm512_storeu_si512(ru + nrej, _mm512_maskz_compress_epi32(reject, u));
        _mm512_storeu_si512(rpos + nrej, _mm512_maskz_compress_epi32(reject, pos));
        nrej += _mm_popcnt_u32((unsigned)reject);
        pos = _mm512_add_epi32(pos, sixteen);
    }
    _mm512_storeu_si512(s + 0, s0);
    _mm512_storeu_si512(s + 8, s1);
    _mm512_storeu_si512(s + 16, s2);
    _mm512_storeu_si512(s + 24, s3);
    mx_finish_list(out - rounds * MX_NORMAL_ROUND, ru, rpos, nrej, st->spare);
}
#endif

static mx_normal32_rounds_fn mx_normal32_rounds = mx_normal32_rounds_scalar;

#define MX_PREFETCH_RANGES 6
#define MX_PREFETCH_ROUNDS 8          /* rounds between two bursts of prefetches */

/* numbers 0..n-1 (n <= MX_NORMAL_BLOCK) of block `block`.  While it
 * computes, the caller's next memory (nranges <= MX_PREFETCH_RANGES byte
 * ranges, e.g. the weights and gradients the numbers are for) is prefetched
 * a few cache lines at a time, so the memory bus works during the
 * arithmetic; no effect on the numbers. */
static void mx_normal32_block_prefetch(float* out, ptrdiff_t n, uint64_t key, uint64_t block,
                                       const char* const* ranges, const size_t* bytes,
                                       int nranges) {
    mx_normal32_state st;
    ptrdiff_t full = n / MX_NORMAL_ROUND, rest = n % MX_NORMAL_ROUND, r, step;
    uint64_t first = block * (uint64_t)(MX_NORMAL_LANES + 1);
    size_t done[MX_PREFETCH_RANGES] = {0};
    for (int l = 0; l < MX_NORMAL_LANES; l++) {
        uint64_t lane[4];
        mx_stream_seed(lane, key, first + (uint64_t)l);
        for (int j = 0; j < 4; j++)
            st.s[j * MX_NORMAL_LANES + l] = lane[j];
    }
    mx_stream_seed(st.spare, key, first + MX_NORMAL_SPARE);
    if (nranges > MX_PREFETCH_RANGES)
        nranges = MX_PREFETCH_RANGES;
    for (r = 0; r < full; r += step) {
        step = full - r < MX_PREFETCH_ROUNDS ? full - r : MX_PREFETCH_ROUNDS;
        mx_normal32_rounds(out + r * MX_NORMAL_ROUND, step, &st);
        for (int q = 0; q < nranges; q++) {
            /* this burst's share of range q, in 64-byte lines */
            size_t upto = full ? bytes[q] * (size_t)(r + step) / (size_t)full : bytes[q];
            for (; done[q] < upto; done[q] += 64)
                __builtin_prefetch(ranges[q] + done[q], 1, 3);
        }
    }
    if (rest) {
        float last[MX_NORMAL_ROUND];
        mx_normal32_rounds(last, 1, &st);
        memcpy(out + full * MX_NORMAL_ROUND, last, sizeof(float) * (size_t)rest);
    }
}

static void mx_normal32_block(float* out, ptrdiff_t n, uint64_t key, uint64_t block) {
    mx_normal32_block_prefetch(out, n, key, block, NULL, NULL, 0);
}

/* ------------------------------------------------------- instruction sets */
static int mx_normal_isa_available(int isa) {
    if (isa == MX_ISA_SCALAR)
        return 1;
#if MX_NORMAL_X86
    __builtin_cpu_init();
    if (isa == MX_ISA_AVX2)
        return __builtin_cpu_supports("avx2");
    if (isa == MX_ISA_AVX512)
        return __builtin_cpu_supports("avx512f");
#endif
    return 0;
}

/* use `isa` for the float32 numbers; 0 (and no change) when this CPU or
 * build lacks it */
static int mx_normal_set_isa(int isa) {
    if (!mx_normal_isa_available(isa))
        return 0;
#if MX_NORMAL_X86
    mx_normal32_rounds = isa == MX_ISA_AVX512 ? mx_normal32_rounds_avx512
                       : isa == MX_ISA_AVX2 ? mx_normal32_rounds_avx2
                       : mx_normal32_rounds_scalar;
#endif
    mx_normal_isa_now = isa;
    return 1;
}

static int mx_normal_isa(void) { return mx_normal_isa_now; }

/* tables, and the widest instruction set the CPU has */
static void mx_normal_init(void) {
    mx_normal_tables();
#if MX_NORMAL_X86
    mx_normal_simd_tables();
#endif
    if (!mx_normal_set_isa(MX_ISA_AVX512) && !mx_normal_set_isa(MX_ISA_AVX2))
        mx_normal_set_isa(MX_ISA_SCALAR);
}

#endif

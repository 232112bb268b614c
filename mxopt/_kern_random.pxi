# Standard normal numbers for SGLD's noise, generated in parallel.
#
# Uniform bits: xoshiro256++ (Blackman & Vigna, 2019).  The output array is
# cut into blocks of RNG_BLOCK elements and block b draws from its own stream,
# whose state is four splitmix64 outputs seeded from (key, b).  So the numbers
# depend on the key and the element's position only, never on the thread
# count or the schedule.
#
# Normal numbers: the ziggurat method (Marsaglia & Tsang, 2000) with 256
# strips of equal area under f(x) = exp(-x^2 / 2), written here from the
# method's definition.  Strip 0 is the base: a rectangle of height f(r) plus
# the tail beyond r; strip i >= 1 lies between the heights f(x_i) and
# f(x_{i+1}).  One 64-bit draw gives the strip (8 bits), the sign (1 bit) and
# a 53-bit uniform u; z = u * x_i is accepted at once when z < x_{i+1}
# (about 99% of draws), otherwise the wedge is tested against f(z), or, in
# the base strip, z comes from the tail by Marsaglia's exponential method.

from libc.math cimport exp as _rng_exp, log as _rng_log, sqrt as _rng_sqrt
from libc.stdint cimport uint64_t, int64_t

cdef enum:
    RNG_BLOCK = 4096

# r and v for 256 strips: the base strip's start and every strip's area
cdef double _ZIG_R = 3.6541528853610088
cdef double _ZIG_V = 4.92867323399e-3
cdef double _zig_x[257]   # x_0 = v / f(r) (the base strip's virtual width), x_1 = r, ..., x_256 = 0
cdef double _zig_f[257]   # f(x_i)
cdef double _RNG_UNIT = 1.0 / 9007199254740992.0   # 2^-53


cdef void _zig_tables() noexcept:
    cdef int i
    _zig_x[0] = _ZIG_V / _rng_exp(-0.5 * _ZIG_R * _ZIG_R)
    _zig_x[1] = _ZIG_R
    for i in range(1, 255):
        # the next strip starts where this one's area v is used up
        _zig_x[i + 1] = _rng_sqrt(-2.0 * _rng_log(_rng_exp(-0.5 * _zig_x[i] * _zig_x[i])
                                                  + _ZIG_V / _zig_x[i]))
    _zig_x[256] = 0.0
    for i in range(257):
        _zig_f[i] = _rng_exp(-0.5 * _zig_x[i] * _zig_x[i])


_zig_tables()


cdef inline uint64_t _splitmix64(uint64_t* s) noexcept nogil:
    cdef uint64_t z
    s[0] += <uint64_t>0x9E3779B97F4A7C15
    z = s[0]
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    return z ^ (z >> 31)


cdef inline uint64_t _rotl(uint64_t x, int k) noexcept nogil:
    return (x << k) | (x >> (64 - k))


cdef inline uint64_t _xoshiro(uint64_t* s) noexcept nogil:
    cdef uint64_t result = _rotl(s[0] + s[3], 23) + s[0]
    cdef uint64_t t = s[1] << 17
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


cdef inline void _rng_seed(uint64_t* s, uint64_t key, uint64_t block) noexcept nogil:
    cdef uint64_t sm = key
    cdef uint64_t mixed = _splitmix64(&sm)
    sm = mixed ^ (block * <uint64_t>0xD1B54A32D192ED03)
    s[0] = _splitmix64(&sm)
    s[1] = _splitmix64(&sm)
    s[2] = _splitmix64(&sm)
    s[3] = _splitmix64(&sm)


cdef inline double _rng_unit(uint64_t bits) noexcept nogil:
    # the top 53 bits as a uniform number in [0, 1) (through int64: one
    # instruction, where an unsigned conversion takes several)
    return <double><int64_t>(bits >> 11) * _RNG_UNIT


cdef inline double _rng_open01(uint64_t* s) noexcept nogil:
    # uniform in (0, 1]: safe under log
    return _rng_unit(_xoshiro(s)) + _RNG_UNIT


cdef inline double _rng_normal(uint64_t* s) noexcept nogil:
    cdef uint64_t bits
    cdef int i
    cdef double z, a, b, sign
    while True:
        bits = _xoshiro(s)
        i = <int>(bits & 255)
        # bit 8 gives the sign as a factor +1 or -1: no branch to mispredict
        sign = 1.0 - <double>(<int>((bits >> 7) & 2))
        z = _rng_unit(bits) * _zig_x[i]
        if z < _zig_x[i + 1]:
            return z * sign
        if i == 0:
            # the tail beyond r
            while True:
                a = -_rng_log(_rng_open01(s)) / _ZIG_R
                b = -_rng_log(_rng_open01(s))
                if b + b > a * a:
                    return (_ZIG_R + a) * sign
        # the wedge between the strip's rectangle and the curve
        if _zig_f[i] + _rng_unit(_xoshiro(s)) * (_zig_f[i + 1] - _zig_f[i]) < _rng_exp(-0.5 * z * z):
            return z * sign


cdef void _rng_fill_block(floating* out, Py_ssize_t n, uint64_t key,
                          uint64_t block) noexcept nogil:
    cdef uint64_t s[4]
    cdef Py_ssize_t i
    _rng_seed(s, key, block)
    for i in range(n):
        out[i] = <floating>_rng_normal(s)


cdef void _rng_fill(floating* out, Py_ssize_t n, uint64_t key) noexcept nogil:
    cdef Py_ssize_t b, nb = (n + RNG_BLOCK - 1) // RNG_BLOCK, start
    cdef int nt = threads_for(n)
    for b in prange(nb, schedule='static', num_threads=nt):
        start = b * RNG_BLOCK
        _rng_fill_block(out + start, n - start if n - start < RNG_BLOCK else RNG_BLOCK,
                        key, <uint64_t>b)


def standard_normal_fill(cnp.ndarray out, key):
    """Fill the C-contiguous float32 or float64 array ``out`` with standard
    normal numbers determined by ``key`` (an integer in [0, 2**64)) and each
    element's position; the thread count does not change them."""
    cdef uint64_t k
    if not isinstance(key, (int, np.integer)) or isinstance(key, (bool, np.bool_)):
        raise TypeError("key must be an integer, received %s" % type(key).__name__)
    if not 0 <= int(key) < 2 ** 64:
        raise ValueError("key must be in [0, 2**64), received %d" % int(key))
    if not cnp.PyArray_IS_C_CONTIGUOUS(out):
        raise ValueError("out must be C-contiguous")
    if not cnp.PyArray_ISWRITEABLE(out):
        raise ValueError("out is read-only")
    k = <uint64_t>int(key)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(out)
    if out.dtype.num == cnp.NPY_FLOAT32:
        with nogil:
            _rng_fill(<float*>cnp.PyArray_DATA(out), n, k)
    elif out.dtype.num == cnp.NPY_FLOAT64:
        with nogil:
            _rng_fill(<double*>cnp.PyArray_DATA(out), n, k)
    else:
        raise TypeError("out must be float32 or float64, received %s" % out.dtype)

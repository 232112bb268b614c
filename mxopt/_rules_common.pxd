# cython: language_level=3
"""Shared declarations for the per-optimizer update rules (``_rules_*.pxd``).

Each ``_rules_<family>.pxd`` holds the scalar update rules of one optimizer
family as ``cdef inline`` functions on one element, plus one ``# kernel:``
line per rule that tells the kernel generator (``setup.py``) which state
arrays and hyperparameters the rule takes.  The generator stamps every loop
(dense, row-sparse lazy, row-sparse standard, float16 with and without a
float32 master copy, multi-tensor) around each rule, so a rule is written once.

Rule signature, in this order::

    cdef inline void NAME_rule(real* w, real g, real* state..., real lr,
                               real wd, real rescale, real clip_bound,
                               real hyper...) noexcept nogil

``clip_bound < 0`` means no clipping (MXNet passes -1 for "off").
"""

cdef extern from "_half.h" nogil:
    float mx_half_to_float(unsigned short h)
    unsigned short mx_float_to_half(float f)
    void mx_half_to_float_n(const unsigned short* h, float* out, Py_ssize_t n)
    void mx_float_to_half_n(const float* x, unsigned short* out, Py_ssize_t n)
    int mx_omp_max_threads()
    int MX_HAVE_OPENMP

cdef extern from "<math.h>" nogil:
    float sqrtf(float x)
    double sqrt(double x)
    float fabsf(float x)
    double fabs(double x)
    float powf(float x, float y)
    double pow(double x, double y)
    float expf(float x)
    double exp(double x)

    cdef cppclass hfloat:
        # float16 arithmetic: every operation rounds to binary16 (MXNet's half_t)
        float v
        hfloat()
        hfloat(float)
        hfloat operator+(hfloat)
        hfloat operator-(hfloat)
        hfloat operator*(hfloat)
        hfloat operator/(hfloat)
        hfloat operator+(double)
        hfloat operator-(double)
        hfloat operator*(double)
        hfloat operator/(double)
        hfloat operator-()
        bint operator>(hfloat)
        bint operator<(hfloat)
        bint operator>=(hfloat)
        bint operator<=(hfloat)
        bint operator==(hfloat)
        bint operator>(double)
        bint operator<(double)
        bint operator>=(double)
        bint operator<=(double)
        bint operator==(double)
        hfloat operator+(long)
        hfloat operator-(long)
        hfloat operator*(long)
        hfloat operator/(long)
        bint operator>(long)
        bint operator<(long)
        bint operator>=(long)
        bint operator<=(long)
        bint operator==(long)
    hfloat operator+(double, hfloat)
    hfloat operator-(double, hfloat)
    hfloat operator*(double, hfloat)
    hfloat operator/(double, hfloat)
    hfloat operator+(long, hfloat)
    hfloat operator-(long, hfloat)
    hfloat operator*(long, hfloat)
    hfloat operator/(long, hfloat)
    hfloat mx_hfloat_from_bits(unsigned short)
    unsigned short mx_hfloat_to_bits(hfloat)

# storage/compute types of the float32 and float64 loops
ctypedef fused floating:
    float
    double

# compute types of the rules: float, double, and float16 arithmetic
ctypedef fused real:
    float
    double
    hfloat


cdef inline real clip(real x, real bound) noexcept nogil:
    # MXNet's clip: NaN passes through unchanged
    if x > bound:
        return bound
    if x < -bound:
        return -bound
    return x


cdef inline real one_minus(real x) noexcept nogil:
    # 1 - x in the compute type: Cython writes a bare `1 - x` as `1.0 - x`,
    # which C evaluates in double for float operands
    cdef real one
    if real is hfloat:
        one = hfloat(1.0)
    else:
        one = 1
    return one - x


cdef inline real square_root(real x) noexcept nogil:
    if real is float:
        return sqrtf(x)
    elif real is double:
        return sqrt(x)
    else:
        return hfloat(sqrtf(x.v))


cdef inline real absolute(real x) noexcept nogil:
    if real is float:
        return fabsf(x)
    elif real is double:
        return fabs(x)
    else:
        return hfloat(fabsf(x.v))


cdef inline real power(real x, real y) noexcept nogil:
    if real is float:
        return powf(x, y)
    elif real is double:
        return pow(x, y)
    else:
        return hfloat(powf(x.v, y.v))


cdef inline real exponential(real x) noexcept nogil:
    if real is float:
        return expf(x)
    elif real is double:
        return exp(x)
    else:
        return hfloat(expf(x.v))


cdef inline real sign(real x) noexcept nogil:
    if real is hfloat:
        return hfloat(1.0) if x > 0 else (hfloat(-1.0) if x < 0 else hfloat(0.0))
    else:
        return 1 if x > 0 else (-1 if x < 0 else 0)

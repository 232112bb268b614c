# Standard normal numbers for SGLD's noise (the generator is in _normal.h:
# xoshiro256++ streams per block of RNG_BLOCK numbers, the ziggurat method;
# the numbers depend on the key and their position only), and SGLD's step
# with the noise drawn block by block into L1 instead of a whole array.

from libc.stdint cimport uint64_t

cdef extern from "_normal.h" nogil:
    enum:
        RNG_BLOCK "MX_NORMAL_BLOCK"
        MX_ISA_SCALAR
        MX_ISA_AVX2
        MX_ISA_AVX512
    void mx_normal_init()
    void mx_normal32_block(float* out, Py_ssize_t n, uint64_t key, uint64_t block)
    void mx_normal32_block_prefetch(float* out, Py_ssize_t n, uint64_t key, uint64_t block,
                                    const char* const* ranges, const size_t* nbytes,
                                    int nranges)
    enum:
        MX_PREFETCH_RANGES
    void mx_normal64_block(double* out, Py_ssize_t n, uint64_t key, uint64_t block)
    int mx_normal_isa_available(int isa)
    int mx_normal_set_isa(int isa)
    int mx_normal_isa()

mx_normal_init()

_NORMAL_ISAS = {"scalar": MX_ISA_SCALAR, "avx2": MX_ISA_AVX2, "avx512": MX_ISA_AVX512}


def normal_isas():
    """The instruction sets this CPU and build can run the float32 normal
    generator with (every one gives the same numbers)."""
    return [name for name, isa in _NORMAL_ISAS.items() if mx_normal_isa_available(isa)]


def get_normal_isa():
    """The instruction set the float32 normal generator uses."""
    cdef int isa = mx_normal_isa()
    return [name for name, code in _NORMAL_ISAS.items() if code == isa][0]


def set_normal_isa(str name):
    """Use the instruction set ``name`` (one of :func:`normal_isas`) for the
    float32 normal numbers; for tests and benchmarks."""
    _choose_isa(name, _NORMAL_ISAS, mx_normal_set_isa, normal_isas)


cdef inline void _rng_fill_block(floating* out, Py_ssize_t n, uint64_t key,
                                 uint64_t block) noexcept nogil:
    if floating is float:
        mx_normal32_block(out, n, key, block)
    else:
        mx_normal64_block(out, n, key, block)


cdef void _rng_fill(floating* out, Py_ssize_t n, uint64_t key) noexcept nogil:
    cdef Py_ssize_t b, nb = (n + RNG_BLOCK - 1) // RNG_BLOCK, start
    cdef int nt = threads_for(n)
    for b in prange(nb, schedule='static', num_threads=nt):
        start = b * RNG_BLOCK
        _rng_fill_block(out + start, n - start if n - start < RNG_BLOCK else RNG_BLOCK,
                        key, <uint64_t>b)


cdef uint64_t _rng_key(object key) except? 0:
    if not isinstance(key, (int, np.integer)) or isinstance(key, (bool, np.bool_)):
        raise TypeError("key must be an integer, received %s" % type(key).__name__)
    if not 0 <= int(key) < 2 ** 64:
        raise ValueError("key must be in [0, 2**64), received %d" % int(key))
    return <uint64_t>int(key)


def standard_normal_fill(cnp.ndarray out, key):
    """Fill the C-contiguous float32 or float64 array ``out`` with standard
    normal numbers determined by ``key`` (an integer in [0, 2**64)) and each
    element's position; the thread count does not change them.  float32 and
    float64 numbers come from different draws (see _normal.h)."""
    cdef uint64_t k = _rng_key(key)
    if not cnp.PyArray_IS_C_CONTIGUOUS(out):
        raise ValueError("out must be C-contiguous")
    if not cnp.PyArray_ISWRITEABLE(out):
        raise ValueError("out is read-only")
    cdef Py_ssize_t n = cnp.PyArray_SIZE(out)
    if out.dtype.num == cnp.NPY_FLOAT32:
        with nogil:
            _rng_fill(<float*>cnp.PyArray_DATA(out), n, k)
    elif out.dtype.num == cnp.NPY_FLOAT64:
        with nogil:
            _rng_fill(<double*>cnp.PyArray_DATA(out), n, k)
    else:
        raise TypeError("out must be float32 or float64, received %s" % out.dtype)


# SGLD's modes (as the optimizers' plans name them) and their noise
cdef enum:
    SGLD_F32 = 0    # float32 weight, float32 noise
    SGLD_F64 = 1    # float64 weight, float64 noise
    SGLD_H16 = 2    # float16 weight, float32 noise rounded to float16
    SGLD_MP = 3     # float16 weight with a float32 master copy, float32 noise

_SGLD_MODES = {"f32": SGLD_F32, "f64": SGLD_F64, "h16": SGLD_H16, "mp": SGLD_MP}


cdef inline Py_ssize_t _sgld_piece(const int64_t* offs, Py_ssize_t t, Py_ssize_t start,
                                   Py_ssize_t stop, Py_ssize_t* lo) noexcept nogil:
    # the piece of tensor t (numbers offs[t] .. offs[t+1]-1) inside numbers
    # start .. stop-1: its start in the tensor (lo) and its length
    lo[0] = max(<Py_ssize_t>offs[t], start) - offs[t]
    return min(<Py_ssize_t>offs[t + 1], stop) - offs[t] - lo[0]


cdef void _sgld_block(Py_ssize_t b, Py_ssize_t total, uint64_t key, bint wide,
                      Py_ssize_t count, const int64_t* offs, const Py_ssize_t* ptrs,
                      const double* hp) noexcept nogil:
    # block b of the noise (numbers b*RNG_BLOCK ... of the call's flat
    # sequence) and the steps of every tensor piece it covers.  ptrs holds 4
    # words per tensor: mode, weight, gradient, master
    cdef double noise[RNG_BLOCK]          # float64 noise, or float32 noise in its first half
    cdef half_bits noise16[RNG_BLOCK]
    cdef const char* ranges[MX_PREFETCH_RANGES]
    cdef size_t nbytes[MX_PREFETCH_RANGES]
    cdef int nranges = 0, q, item
    cdef float* nf = <float*>noise
    cdef Py_ssize_t start = b * RNG_BLOCK, stop = min(start + RNG_BLOCK, total)
    cdef Py_ssize_t first, t, lo, n
    cdef const Py_ssize_t* p
    # the first tensor ending after `start`: tensor t holds numbers offs[t] .. offs[t+1]-1
    first = lower_bound(offs + 1, count, start + 1)
    if wide:
        mx_normal64_block(noise, stop - start, key, <uint64_t>b)
    else:
        # the weights, gradients and masters of the block are fetched while
        # the numbers are computed
        t = first
        while t < count and offs[t] < stop and nranges + 3 <= MX_PREFETCH_RANGES:
            p = ptrs + 4 * t
            n = _sgld_piece(offs, t, start, stop, &lo)
            item = 4 if p[0] == SGLD_F32 else 2
            for q in range(1, 4 if p[0] == SGLD_MP else 3):
                ranges[nranges] = <const char*>p[q] + lo * (4 if q == 3 else item)
                nbytes[nranges] = n * (4 if q == 3 else item)
                nranges += 1
            t += 1
        mx_normal32_block_prefetch(nf, stop - start, key, <uint64_t>b, ranges, nbytes, nranges)
    t = first
    while t < count and offs[t] < stop:
        p = ptrs + 4 * t
        n = _sgld_piece(offs, t, start, stop, &lo)
        if p[0] == SGLD_F32:
            sgld_span[float](<float*>p[1] + lo, <const float*>p[2] + lo,
                             nf + (offs[t] + lo - start), n, hp + 4 * t)
        elif p[0] == SGLD_F64:
            sgld_span[double](<double*>p[1] + lo, <const double*>p[2] + lo,
                              noise + (offs[t] + lo - start), n, hp + 4 * t)
        elif p[0] == SGLD_H16:
            mx_float_to_half_n(nf + (offs[t] + lo - start), noise16, n)
            sgld_span_h16(<half_bits*>p[1] + lo, <const half_bits*>p[2] + lo, noise16, n,
                          hp + 4 * t)
        else:
            sgld_span_mp(<half_bits*>p[1] + lo, <const half_bits*>p[2] + lo,
                         <float*>p[3] + lo, nf + (offs[t] + lo - start), n, hp + 4 * t)
        t += 1


@cython.boundscheck(False)
@cython.wraparound(False)
def sgld_noisy_multi(key, list modes, list weights, list grads, list masters, list hyper):
    """SGLD steps of many dense tensors that share one noise key: tensor i
    takes the numbers ``offset_i ... offset_i + size_i - 1`` of the key's
    sequence (``offset_i`` the sizes of the tensors before it), float64 ones
    when every mode is ``'f64'``, float32 ones otherwise (modes ``'f32'``,
    ``'h16'`` -- rounded to float16 --, ``'mp'``), exactly the numbers of
    :func:`standard_normal_fill`.  ``hyper[i]`` is ``(lr, wd, rescale,
    clip)``; ``masters[i]`` the float32 master copy of mode ``'mp'``."""
    cdef uint64_t k = _rng_key(key)
    cdef Py_ssize_t count = len(modes), t, j, size, nb
    cdef tuple row
    cdef int mode, wt, gt, nt
    cdef bint wide = False
    if not (len(weights) == count and len(grads) == count and len(masters) == count
            and len(hyper) == count):
        raise ValueError("modes, weights, grads, masters and hyper must have one entry per "
                         "tensor, received %d, %d, %d, %d, %d"
                         % (count, len(weights), len(grads), len(masters), len(hyper)))
    if count == 0:
        return
    wide = modes[0] == "f64"
    for t in range(count):
        if modes[t] not in _SGLD_MODES:
            raise ValueError("modes[%d] is %r, expected one of %s"
                             % (t, modes[t], sorted(_SGLD_MODES)))
        if (modes[t] == "f64") != wide:
            raise ValueError("float64 tensors take float64 noise: they cannot share a key "
                             "with modes %s" % sorted(set(modes) - {"f64"}))
    # one allocation: offsets, then mode and three addresses per tensor, then scalars
    cdef int64_t* offs = <int64_t*>malloc(sizeof(int64_t) * (count + 1)
                                           + sizeof(Py_ssize_t) * 4 * count
                                           + sizeof(double) * 4 * count)
    if offs == NULL:
        raise MemoryError()
    cdef Py_ssize_t* ptrs = <Py_ssize_t*>(offs + count + 1)
    cdef double* hp = <double*>(ptrs + 4 * count)
    try:
        offs[0] = 0
        for t in range(count):
            mode = _SGLD_MODES[modes[t]]
            row = <tuple?>hyper[t]
            if len(row) != 4:
                raise ValueError("hyper[%d] has %d values, SGLD takes 4 (lr, wd, rescale, clip)"
                                 % (t, len(row)))
            for j in range(4):
                hp[4 * t + j] = row[j]
            wt = cnp.NPY_FLOAT32 if mode == SGLD_F32 else (
                cnp.NPY_FLOAT64 if mode == SGLD_F64 else cnp.NPY_FLOAT16)
            gt = cnp.NPY_UINT16 if wt == cnp.NPY_FLOAT16 else wt
            ptrs[4 * t] = mode
            ptrs[4 * t + 1] = array_data(weights[t], -1, wt, gt, True, "weights", t)
            size = cnp.PyArray_SIZE(<cnp.ndarray>weights[t])
            ptrs[4 * t + 2] = array_data(grads[t], size, wt, gt, False, "grads", t)
            ptrs[4 * t + 3] = 0
            if mode == SGLD_MP:
                if not cnp.PyArray_Check(masters[t]):
                    raise TypeError("masters[%d]: mode 'mp' needs the float32 master copy, "
                                    "received %s" % (t, type(masters[t]).__name__))
                ptrs[4 * t + 3] = array_data(masters[t], size, cnp.NPY_FLOAT32, cnp.NPY_FLOAT32,
                                             True, "masters", t)
            offs[t + 1] = offs[t] + size
        size = offs[count]
        nb = (size + RNG_BLOCK - 1) // RNG_BLOCK
        nt = threads_for(size)
        with nogil:
            for j in prange(nb, schedule='static', num_threads=nt):
                _sgld_block(j, size, k, wide, count, offs, ptrs, hp)
    finally:
        free(offs)

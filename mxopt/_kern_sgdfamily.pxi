# Hand-written kernels of the SGD family (LARS and LBSGD): sums of squares of
# many tensors in one call, accumulated in double, and LARS's per-layer rates.
# Included at the end of the generated _kernels.pyx.

from libc.math cimport sqrtf


cdef inline double _square_at(const void* data, int typenum, Py_ssize_t i) noexcept nogil:
    cdef double v
    if typenum == cnp.NPY_FLOAT32:
        v = (<const float*>data)[i]
    elif typenum == cnp.NPY_FLOAT64:
        v = (<const double*>data)[i]
    else:
        v = mx_half_to_float((<const half_bits*>data)[i])
    return v * v


cdef double _sum_squares_span(const void* data, int typenum, Py_ssize_t start,
                              Py_ssize_t stop) noexcept nogil:
    # four interleaved double partial sums (_sumsq.h, vectorised), the last
    # n % 4 squares added to the first; a fixed order, so the result does not
    # depend on the compiler
    cdef double acc[4]
    cdef Py_ssize_t n4 = (stop - start) - (stop - start) % 4, i
    _zero4(acc)
    _sumsq4_typed((<const char*>data) + start * _float_itemsize(typenum), typenum, n4, 1.0, acc)
    for i in range(start + n4, stop):
        acc[0] += _square_at(data, typenum, i)
    return _sum4(acc)


cdef double _sum_squares_ptr(const void* data, int typenum, Py_ssize_t n) noexcept nogil:
    # double accumulation; one tensor, split across threads when it is big
    cdef int nt = threads_for(n)
    cdef Py_ssize_t chunk, c
    cdef double acc = 0.0
    if n == 0:
        return 0.0
    if nt == 1:
        return _sum_squares_span(data, typenum, 0, n)
    chunk = chunk_of(n, nt)
    for c in prange(nt, schedule='static', num_threads=nt):
        if c * chunk < n:
            acc += _sum_squares_span(data, typenum, c * chunk, min(n, (c + 1) * chunk))
    return acc


def multi_sum_squares(list arrays, double[::1] out):
    """``out[i] = sum(arrays[i] ** 2)`` for C-contiguous float16/32/64 arrays,
    accumulated in double (MXNet's multi_sum_sq accumulates in float32)."""
    cdef Py_ssize_t count = len(arrays), t
    cdef cnp.ndarray arr
    if out.shape[0] < count:
        raise ValueError("out has %d slots for %d arrays" % (out.shape[0], count))
    for t in range(count):
        arr = <cnp.ndarray?>arrays[t]
        if not cnp.PyArray_IS_C_CONTIGUOUS(arr):
            raise ValueError("multi_sum_squares needs C-contiguous arrays")
        if arr.dtype.num not in (cnp.NPY_FLOAT16, cnp.NPY_FLOAT32, cnp.NPY_FLOAT64):
            raise TypeError("multi_sum_squares needs float16/32/64 arrays, got %s" % arr.dtype)
    cdef Py_ssize_t* ptrs = <Py_ssize_t*>malloc(sizeof(Py_ssize_t) * 3 * count + 1)
    if ptrs == NULL:
        raise MemoryError()
    cdef Py_ssize_t* sizes = ptrs + count
    cdef Py_ssize_t* kinds = ptrs + 2 * count
    try:
        for t in range(count):
            arr = <cnp.ndarray>arrays[t]
            ptrs[t] = <Py_ssize_t>cnp.PyArray_DATA(arr)
            sizes[t] = cnp.PyArray_SIZE(arr)
            kinds[t] = arr.dtype.num
        with nogil:
            for t in range(count):
                out[t] = _sum_squares_ptr(<const void*>ptrs[t], <int>kinds[t], sizes[t])
    finally:
        free(ptrs)


def lars_rates(const double[::1] lrs, const double[::1] w_sumsq, const double[::1] g_sumsq,
               const double[::1] wds, double eta, double eps, double rescale,
               double[::1] out):
    """LARS's layer-wise learning rates, in float32 arithmetic as MXNet's
    multi_lars operator computes them::

        lr * eta * |w| / (|g| * rescale + wd * |w| + eps)   if |w| > 0 and |g| > 0
        lr                                                  otherwise
    """
    cdef Py_ssize_t n = lrs.shape[0], i
    cdef float w_norm, lr, rate
    cdef float f_eta = <float>eta, f_eps = <float>eps, f_rescale = <float>rescale
    if w_sumsq.shape[0] < n or g_sumsq.shape[0] < n or wds.shape[0] < n or out.shape[0] < n:
        raise ValueError("lars_rates: inputs shorter than lrs")
    for i in range(n):
        lr = <float>lrs[i]
        w_norm = sqrtf(<float>w_sumsq[i])
        if w_norm > 0 and <float>g_sumsq[i] > 0:
            rate = lr * f_eta * w_norm / (sqrtf(<float>g_sumsq[i]) * f_rescale
                                          + <float>wds[i] * w_norm + f_eps)
        else:
            rate = lr
        out[i] = rate

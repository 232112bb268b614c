# Hand-written kernels of the adaptive family (included by _kernels.pyx):
#   GroupAdaGrad - one accumulator per row, fed by the row's mean squared
#                  gradient (a reduction, so not an element-wise rule);
#   Test         - MXNet's test optimizer, whose state is float32 beside a
#                  weight of any dtype.
from mxopt._rules_common cimport clip as _ad_clip, square_root as _ad_sqrt

# elements per block of GroupAdaGrad's squared-gradient buffer (a multiple of 4)
cdef enum:
    GAG_BLOCK = 256


# ---------------------------------------------------------------------------
# GroupAdaGrad
# ---------------------------------------------------------------------------

cdef inline void _gag_squares(const floating* g, Py_ssize_t n, floating rescale,
                              floating clip_bound, floating* sq) noexcept nogil:
    # the rescaled, clipped gradients squared, rounded in the weight's dtype
    # (a vectorised loop)
    cdef Py_ssize_t j
    cdef floating gr
    for j in range(n):
        gr = g[j] * rescale
        if clip_bound >= 0:
            gr = _ad_clip(gr, clip_bound)
        sq[j] = gr * gr


cdef inline void _gag_step(floating* w, const floating* g, floating* hist, double ssq,
                           Py_ssize_t n, floating lr, floating rescale, floating clip_bound,
                           floating eps) noexcept nogil:
    # the row's accumulator grows by its mean squared gradient (ssq / n), the
    # row moves by lr * g / sqrt(accumulator + eps)
    cdef Py_ssize_t j
    cdef floating gr, denom
    hist[0] = hist[0] + <floating>(ssq / n)
    denom = _ad_sqrt(hist[0] + eps)
    for j in range(n):
        gr = g[j] * rescale
        if clip_bound >= 0:
            gr = _ad_clip(gr, clip_bound)
        w[j] = w[j] - lr * gr / denom


cdef inline void _gag_row(floating* w, const floating* g, floating* hist,
                          Py_ssize_t n, floating lr, floating rescale,
                          floating clip_bound, floating eps) noexcept nogil:
    # the squares are rounded in the weight's dtype, their sum kept in double
    # in four interleaved partial sums (no chain of dependent additions):
    # squared block by block into a buffer, added up by _sumsq.h
    cdef Py_ssize_t start = 0, blen
    cdef double acc[4]
    cdef floating sq[GAG_BLOCK]
    _zero4(acc)
    while start < n:
        blen = n - start if n - start < GAG_BLOCK else GAG_BLOCK
        _gag_squares(g + start, blen, rescale, clip_bound, sq)
        _sum4_of(sq, blen, acc)
        start += blen
    _gag_step(w, g, hist, _sum4(acc), n, lr, rescale, clip_bound, eps)


cdef inline void _gag_row_pair(floating* w, const floating* g, floating* hist,
                               floating* w2, const floating* g2, floating* hist2,
                               Py_ssize_t n, floating lr, floating rescale,
                               floating clip_bound, floating eps) noexcept nogil:
    # two different rows, each with exactly the operations of _gag_row; their
    # double sums are added in interleaved registers (_sum4x2_of), so one
    # row's additions run while the other's wait: about a quarter faster on
    # short rows, whose sums are chains of dependent additions
    cdef Py_ssize_t start = 0, blen
    cdef double acc[4]
    cdef double acc2[4]
    cdef floating sq[GAG_BLOCK]
    cdef floating sq2[GAG_BLOCK]
    _zero4(acc)
    _zero4(acc2)
    while start < n:
        blen = n - start if n - start < GAG_BLOCK else GAG_BLOCK
        _gag_squares(g + start, blen, rescale, clip_bound, sq)
        _gag_squares(g2 + start, blen, rescale, clip_bound, sq2)
        _sum4x2_of(sq, sq2, blen, acc, acc2)
        start += blen
    _gag_step(w, g, hist, _sum4(acc), n, lr, rescale, clip_bound, eps)
    _gag_step(w2, g2, hist2, _sum4(acc2), n, lr, rescale, clip_bound, eps)


cdef inline void _gag_row_h16(half_bits* w, const half_bits* g, half_bits* hist,
                              Py_ssize_t n, hfloat lr, hfloat rescale,
                              hfloat clip_bound, hfloat eps) noexcept nogil:
    cdef Py_ssize_t j
    cdef double ssq, acc[4]
    cdef hfloat gr, sq, h, denom, wl
    _zero4(acc)
    for j in range(n):
        gr = mx_hfloat_from_bits(g[j]) * rescale
        if clip_bound >= 0:
            gr = _ad_clip(gr, clip_bound)
        sq = gr * gr
        acc[j & 3] += <double>sq.v
    ssq = _sum4(acc)
    h = mx_hfloat_from_bits(hist[0]) + hfloat(<float>(ssq / n))
    hist[0] = mx_hfloat_to_bits(h)
    denom = _ad_sqrt(h + eps)
    for j in range(n):
        gr = mx_hfloat_from_bits(g[j]) * rescale
        if clip_bound >= 0:
            gr = _ad_clip(gr, clip_bound)
        wl = mx_hfloat_from_bits(w[j]) - lr * gr / denom
        w[j] = mx_hfloat_to_bits(wl)


cdef inline void _gag_row_mp(half_bits* w, const half_bits* g, float* master,
                             float* hist, Py_ssize_t n, float lr, float rescale,
                             float clip_bound, float eps) noexcept nogil:
    cdef Py_ssize_t j
    cdef double ssq, acc[4]
    cdef float gr, denom
    _zero4(acc)
    for j in range(n):
        gr = mx_half_to_float(g[j]) * rescale
        if clip_bound >= 0:
            gr = _ad_clip(gr, clip_bound)
        acc[j & 3] += <double>(gr * gr)
    ssq = _sum4(acc)
    hist[0] = hist[0] + <float>(ssq / n)
    denom = _ad_sqrt(hist[0] + eps)
    for j in range(n):
        gr = mx_half_to_float(g[j]) * rescale
        if clip_bound >= 0:
            gr = _ad_clip(gr, clip_bound)
        master[j] = master[j] - lr * gr / denom
        w[j] = mx_float_to_half(master[j])


cdef void _gag_rows(floating* w, const floating* g, const int64_t* idx, Py_ssize_t nnz,
                    floating* hist, Py_ssize_t rowlen, floating lr, floating rescale,
                    floating clip_bound, floating eps) noexcept nogil:
    # gradient rows j and j + 1 together (weight rows idx[j], idx[j + 1]:
    # sorted and unique, so never the same row), an odd last row alone; but
    # one row at a time when there are too few pairs to give every thread one
    cdef Py_ssize_t p, j, r, r2
    cdef int nt = threads_for(nnz * rowlen)
    cdef bint paired = nnz >= 2 * nt
    for p in prange((nnz + 1) // 2 if paired else nnz, schedule='static', num_threads=nt):
        j = 2 * p if paired else p
        r = idx[j] if idx != NULL else j
        if paired and j + 1 < nnz:
            r2 = idx[j + 1] if idx != NULL else j + 1
            _gag_row_pair(w + r * rowlen, g + j * rowlen, hist + r, w + r2 * rowlen,
                          g + (j + 1) * rowlen, hist + r2, rowlen, lr, rescale,
                          clip_bound, eps)
        else:
            _gag_row(w + r * rowlen, g + j * rowlen, hist + r, rowlen, lr, rescale,
                     clip_bound, eps)


cdef void _gag_rows_h16(half_bits* w, const half_bits* g, const int64_t* idx,
                        Py_ssize_t nnz, half_bits* hist, Py_ssize_t rowlen,
                        double* hp) noexcept nogil:
    cdef Py_ssize_t j, r
    cdef int nt = threads_for(nnz * rowlen)
    for j in prange(nnz, schedule='static', num_threads=nt):
        r = idx[j] if idx != NULL else j
        _gag_row_h16(w + r * rowlen, g + j * rowlen, hist + r, rowlen,
                     hfloat(<float>hp[0]), hfloat(<float>hp[1]), hfloat(<float>hp[2]),
                     hfloat(<float>hp[3]))


cdef void _gag_rows_mp(half_bits* w, const half_bits* g, const int64_t* idx,
                       Py_ssize_t nnz, float* master, float* hist, Py_ssize_t rowlen,
                       double* hp) noexcept nogil:
    cdef Py_ssize_t j, r
    cdef int nt = threads_for(nnz * rowlen)
    for j in prange(nnz, schedule='static', num_threads=nt):
        r = idx[j] if idx != NULL else j
        _gag_row_mp(w + r * rowlen, g + j * rowlen, master + r * rowlen, hist + r,
                    rowlen, <float>hp[0], <float>hp[1], <float>hp[2], <float>hp[3])


def groupadagrad_update(cnp.ndarray weight, cnp.ndarray grad, indices,
                        cnp.ndarray history, master, double lr, double rescale,
                        double clip_bound, double eps):
    """GroupAdaGrad update of a C-contiguous weight seen as rows (axis 0).

    ``grad`` holds one row per entry of ``indices`` (lazy row-sparse update)
    or, with ``indices=None``, every row (dense update).  ``history`` has one
    value per row; ``master`` is the float32 master copy of a float16 weight
    (or None).  Arguments are validated by the Python layer.
    """
    cdef double hp[4]
    hp[0] = lr
    hp[1] = rescale
    hp[2] = clip_bound
    hp[3] = eps
    cdef Py_ssize_t nrows = weight.shape[0] if weight.ndim > 0 else 1
    cdef Py_ssize_t rowlen = (weight.size // nrows) if nrows > 0 else 0
    cdef const int64_t* idx = NULL
    cdef cnp.ndarray ind
    cdef Py_ssize_t nnz = nrows
    if indices is not None:
        ind = indices
        nnz = ind.shape[0]
        if nnz > 0:
            idx = <const int64_t*>cnp.PyArray_DATA(ind)
    if nnz == 0 or rowlen == 0:
        return
    cdef void* wp = cnp.PyArray_DATA(weight)
    cdef const void* gp = cnp.PyArray_DATA(grad)
    cdef void* hpt = cnp.PyArray_DATA(history)
    cdef void* mp = NULL
    cdef int kind = weight.dtype.num
    if master is not None:
        mp = cnp.PyArray_DATA(<cnp.ndarray>master)
    with nogil:
        if kind == cnp.NPY_FLOAT32:
            _gag_rows(<float*>wp, <const float*>gp, idx, nnz, <float*>hpt, rowlen,
                      <float>lr, <float>rescale, <float>clip_bound, <float>eps)
        elif kind == cnp.NPY_FLOAT64:
            # the clip bound is a float32 in MXNet (clip operator / C++ kernel)
            _gag_rows(<double*>wp, <const double*>gp, idx, nnz, <double*>hpt, rowlen,
                      lr, rescale, <double><float>clip_bound, eps)
        elif mp != NULL:
            _gag_rows_mp(<half_bits*>wp, <const half_bits*>gp, idx, nnz, <float*>mp,
                         <float*>hpt, rowlen, hp)
        else:
            _gag_rows_h16(<half_bits*>wp, <const half_bits*>gp, idx, nnz,
                          <half_bits*>hpt, rowlen, hp)


# ---------------------------------------------------------------------------
# Test: w += rescale * g, then the float32 state copies the weight
# ---------------------------------------------------------------------------

cdef void _test_dense(floating* w, const floating* g, float* s, Py_ssize_t n,
                      floating rescale) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating v
    for i in range(n):
        v = w[i] + g[i] * rescale
        w[i] = v
        s[i] = <float>v


cdef void _test_dense_mp(half_bits* w, const half_bits* g, float* master, float* s,
                         Py_ssize_t n, float rescale) noexcept nogil:
    cdef Py_ssize_t i
    cdef float v
    for i in range(n):
        v = master[i] + mx_half_to_float(g[i]) * rescale
        master[i] = v
        s[i] = v
        w[i] = mx_float_to_half(v)


cdef void _test_dense_h16(half_bits* w, const half_bits* g, float* s, Py_ssize_t n,
                          float rescale) noexcept nogil:
    cdef Py_ssize_t i
    cdef hfloat wl
    cdef hfloat hr = hfloat(rescale)
    for i in range(n):
        wl = mx_hfloat_from_bits(w[i]) + mx_hfloat_from_bits(g[i]) * hr
        w[i] = mx_hfloat_to_bits(wl)
        s[i] = <float>wl


cdef void _copy_state(const floating* w, float* s, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        s[i] = <float>w[i]


cdef void _copy_state_h16(const half_bits* w, float* s, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        s[i] = mx_half_to_float(w[i])


cdef void _test_rows(floating* w, const floating* g, const int64_t* idx, Py_ssize_t nnz,
                     Py_ssize_t rowlen, floating rescale) noexcept nogil:
    cdef Py_ssize_t j, k, r
    for j in range(nnz):
        r = idx[j] if idx != NULL else j
        for k in range(rowlen):
            w[r * rowlen + k] = w[r * rowlen + k] + g[j * rowlen + k] * rescale


cdef void _test_rows_h16(half_bits* w, const half_bits* g, const int64_t* idx,
                         Py_ssize_t nnz, Py_ssize_t rowlen, hfloat rescale) noexcept nogil:
    cdef Py_ssize_t j, k, r
    cdef hfloat wl
    for j in range(nnz):
        r = idx[j] if idx != NULL else j
        for k in range(rowlen):
            wl = mx_hfloat_from_bits(w[r * rowlen + k]) + mx_hfloat_from_bits(g[j * rowlen + k]) * rescale
            w[r * rowlen + k] = mx_hfloat_to_bits(wl)


cdef void _test_rows_mp(half_bits* w, const half_bits* g, float* master,
                        const int64_t* idx, Py_ssize_t nnz, Py_ssize_t rowlen,
                        float rescale) noexcept nogil:
    cdef Py_ssize_t j, k, r, e
    for j in range(nnz):
        r = idx[j] if idx != NULL else j
        for k in range(rowlen):
            e = r * rowlen + k
            master[e] = master[e] + mx_half_to_float(g[j * rowlen + k]) * rescale
            w[e] = mx_float_to_half(master[e])


def testopt_update(cnp.ndarray weight, cnp.ndarray grad, indices, cnp.ndarray state,
                   master, double rescale):
    """MXNet's ``Test`` optimizer: ``w += rescale * grad`` on the rows given
    (all rows with ``indices=None``), then ``state[:] = w`` (float32) on every
    row.  ``master``: float32 master copy of a float16 weight, or None."""
    cdef Py_ssize_t nrows = weight.shape[0] if weight.ndim > 0 else 1
    cdef Py_ssize_t size = weight.size
    cdef Py_ssize_t rowlen = (size // nrows) if nrows > 0 else 0
    cdef const int64_t* idx = NULL
    cdef cnp.ndarray ind
    cdef Py_ssize_t nnz = nrows, i
    if indices is not None:
        ind = indices
        nnz = ind.shape[0]
        if nnz > 0:
            idx = <const int64_t*>cnp.PyArray_DATA(ind)
    if size == 0:
        return
    cdef void* wp = cnp.PyArray_DATA(weight)
    cdef const void* gp = cnp.PyArray_DATA(grad)
    cdef float* sp = <float*>cnp.PyArray_DATA(state)
    cdef float* mp = NULL
    cdef int kind = weight.dtype.num
    if master is not None:
        mp = <float*>cnp.PyArray_DATA(<cnp.ndarray>master)
    cdef int nt = threads_for(size)
    cdef Py_ssize_t chunk = chunk_of(size, nt), c, off, cnt
    if idx == NULL and indices is None:
        # dense: one fused pass, w += rescale * g and s = w
        for c in prange(nt, nogil=True, schedule='static', num_threads=nt):
            off = c * chunk
            cnt = min(chunk, size - off)
            if cnt > 0:
                if kind == cnp.NPY_FLOAT32:
                    _test_dense((<float*>wp) + off, (<const float*>gp) + off, sp + off, cnt,
                                <float>rescale)
                elif kind == cnp.NPY_FLOAT64:
                    _test_dense((<double*>wp) + off, (<const double*>gp) + off, sp + off, cnt,
                                rescale)
                elif mp != NULL:
                    _test_dense_mp((<half_bits*>wp) + off, (<const half_bits*>gp) + off,
                                   mp + off, sp + off, cnt, <float>rescale)
                else:
                    _test_dense_h16((<half_bits*>wp) + off, (<const half_bits*>gp) + off,
                                    sp + off, cnt, <float>rescale)
        return
    with nogil:
        if kind == cnp.NPY_FLOAT32:
            _test_rows(<float*>wp, <const float*>gp, idx, nnz, rowlen, <float>rescale)
        elif kind == cnp.NPY_FLOAT64:
            _test_rows(<double*>wp, <const double*>gp, idx, nnz, rowlen, rescale)
        elif mp != NULL:
            _test_rows_mp(<half_bits*>wp, <const half_bits*>gp, mp, idx, nnz, rowlen,
                          <float>rescale)
        else:
            _test_rows_h16(<half_bits*>wp, <const half_bits*>gp, idx, nnz, rowlen,
                           hfloat(<float>rescale))
    # the state copies every row
    for c in prange(nt, nogil=True, schedule='static', num_threads=nt):
        off = c * chunk
        cnt = min(chunk, size - off)
        if cnt > 0:
            if kind == cnp.NPY_FLOAT32:
                _copy_state((<float*>wp) + off, sp + off, cnt)
            elif kind == cnp.NPY_FLOAT64:
                _copy_state((<double*>wp) + off, sp + off, cnt)
            elif mp != NULL:
                _copy_state(mp + off, sp + off, cnt)
            else:
                _copy_state_h16((<half_bits*>wp) + off, sp + off, cnt)

# Hand-written kernels of the Adam family: LAMB and LANS scale each tensor's
# step by a trust ratio ||w|| / ||direction||, so an update needs per-tensor
# norms before the weights can move.  Each tensor is cut into fixed segments;
# a first parallel pass updates the moments and accumulates the squared norms
# per segment (in double), the partial sums are added in segment order (so
# the result does not depend on the thread count), and a second pass applies
# the direction: LAMB's float32 and float64 modes keep it from the first pass
# in a float32 scratch array (as MXNet's buffer holds it); the float16 modes
# and LANS recompute it from the updated moments.  Row-sparse gradients use the same loops with one segment per
# row and a zero gradient for the rows absent (MXNet densifies them).
#
# Entry points follow the generated kernels' conventions, so the generic
# dispatch (mxopt.optimizer._dispatch) drives them:
#   lamb_multi_<f32|f64|h16|mp>(weights, grads, states, masters, hyper)
#   lamb_rows_std[_h16|_mp](weight2d, grad_data, indices, [master,] mean, var, *scalars)
# and the same for lans.  Scalars: lr, wd, rescale, clip, beta1, beta2,
# epsilon, t, then LAMB: bias_correction, lower_bound, upper_bound;
# LANS: lower_bound, upper_bound.

import numpy as np
from libc.math cimport sqrtf
from libc.string cimport memcpy
from libc.stdlib cimport calloc
from mxopt._rules_adamfamily cimport (bias_terms, lamb_direction, lamb_moments,
                                      lans_scaled_grad, lans_moments, lans_directions)

cdef Py_ssize_t AF_SEGMENT = 16384
cdef enum:
    AF_F32 = 0
    AF_F64 = 1
    AF_H16 = 2
    AF_MP = 3


# elements per block of the first passes' direction buffers: a multiple of 4
# (the interleaved partial sums continue across blocks) that fits the zero
# gradient block (_zero_block) in either precision
cdef enum:
    AF_BLOCK = 256
    AF_PARTS = 3   # partial sums per segment (LANS: ||m_dir||^2, ||g_dir||^2, ||w||^2)


cdef struct AFSegs:
    Py_ssize_t n           # number of segments
    Py_ssize_t* off        # first element of each segment (weight and states)
    Py_ssize_t* length
    Py_ssize_t* goff       # first element in the gradient data, -1: zero gradient
    double* part           # AF_PARTS partial sums per segment


cdef int _af_alloc(AFSegs* s) except -1:
    cdef Py_ssize_t m = s.n if s.n > 0 else 1
    s.off = <Py_ssize_t*>malloc(sizeof(Py_ssize_t) * 3 * m)
    s.part = <double*>calloc(AF_PARTS * m, sizeof(double))  # slots a pass leaves alone stay 0
    if s.off == NULL or s.part == NULL:
        free(s.off)
        free(s.part)
        s.off = NULL
        s.part = NULL
        raise MemoryError()
    s.length = s.off + m
    s.goff = s.off + 2 * m
    return 0


cdef void _af_free(AFSegs* s) noexcept:
    free(s.off)
    free(s.part)
    s.off = NULL
    s.part = NULL


cdef int _af_segs_dense(AFSegs* s, Py_ssize_t n) except -1:
    cdef Py_ssize_t k
    s.n = (n + AF_SEGMENT - 1) // AF_SEGMENT
    _af_alloc(s)
    for k in range(s.n):
        s.off[k] = k * AF_SEGMENT
        s.length[k] = min(AF_SEGMENT, n - k * AF_SEGMENT)
        s.goff[k] = s.off[k]
    return 0


cdef int _af_segs_rows(AFSegs* s, Py_ssize_t nrows, Py_ssize_t rowlen,
                       const int64_t* idx, Py_ssize_t nnz) except -1:
    cdef Py_ssize_t r, j = 0
    s.n = nrows
    _af_alloc(s)
    for r in range(nrows):
        s.off[r] = r * rowlen
        s.length[r] = rowlen
        if j < nnz and idx[j] == r:
            s.goff[r] = j * rowlen
            j += 1
        else:
            s.goff[r] = -1
    return 0


cdef inline void _af_sums(AFSegs* s, double* sums) noexcept nogil:
    # every partial sum over the segments, added in segment order
    cdef Py_ssize_t k
    cdef int j
    for j in range(AF_PARTS):
        sums[j] = 0.0
    for k in range(s.n):
        for j in range(AF_PARTS):
            sums[j] += s.part[AF_PARTS * k + j]


cdef inline float _af_trust(double wsq, double dsq, double lower, double upper) noexcept nogil:
    # MXNet: r1 = ||w||, r2 = ||direction|| as float32; r1 clamped to the
    # bounds (std::max / std::min: NaN stays NaN); 1 when either norm is 0
    cdef float r1 = sqrtf(<float>wsq)
    cdef float r2 = sqrtf(<float>dsq)
    if lower >= 0 and r1 < <float>lower:
        r1 = <float>lower
    if upper >= 0 and <float>upper < r1:
        r1 = <float>upper
    if r1 == 0.0 or r2 == 0.0:
        return 1.0
    return r1 / r2


# ------------------------------------------------------------------- LAMB
cdef void _lamb_p1_f(floating* w, const floating* g, floating* mean, floating* var,
                     float* direction, Py_ssize_t n, const double* hp, double* out) noexcept nogil:
    cdef floating wd = <floating><float>hp[1]
    cdef floating rescale = <floating><float>hp[2]
    cdef floating clip_bound = <floating><float>hp[3]
    cdef floating beta1 = <floating><float>hp[4]
    cdef floating beta2 = <floating><float>hp[5]
    cdef floating eps = <floating><float>hp[6]
    cdef floating t = <floating>hp[7]
    cdef bint bias = hp[8] != 0
    cdef floating c1, c2
    cdef const floating* gb
    cdef float db[AF_BLOCK]  # local: the loop needs no run-time alias checks to vectorise
    cdef double ws4[4]
    cdef double ds4[4]
    cdef Py_ssize_t i, start = 0, blen
    _zero4(ws4)
    _zero4(ds4)
    bias_terms(beta1, beta2, t, &c1, &c2)
    # blocks: a loop without reductions (vectorised) computes the direction
    # (float32, as MXNet's buffer holds it), both norms take it in
    # (interleaved partial sums, _sumsq.h), and it is kept for the second pass
    while start < n:
        blen = n - start if n - start < AF_BLOCK else AF_BLOCK
        gb = g + start if g != NULL else <const floating*>_zero_block
        for i in range(blen):
            db[i] = <float>lamb_moments(w[start + i], gb[i], &mean[start + i],
                                          &var[start + i], wd, rescale, clip_bound,
                                          beta1, beta2, eps, c1, c2, bias)
        _sumsq4(w + start, blen, 1.0, ws4)
        mx_sumsq4_f32(db, blen, 1.0, ds4)
        memcpy(direction + start, db, blen * sizeof(float))
        start += blen
    out[0] = _sum4(ws4)
    out[1] = _sum4(ds4)


cdef void _lamb_p2_f(floating* w, const float* direction, Py_ssize_t n,
                     double step) noexcept nogil:
    cdef floating lr_adj = <floating>step
    cdef Py_ssize_t i
    for i in range(n):
        w[i] = w[i] - lr_adj * <floating>direction[i]


cdef void _lamb_p1_h16(half_bits* w, const half_bits* g, half_bits* mean, half_bits* var,
                       Py_ssize_t n, const double* hp, double* out) noexcept nogil:
    cdef hfloat wd = hfloat(<float>hp[1])
    cdef hfloat rescale = hfloat(<float>hp[2])
    cdef hfloat clip_bound = hfloat(<float>hp[3])
    cdef hfloat beta1 = hfloat(<float>hp[4])
    cdef hfloat beta2 = hfloat(<float>hp[5])
    cdef hfloat eps = hfloat(<float>hp[6])
    cdef hfloat t = hfloat(<float>hp[7])
    cdef bint bias = hp[8] != 0
    cdef hfloat c1, c2, d, wl, gl, ml, vl
    cdef double ws4[4]
    cdef double ds4[4]
    cdef Py_ssize_t i
    # four interleaved partial sums each: no chain of dependent additions
    _zero4(ws4)
    _zero4(ds4)
    bias_terms(beta1, beta2, t, &c1, &c2)
    for i in range(n):
        wl = mx_hfloat_from_bits(w[i])
        gl = mx_hfloat_from_bits(g[i]) if g != NULL else hfloat(0.0)
        ml = mx_hfloat_from_bits(mean[i])
        vl = mx_hfloat_from_bits(var[i])
        d = lamb_moments(wl, gl, &ml, &vl, wd, rescale, clip_bound, beta1, beta2, eps,
                         c1, c2, bias)
        mean[i] = mx_hfloat_to_bits(ml)
        var[i] = mx_hfloat_to_bits(vl)
        ws4[i & 3] += <double>wl.v * <double>wl.v
        ds4[i & 3] += <double>d.v * <double>d.v
    out[0] = _sum4(ws4)
    out[1] = _sum4(ds4)


cdef void _lamb_p2_h16(half_bits* w, half_bits* mean, half_bits* var, Py_ssize_t n,
                       const double* hp, double step) noexcept nogil:
    cdef hfloat wd = hfloat(<float>hp[1])
    cdef hfloat beta1 = hfloat(<float>hp[4])
    cdef hfloat beta2 = hfloat(<float>hp[5])
    cdef hfloat eps = hfloat(<float>hp[6])
    cdef hfloat t = hfloat(<float>hp[7])
    cdef bint bias = hp[8] != 0
    cdef hfloat c1, c2, d, wl
    cdef hfloat lr_adj = hfloat(<float>step)
    cdef Py_ssize_t i
    bias_terms(beta1, beta2, t, &c1, &c2)
    for i in range(n):
        wl = mx_hfloat_from_bits(w[i])
        d = lamb_direction(wl, mx_hfloat_from_bits(mean[i]), mx_hfloat_from_bits(var[i]),
                           wd, eps, c1, c2, bias)
        w[i] = mx_hfloat_to_bits(wl - lr_adj * d)


cdef void _lamb_p1_mp(const half_bits* w16, const half_bits* g, float* master, float* mean,
                      float* var, Py_ssize_t n, const double* hp, double* out) noexcept nogil:
    cdef float wd = <float>hp[1]
    cdef float rescale = <float>hp[2]
    cdef float clip_bound = <float>hp[3]
    cdef float beta1 = <float>hp[4]
    cdef float beta2 = <float>hp[5]
    cdef float eps = <float>hp[6]
    cdef float t = <float>hp[7]
    cdef bint bias = hp[8] != 0
    cdef float c1, c2, d, gl, wh
    cdef double ws4[4]
    cdef double ds4[4]
    cdef Py_ssize_t i
    # four interleaved partial sums each: no chain of dependent additions
    _zero4(ws4)
    _zero4(ds4)
    bias_terms(beta1, beta2, t, &c1, &c2)
    for i in range(n):
        gl = mx_half_to_float(g[i]) if g != NULL else 0.0
        d = lamb_moments(master[i], gl, &mean[i], &var[i], wd, rescale, clip_bound,
                         beta1, beta2, eps, c1, c2, bias)
        wh = mx_half_to_float(w16[i])  # MXNet takes ||w|| of the float16 weight
        ws4[i & 3] += <double>wh * <double>wh
        ds4[i & 3] += <double>d * <double>d
    out[0] = _sum4(ws4)
    out[1] = _sum4(ds4)


cdef void _lamb_p2_mp(half_bits* w16, float* master, float* mean, float* var, Py_ssize_t n,
                      const double* hp, double step) noexcept nogil:
    cdef float wd = <float>hp[1]
    cdef float beta1 = <float>hp[4]
    cdef float beta2 = <float>hp[5]
    cdef float eps = <float>hp[6]
    cdef float t = <float>hp[7]
    cdef bint bias = hp[8] != 0
    cdef float c1, c2, d, wl
    cdef float lr_adj = <float>step
    cdef Py_ssize_t i
    bias_terms(beta1, beta2, t, &c1, &c2)
    for i in range(n):
        wl = master[i]
        d = lamb_direction(wl, mean[i], var[i], wd, eps, c1, c2, bias)
        wl = wl - lr_adj * d
        master[i] = wl
        w16[i] = mx_float_to_half(wl)


cdef double _lamb_step(int mode, double lr, float ratio) noexcept nogil:
    # lr * trust ratio, rounded as MXNet's kernels round it
    cdef hfloat rh
    if mode == AF_F64:
        return <double><float>lr * <double>ratio
    if mode == AF_H16:
        rh = hfloat(ratio)
        return <double>hfloat(<float>lr * rh.v).v
    return <double>(<float>lr * ratio)


cdef void _lamb_tensor(int mode, void* w, const void* g, void* master, void* mean, void* var,
                       float* direction, AFSegs* s, const double* hp, int nt) noexcept nogil:
    # direction: float32 scratch of the weight's size (float32 and float64
    # weights; the float16 modes recompute the direction in their second pass)
    cdef Py_ssize_t k, o, go
    cdef double step
    cdef double sums[AF_PARTS]
    for k in prange(s.n, schedule='static', num_threads=nt):
        o = s.off[k]
        go = s.goff[k]
        if mode == AF_F32:
            _lamb_p1_f((<float*>w) + o, (<const float*>g) + go if go >= 0 else NULL,
                       (<float*>mean) + o, (<float*>var) + o, direction + o, s.length[k], hp,
                       s.part + AF_PARTS * k)
        elif mode == AF_F64:
            _lamb_p1_f((<double*>w) + o, (<const double*>g) + go if go >= 0 else NULL,
                       (<double*>mean) + o, (<double*>var) + o, direction + o, s.length[k], hp,
                       s.part + AF_PARTS * k)
        elif mode == AF_H16:
            _lamb_p1_h16((<half_bits*>w) + o, (<const half_bits*>g) + go if go >= 0 else NULL,
                         (<half_bits*>mean) + o, (<half_bits*>var) + o, s.length[k], hp,
                         s.part + AF_PARTS * k)
        else:
            _lamb_p1_mp((<const half_bits*>w) + o, (<const half_bits*>g) + go if go >= 0 else NULL,
                        (<float*>master) + o, (<float*>mean) + o, (<float*>var) + o,
                        s.length[k], hp, s.part + AF_PARTS * k)
    _af_sums(s, sums)  # ||w||^2, ||direction||^2
    step = _lamb_step(mode, hp[0], _af_trust(sums[0], sums[1], hp[9], hp[10]))
    for k in prange(s.n, schedule='static', num_threads=nt):
        o = s.off[k]
        if mode == AF_F32:
            _lamb_p2_f((<float*>w) + o, direction + o, s.length[k], step)
        elif mode == AF_F64:
            _lamb_p2_f((<double*>w) + o, direction + o, s.length[k], step)
        elif mode == AF_H16:
            _lamb_p2_h16((<half_bits*>w) + o, (<half_bits*>mean) + o, (<half_bits*>var) + o,
                         s.length[k], hp, step)
        else:
            _lamb_p2_mp((<half_bits*>w) + o, (<float*>master) + o, (<float*>mean) + o,
                        (<float*>var) + o, s.length[k], hp, step)


# ------------------------------------------------------------------- LANS
cdef void _lans_p0(int typenum, const void* w, const void* g, Py_ssize_t n, double rescale,
                   double* out) noexcept nogil:
    # ||w||^2 (unless w is NULL: the float32/float64 first pass takes it) and
    # ||rescale * g||^2 (MXNet: the float16 weight in mp mode)
    cdef double ws4[4]
    cdef double gs4[4]
    _zero4(ws4)
    _zero4(gs4)
    if w != NULL:
        _sumsq4_typed(w, typenum, n, 1.0, ws4)
    if g != NULL:
        _sumsq4_typed(g, typenum, n, rescale, gs4)
    out[0] = _sum4(ws4)
    out[1] = _sum4(gs4)


cdef void _lans_p1_f(floating* w, const floating* g, floating* mean, floating* var,
                     Py_ssize_t n, const double* hp, double gnorm, double* out) noexcept nogil:
    cdef floating wd = <floating><float>hp[1]
    cdef floating rescale = <floating><float>hp[2]
    cdef floating clip_bound = <floating><float>hp[3]
    cdef floating beta1 = <floating><float>hp[4]
    cdef floating beta2 = <floating><float>hp[5]
    cdef floating eps = <floating><float>hp[6]
    cdef floating t = <floating>hp[7]
    cdef floating norm = <floating><float>gnorm
    cdef floating c1, c2, sg, md, gd
    cdef const floating* gb
    cdef float mb[AF_BLOCK]  # both directions as MXNet's float32 buffers hold them
    cdef float gdb[AF_BLOCK]
    cdef double ms4[4]
    cdef double gs4[4]
    cdef double ws4[4]
    cdef Py_ssize_t i, j, start = 0, blen
    _zero4(ms4)
    _zero4(gs4)
    _zero4(ws4)
    bias_terms(beta1, beta2, t, &c1, &c2)
    # blocks, as in _lamb_p1_f
    while start < n:
        blen = n - start if n - start < AF_BLOCK else AF_BLOCK
        gb = g + start if g != NULL else <const floating*>_zero_block
        for i in range(blen):
            j = start + i
            sg = lans_scaled_grad(gb[i], rescale, norm, clip_bound)
            lans_moments(sg, &mean[j], &var[j], beta1, beta2)
            lans_directions(w[j], sg, mean[j], var[j], wd, eps, c1, c2, &md, &gd)
            mb[i] = <float>md
            gdb[i] = <float>gd
        mx_sumsq4_f32(mb, blen, 1.0, ms4)
        mx_sumsq4_f32(gdb, blen, 1.0, gs4)
        _sumsq4(w + start, blen, 1.0, ws4)   # ||w||, read here rather than in a pass of its own
        start += blen
    out[0] = _sum4(ms4)
    out[1] = _sum4(gs4)
    out[2] = _sum4(ws4)


cdef void _lans_p2_f(floating* w, const floating* g, floating* mean, floating* var,
                     Py_ssize_t n, const double* hp, double gnorm, double step_m,
                     double step_g) noexcept nogil:
    # the directions recomputed from the new moments (fewer bytes than
    # keeping both from the first pass: see the note at _lans_tensor)
    cdef floating wd = <floating><float>hp[1]
    cdef floating rescale = <floating><float>hp[2]
    cdef floating clip_bound = <floating><float>hp[3]
    cdef floating beta1 = <floating><float>hp[4]
    cdef floating beta2 = <floating><float>hp[5]
    cdef floating eps = <floating><float>hp[6]
    cdef floating t = <floating>hp[7]
    cdef floating norm = <floating><float>gnorm
    cdef floating a = <floating>step_m
    cdef floating b = <floating>step_g
    cdef floating c1, c2, sg, md, gd
    cdef Py_ssize_t i
    bias_terms(beta1, beta2, t, &c1, &c2)
    for i in range(n):
        sg = lans_scaled_grad(g[i] if g != NULL else 0, rescale, norm, clip_bound)
        lans_directions(w[i], sg, mean[i], var[i], wd, eps, c1, c2, &md, &gd)
        w[i] = w[i] - (a * <floating><float>md + b * <floating><float>gd)


cdef void _lans_p1_h16(half_bits* w, const half_bits* g, half_bits* mean, half_bits* var,
                       Py_ssize_t n, const double* hp, double gnorm, double* out) noexcept nogil:
    cdef hfloat wd = hfloat(<float>hp[1])
    cdef hfloat rescale = hfloat(<float>hp[2])
    cdef hfloat clip_bound = hfloat(<float>hp[3])
    cdef hfloat beta1 = hfloat(<float>hp[4])
    cdef hfloat beta2 = hfloat(<float>hp[5])
    cdef hfloat eps = hfloat(<float>hp[6])
    cdef hfloat t = hfloat(<float>hp[7])
    cdef hfloat norm = hfloat(<float>gnorm)
    cdef hfloat c1, c2, sg, md, gd, ml, vl
    cdef double ms4[4]
    cdef double gs4[4]
    cdef Py_ssize_t i
    # four interleaved partial sums each: no chain of dependent additions
    _zero4(ms4)
    _zero4(gs4)
    bias_terms(beta1, beta2, t, &c1, &c2)
    for i in range(n):
        sg = lans_scaled_grad(mx_hfloat_from_bits(g[i]) if g != NULL else hfloat(0.0),
                              rescale, norm, clip_bound)
        ml = mx_hfloat_from_bits(mean[i])
        vl = mx_hfloat_from_bits(var[i])
        lans_moments(sg, &ml, &vl, beta1, beta2)
        mean[i] = mx_hfloat_to_bits(ml)
        var[i] = mx_hfloat_to_bits(vl)
        lans_directions(mx_hfloat_from_bits(w[i]), sg, ml, vl, wd, eps, c1, c2, &md, &gd)
        ms4[i & 3] += <double>md.v * <double>md.v
        gs4[i & 3] += <double>gd.v * <double>gd.v
    out[0] = _sum4(ms4)
    out[1] = _sum4(gs4)


cdef void _lans_p2_h16(half_bits* w, const half_bits* g, half_bits* mean, half_bits* var,
                       Py_ssize_t n, const double* hp, double gnorm, double step_m,
                       double step_g) noexcept nogil:
    cdef hfloat wd = hfloat(<float>hp[1])
    cdef hfloat rescale = hfloat(<float>hp[2])
    cdef hfloat clip_bound = hfloat(<float>hp[3])
    cdef hfloat beta1 = hfloat(<float>hp[4])
    cdef hfloat beta2 = hfloat(<float>hp[5])
    cdef hfloat eps = hfloat(<float>hp[6])
    cdef hfloat t = hfloat(<float>hp[7])
    cdef hfloat norm = hfloat(<float>gnorm)
    cdef hfloat a = hfloat(<float>step_m)
    cdef hfloat b = hfloat(<float>step_g)
    cdef hfloat c1, c2, sg, md, gd, wl
    cdef Py_ssize_t i
    bias_terms(beta1, beta2, t, &c1, &c2)
    for i in range(n):
        sg = lans_scaled_grad(mx_hfloat_from_bits(g[i]) if g != NULL else hfloat(0.0),
                              rescale, norm, clip_bound)
        wl = mx_hfloat_from_bits(w[i])
        lans_directions(wl, sg, mx_hfloat_from_bits(mean[i]), mx_hfloat_from_bits(var[i]),
                        wd, eps, c1, c2, &md, &gd)
        w[i] = mx_hfloat_to_bits(wl - (a * md + b * gd))


cdef void _lans_p1_mp(const half_bits* g, float* master, float* mean, float* var,
                      Py_ssize_t n, const double* hp, double gnorm, double* out) noexcept nogil:
    cdef float wd = <float>hp[1]
    cdef float rescale = <float>hp[2]
    cdef float clip_bound = <float>hp[3]
    cdef float beta1 = <float>hp[4]
    cdef float beta2 = <float>hp[5]
    cdef float eps = <float>hp[6]
    cdef float t = <float>hp[7]
    cdef float norm = <float>gnorm
    cdef float c1, c2, sg, md, gd
    cdef double ms4[4]
    cdef double gs4[4]
    cdef Py_ssize_t i
    # four interleaved partial sums each: no chain of dependent additions
    _zero4(ms4)
    _zero4(gs4)
    bias_terms(beta1, beta2, t, &c1, &c2)
    for i in range(n):
        sg = lans_scaled_grad(mx_half_to_float(g[i]) if g != NULL else <float>0.0,
                              rescale, norm, clip_bound)
        lans_moments(sg, &mean[i], &var[i], beta1, beta2)
        lans_directions(master[i], sg, mean[i], var[i], wd, eps, c1, c2, &md, &gd)
        ms4[i & 3] += <double>md * <double>md
        gs4[i & 3] += <double>gd * <double>gd
    out[0] = _sum4(ms4)
    out[1] = _sum4(gs4)


cdef void _lans_p2_mp(half_bits* w16, const half_bits* g, float* master, float* mean,
                      float* var, Py_ssize_t n, const double* hp, double gnorm,
                      double step_m, double step_g) noexcept nogil:
    cdef float wd = <float>hp[1]
    cdef float rescale = <float>hp[2]
    cdef float clip_bound = <float>hp[3]
    cdef float beta1 = <float>hp[4]
    cdef float beta2 = <float>hp[5]
    cdef float eps = <float>hp[6]
    cdef float t = <float>hp[7]
    cdef float norm = <float>gnorm
    cdef float a = <float>step_m
    cdef float b = <float>step_g
    cdef float c1, c2, sg, md, gd, wl
    cdef Py_ssize_t i
    bias_terms(beta1, beta2, t, &c1, &c2)
    for i in range(n):
        sg = lans_scaled_grad(mx_half_to_float(g[i]) if g != NULL else <float>0.0,
                              rescale, norm, clip_bound)
        wl = master[i]
        lans_directions(wl, sg, mean[i], var[i], wd, eps, c1, c2, &md, &gd)
        wl = wl - (a * md + b * gd)
        master[i] = wl
        w16[i] = mx_float_to_half(wl)


cdef void _lans_steps(int mode, double lr, double beta1, float ratio_m, float ratio_g,
                      double* step_m, double* step_g) noexcept nogil:
    # lr * beta1 * r_m and lr * (1 - beta1) * r_g, rounded as MXNet rounds them
    cdef float rmf, rgf, lrf = <float>lr, b1f = <float>beta1
    cdef double rmd, rgd
    cdef hfloat rmh, rgh, b1h
    if mode == AF_F64:
        rmd = <double>ratio_m * <double>b1f
        rgd = <double>ratio_g * (1.0 - <double>b1f)
        step_m[0] = <double>lrf * rmd
        step_g[0] = <double>lrf * rgd
    elif mode == AF_H16:
        b1h = hfloat(b1f)
        rmh = hfloat(ratio_m) * b1h
        rgh = hfloat(ratio_g) * (hfloat(1.0) - b1h)
        step_m[0] = (hfloat(lrf) * rmh).v
        step_g[0] = (hfloat(lrf) * rgh).v
    else:
        rmf = ratio_m * b1f
        rgf = <float>(<double>ratio_g * (1.0 - <double>b1f))
        step_m[0] = lrf * rmf
        step_g[0] = lrf * rgf


cdef void _lans_tensor(int mode, void* w, const void* g, void* master, void* mean, void* var,
                       AFSegs* s, const double* hp, int nt) noexcept nogil:
    # Three passes: ||g||; the moments with ||w||, ||m_dir||, ||g_dir||; the
    # step, with both directions recomputed.  Keeping the two directions from
    # the first pass instead would write and read two more arrays (four more
    # with the write's cache-line reads) to save reading g, m and v again.
    cdef Py_ssize_t k, o, go
    cdef double wsq, gnorm, step_m, step_g
    cdef double sums[AF_PARTS]
    cdef int kind = (cnp.NPY_FLOAT32 if mode == AF_F32 else
                     (cnp.NPY_FLOAT64 if mode == AF_F64 else cnp.NPY_FLOAT16))
    cdef Py_ssize_t wsize = _float_itemsize(kind)
    cdef bint w_in_p1 = mode == AF_F32 or mode == AF_F64
    # pass 0: ||rescale * g|| (and ||w|| in the float16 modes)
    for k in prange(s.n, schedule='static', num_threads=nt):
        o = s.off[k]
        go = s.goff[k]
        _lans_p0(kind, <const void*>NULL if w_in_p1 else <const void*>((<const char*>w) + o * wsize),
                 (<const char*>g) + go * wsize if go >= 0 else NULL,
                 s.length[k], hp[2], s.part + AF_PARTS * k)
    _af_sums(s, sums)  # ||w||^2 (float16 modes), ||rescale * g||^2
    wsq = sums[0]
    gnorm = sqrtf(<float>sums[1])
    # pass 1: moments, ||m_dir||, ||g_dir||
    for k in prange(s.n, schedule='static', num_threads=nt):
        o = s.off[k]
        go = s.goff[k]
        if mode == AF_F32:
            _lans_p1_f((<float*>w) + o, (<const float*>g) + go if go >= 0 else NULL,
                       (<float*>mean) + o, (<float*>var) + o, s.length[k], hp, gnorm,
                       s.part + AF_PARTS * k)
        elif mode == AF_F64:
            _lans_p1_f((<double*>w) + o, (<const double*>g) + go if go >= 0 else NULL,
                       (<double*>mean) + o, (<double*>var) + o, s.length[k], hp, gnorm,
                       s.part + AF_PARTS * k)
        elif mode == AF_H16:
            _lans_p1_h16((<half_bits*>w) + o, (<const half_bits*>g) + go if go >= 0 else NULL,
                         (<half_bits*>mean) + o, (<half_bits*>var) + o, s.length[k], hp,
                         gnorm, s.part + AF_PARTS * k)
        else:
            _lans_p1_mp((<const half_bits*>g) + go if go >= 0 else NULL,
                        (<float*>master) + o, (<float*>mean) + o, (<float*>var) + o,
                        s.length[k], hp, gnorm, s.part + AF_PARTS * k)
    _af_sums(s, sums)  # ||m_dir||^2, ||g_dir||^2, ||w||^2 (float32/float64 modes)
    if w_in_p1:
        wsq = sums[2]
    _lans_steps(mode, hp[0], hp[4], _af_trust(wsq, sums[0], hp[8], hp[9]),
                _af_trust(wsq, sums[1], hp[8], hp[9]), &step_m, &step_g)
    # pass 2: apply both parts
    for k in prange(s.n, schedule='static', num_threads=nt):
        o = s.off[k]
        go = s.goff[k]
        if mode == AF_F32:
            _lans_p2_f((<float*>w) + o, (<const float*>g) + go if go >= 0 else NULL,
                       (<float*>mean) + o, (<float*>var) + o, s.length[k], hp, gnorm,
                       step_m, step_g)
        elif mode == AF_F64:
            _lans_p2_f((<double*>w) + o, (<const double*>g) + go if go >= 0 else NULL,
                       (<double*>mean) + o, (<double*>var) + o, s.length[k], hp, gnorm,
                       step_m, step_g)
        elif mode == AF_H16:
            _lans_p2_h16((<half_bits*>w) + o, (<const half_bits*>g) + go if go >= 0 else NULL,
                         (<half_bits*>mean) + o, (<half_bits*>var) + o, s.length[k], hp,
                         gnorm, step_m, step_g)
        else:
            _lans_p2_mp((<half_bits*>w) + o, (<const half_bits*>g) + go if go >= 0 else NULL,
                        (<float*>master) + o, (<float*>mean) + o, (<float*>var) + o,
                        s.length[k], hp, gnorm, step_m, step_g)


# ------------------------------------------------------------ entry points
cdef int _af_mode(cnp.ndarray weight, bint mp) except -1:
    if mp:
        return AF_MP
    if weight.dtype.num == cnp.NPY_FLOAT32:
        return AF_F32
    if weight.dtype.num == cnp.NPY_FLOAT64:
        return AF_F64
    if weight.dtype.num in (cnp.NPY_FLOAT16, cnp.NPY_UINT16):
        return AF_H16
    raise TypeError("unsupported weight dtype %s" % weight.dtype)


# Float32 scratch arrays for LAMB's direction, kept between steps so that a
# model's updates reuse the same pages (a fresh 40 MB array costs more in page
# faults than the update itself).  Taken and given back with the GIL held: two
# threads stepping at once each get their own.  At most AF_POOL are kept.
cdef list _af_pool = []
cdef enum:
    AF_POOL = 2


cdef cnp.ndarray _af_take(Py_ssize_t n):
    cdef cnp.ndarray buf
    while _af_pool:
        buf = _af_pool.pop()
        if cnp.PyArray_SIZE(buf) >= n:
            return buf
    return np.empty(n, dtype=np.float32)


cdef void _af_give(cnp.ndarray buf):
    if len(_af_pool) < AF_POOL:
        _af_pool.append(buf)


cdef int _af_run(bint lans, cnp.ndarray weight, cnp.ndarray grad, object indices,
                 object master, cnp.ndarray mean, cnp.ndarray var,
                 const double* hp) except -1:
    """Update one tensor; ``indices`` None: dense ``grad``, else row data."""
    cdef AFSegs s
    cdef int mode = _af_mode(weight, master is not None)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(weight), nrows, rowlen
    cdef cnp.ndarray idx
    cdef cnp.ndarray scratch = None
    cdef float* direction = NULL
    cdef void* mp = NULL
    cdef int nt
    if n == 0:
        return 0
    if not lans and (mode == AF_F32 or mode == AF_F64):
        scratch = _af_take(n)
        direction = <float*>cnp.PyArray_DATA(scratch)
    if master is not None:
        mp = cnp.PyArray_DATA(<cnp.ndarray?>master)
    if indices is None:
        _af_segs_dense(&s, n)
    else:
        idx = <cnp.ndarray?>indices
        nrows = weight.shape[0]
        rowlen = n // nrows
        _af_segs_rows(&s, nrows, rowlen, <const int64_t*>cnp.PyArray_DATA(idx),
                      cnp.PyArray_SIZE(idx))
    nt = threads_for(n)
    try:
        with nogil:
            if lans:
                _lans_tensor(mode, cnp.PyArray_DATA(weight), cnp.PyArray_DATA(grad), mp,
                             cnp.PyArray_DATA(mean), cnp.PyArray_DATA(var), &s, hp, nt)
            else:
                _lamb_tensor(mode, cnp.PyArray_DATA(weight), cnp.PyArray_DATA(grad), mp,
                             cnp.PyArray_DATA(mean), cnp.PyArray_DATA(var), direction, &s,
                             hp, nt)
    finally:
        _af_free(&s)
        if scratch is not None:
            _af_give(scratch)
    return 0


def _af_multi(bint lans, bint mp, list weights, list grads, list states, list masters,
              list hyper_rows):
    # per-tensor scalar tuples, as every multi-tensor kernel takes them
    cdef double[:, ::1] hyper = np.ascontiguousarray(hyper_rows, dtype=np.float64)
    cdef Py_ssize_t t, count = len(weights)
    if hyper.shape[0] != count:
        raise ValueError("hyper has %d rows for %d tensors" % (hyper.shape[0], count))
    for t in range(count):
        st = states[t]
        _af_run(lans, <cnp.ndarray?>weights[t], <cnp.ndarray?>grads[t], None,
                masters[t] if mp else None, <cnp.ndarray?>st[0], <cnp.ndarray?>st[1],
                &hyper[t, 0])


def _af_rows(bint lans, weight, grad_data, indices, master, mean, var, tuple scalars):
    cdef double[::1] hp = np.ascontiguousarray(scalars, dtype=np.float64)
    _af_run(lans, <cnp.ndarray?>weight, <cnp.ndarray?>grad_data, indices, master,
            <cnp.ndarray?>mean, <cnp.ndarray?>var, &hp[0])


def lamb_multi_f32(list weights, list grads, list states, list masters, list hyper):
    """LAMB over float32 tensors (one norm pair per tensor)."""
    _af_multi(False, False, weights, grads, states, masters, hyper)


def lamb_multi_f64(list weights, list grads, list states, list masters, list hyper):
    """LAMB over float64 tensors."""
    _af_multi(False, False, weights, grads, states, masters, hyper)


def lamb_multi_h16(list weights, list grads, list states, list masters, list hyper):
    """LAMB over float16 tensors in float16 arithmetic."""
    _af_multi(False, False, weights, grads, states, masters, hyper)


def lamb_multi_mp(list weights, list grads, list states, list masters, list hyper):
    """LAMB over float16 tensors with float32 master copies."""
    _af_multi(False, True, weights, grads, states, masters, hyper)


def lamb_rows_std(weight, grad_data, indices, mean, var, *scalars):
    """LAMB with a row-sparse gradient, dense semantics (absent rows: zero gradient)."""
    _af_rows(False, weight, grad_data, indices, None, mean, var, scalars)


def lamb_rows_std_h16(weight, grad_data, indices, mean, var, *scalars):
    _af_rows(False, weight, grad_data, indices, None, mean, var, scalars)


def lamb_rows_std_mp(weight, grad_data, indices, master, mean, var, *scalars):
    _af_rows(False, weight, grad_data, indices, master, mean, var, scalars)


def lans_multi_f32(list weights, list grads, list states, list masters, list hyper):
    """LANS over float32 tensors (three norms per tensor)."""
    _af_multi(True, False, weights, grads, states, masters, hyper)


def lans_multi_f64(list weights, list grads, list states, list masters, list hyper):
    """LANS over float64 tensors."""
    _af_multi(True, False, weights, grads, states, masters, hyper)


def lans_multi_h16(list weights, list grads, list states, list masters, list hyper):
    """LANS over float16 tensors in float16 arithmetic."""
    _af_multi(True, False, weights, grads, states, masters, hyper)


def lans_multi_mp(list weights, list grads, list states, list masters, list hyper):
    """LANS over float16 tensors with float32 master copies."""
    _af_multi(True, True, weights, grads, states, masters, hyper)


def lans_rows_std(weight, grad_data, indices, mean, var, *scalars):
    """LANS with a row-sparse gradient, dense semantics (absent rows: zero gradient)."""
    _af_rows(True, weight, grad_data, indices, None, mean, var, scalars)


def lans_rows_std_h16(weight, grad_data, indices, mean, var, *scalars):
    _af_rows(True, weight, grad_data, indices, None, mean, var, scalars)


def lans_rows_std_mp(weight, grad_data, indices, master, mean, var, *scalars):
    _af_rows(True, weight, grad_data, indices, master, mean, var, scalars)

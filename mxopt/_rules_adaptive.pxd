# cython: language_level=3
"""Update rules of the adaptive family: AdaGrad, RMSProp (plain and
centered), AdaDelta and FTRL (MXNet's rule and the TensorFlow/Keras one).

AdaGrad and AdaDelta are written in Python in MXNet 1.9.1: every NDArray
operation rounds to the weight's dtype and the scalars are Python doubles
(``hyper_dtype: float64``; derived scalars such as ``1 - rho`` are computed
in double by the optimizer class and passed in).  RMSProp and FTRL are C++
kernels in MXNet holding their scalars as float32.  Each rule follows
MXNet's operation order, which decides the float16 results.

GroupAdaGrad (a per-row reduction) and Test (a float32 state beside any
weight dtype) are hand-written in ``_kern_adaptive.pxi``.
"""
from mxopt._rules_common cimport *  # the hfloat operators must be in scope


cdef inline real greater_as_real(real a, real b) noexcept nogil:
    # MXNet's gt::Map: 1 or 0 in the compute type
    if real is hfloat:
        return hfloat(1.0) if a > b else hfloat(0.0)
    else:
        return 1 if a > b else 0


cdef inline real zero_like(real x) noexcept nogil:
    if real is hfloat:
        return hfloat(0.0)
    else:
        return 0




cdef inline real clip_bound_f32(real bound) noexcept nogil:
    # MXNet's clip operator holds its bounds as float32 even for float64
    # arrays (its scalar arithmetic operators use doubles)
    if real is double:
        return <double><float>bound
    else:
        return bound


cdef inline void adagrad_step(real* w, real g, real* history, real lr, real wd,
                              real rescale, real clip_bound,
                              real epsilon) noexcept nogil:
    # MXNet's Python AdaGrad, one NDArray operation per line.  Its sparse
    # C++ kernel computes w - div * lr, which is the same number when wd == 0
    # (the only case MXNet's sparse path accepts).
    cdef real div
    g = g * rescale
    if clip_bound >= 0:
        g = clip(g, clip_bound_f32(clip_bound))
    history[0] = history[0] + g * g
    div = g / square_root(history[0] + epsilon)
    w[0] = w[0] + (div + w[0] * wd) * (-lr)


# kernel: adagrad | states: history | hyper: epsilon | hyper_dtype: float64
cdef inline void adagrad_rule(real* w, real g, real* history, real lr, real wd,
                              real rescale, real clip_bound,
                              real epsilon) noexcept nogil:
    # dense gradients: MXNet computes in Python, with double scalars
    adagrad_step(w, g, history, lr, wd, rescale, clip_bound, epsilon)


# kernel: adagrad_rsp | states: history | hyper: epsilon | hyper_dtype: float32
cdef inline void adagrad_rsp_rule(real* w, real g, real* history, real lr, real wd,
                                  real rescale, real clip_bound,
                                  real epsilon) noexcept nogil:
    # row-sparse gradients: MXNet's C++ kernel, float32 scalars
    adagrad_step(w, g, history, lr, wd, rescale, clip_bound, epsilon)


# kernel: rmsprop | states: state_n | hyper: gamma1, epsilon, clip_weights | hyper_dtype: float32
cdef inline void rmsprop_rule(real* w, real g, real* n, real lr, real wd,
                              real rescale, real clip_bound, real gamma1,
                              real epsilon, real clip_weights) noexcept nogil:
    # Tieleman & Hinton; epsilon sits inside the square root, wd is added to
    # the gradient before clipping (MXNet's rmsprop_update)
    g = rescale * g + wd * w[0]
    if clip_bound >= 0:
        g = clip(g, clip_bound)
    n[0] = one_minus(gamma1) * (g * g) + gamma1 * n[0]
    w[0] = w[0] - lr * (g / square_root(n[0] + epsilon))
    if clip_weights >= 0:
        w[0] = clip(w[0], clip_weights)


# kernel: rmspropalex | states: state_n, state_g, delta | hyper: gamma1, gamma2, epsilon, clip_weights | hyper_dtype: float32
cdef inline void rmspropalex_rule(real* w, real grad, real* n, real* g,
                                  real* delta, real lr, real wd, real rescale,
                                  real clip_bound, real gamma1, real gamma2,
                                  real epsilon, real clip_weights) noexcept nogil:
    # Graves (2013), eqs. 38-45: the centered variant (MXNet's rmspropalex_update)
    grad = rescale * grad + wd * w[0]
    if clip_bound >= 0:
        grad = clip(grad, clip_bound)
    n[0] = one_minus(gamma1) * grad * grad + gamma1 * n[0]
    g[0] = one_minus(gamma1) * grad + gamma1 * g[0]
    delta[0] = gamma2 * delta[0] - (lr * grad / square_root(n[0] - g[0] * g[0] + epsilon))
    if clip_weights >= 0:
        w[0] = clip(w[0] + delta[0], clip_weights)
    else:
        w[0] = w[0] + delta[0]


# kernel: adadelta | states: acc_g, acc_delta | hyper: rho, one_minus_rho, epsilon | hyper_dtype: float64
cdef inline void adadelta_rule(real* w, real g, real* acc_g, real* acc_delta,
                               real lr, real wd, real rescale, real clip_bound,
                               real rho, real one_minus_rho,
                               real epsilon) noexcept nogil:
    # MXNet's Python AdaDelta: no learning rate, weight decay applied
    # without one.  (MXNet scales the caller's gradient array in place; here
    # the scaled value lives in a register.)
    cdef real step
    g = g * rescale
    if clip_bound >= 0:
        g = clip(g, clip_bound_f32(clip_bound))
    acc_g[0] = acc_g[0] * rho
    acc_g[0] = acc_g[0] + one_minus_rho * g * g
    step = square_root(acc_delta[0] + epsilon) / square_root(acc_g[0] + epsilon) * g
    acc_delta[0] = acc_delta[0] * rho
    acc_delta[0] = acc_delta[0] + one_minus_rho * step * step
    w[0] = w[0] - (step + wd * w[0])


# kernel: ftrl | states: state_z, state_n | hyper: lamda1, beta | hyper_dtype: float32
cdef inline void ftrl_rule(real* w, real g, real* z, real* n, real lr, real wd,
                           real rescale, real clip_bound, real lamda1,
                           real beta) noexcept nogil:
    # MXNet's ftrl_update; the weight is recomputed from (z, n) in closed form.
    # sqrt(n + g^2) is the square root of the new n: taken once.
    cdef real n_new, root_new
    g = g * rescale
    if clip_bound >= 0:
        g = clip(g, clip_bound)
    n_new = n[0] + g * g
    root_new = square_root(n_new)
    z[0] = z[0] + (g - (root_new - square_root(n[0])) * w[0] / lr)
    n[0] = n_new
    w[0] = ((sign(z[0]) * lamda1 - z[0]) / ((beta + root_new) / lr + wd)
            * greater_as_real(absolute(z[0]), lamda1))


# kernel: ftrl_v2 | states: state_z, state_n | hyper: lamda1, beta, neg_power, two_l2, two_shrinkage | hyper_dtype: float64
cdef inline void ftrl_v2_rule(real* w, real g, real* z, real* n, real lr, real wd,
                              real rescale, real clip_bound, real lamda1, real beta,
                              real neg_power, real two_l2,
                              real two_shrinkage) noexcept nogil:
    # TensorFlow's ApplyFtrlV2 / Keras 3's Ftrl, generalised by MXNet's beta
    # and wd (both 0 in TF):  z is TF's `linear`, n its `accumulator`,
    # neg_power = -learning_rate_power.  The accumulator grows with the plain
    # gradient, the linear term with the shrinkage gradient.
    cdef real shrunk, n_new, pow_new
    g = g * rescale
    if clip_bound >= 0:
        g = clip(g, clip_bound)
    shrunk = g + two_shrinkage * w[0]
    n_new = n[0] + g * g
    pow_new = power(n_new, neg_power)
    z[0] = z[0] + (shrunk - (pow_new - power(n[0], neg_power)) / lr * w[0])
    n[0] = n_new
    if absolute(z[0]) > lamda1:
        w[0] = (sign(z[0]) * lamda1 - z[0]) / ((beta + pow_new) / lr + wd + two_l2)
    else:
        w[0] = zero_like(w[0])

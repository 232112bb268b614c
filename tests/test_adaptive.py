"""Tests specific to the adaptive family (AdaGrad, RMSProp, AdaDelta, Ftrl,
Test, contrib.GroupAdaGrad) beyond the table-driven ones in
``test_optimizers.py``."""
import numpy as np
import pytest
import scipy.sparse

import mxopt as mx
from mxopt import _kernels
from mxopt.optimizer.contrib import GroupAdaGrad

import reference_adaptive as ra

H = np.float16


class RowSparse(object):
    stype = "row_sparse"

    def __init__(self, data, indices, shape):
        self.data, self.indices, self.shape = data, np.asarray(indices, np.int64), shape


def h(x):
    """A scalar as the float16 kernels see it (through float32)."""
    return H(np.float32(x))


# ---------------------------------------------------------------- float16
# NumPy float16 arithmetic rounds after every operation, as MXNet's half_t
# and mxopt's hfloat do: these emulations follow MXNet's operation order.
def f16_adagrad(w, g, hist, lr, wd, rescale, eps):
    g = g * h(rescale)
    hist = hist + g * g
    div = g / np.sqrt(hist + h(eps))
    return w + (div + w * h(wd)) * (-h(lr)), [hist]


def f16_rmsprop(w, g, n, lr, wd, rescale, gamma1, eps):
    g = h(rescale) * g + h(wd) * w
    n = (H(1) - h(gamma1)) * (g * g) + h(gamma1) * n
    return w - h(lr) * (g / np.sqrt(n + h(eps))), [n]


def f16_adadelta(w, g, acc_g, acc_d, wd, rescale, rho, eps):
    g = g * h(rescale)
    acc_g = acc_g * h(rho)
    acc_g = acc_g + h(1.0 - rho) * g * g
    delta = np.sqrt(acc_d + h(eps)) / np.sqrt(acc_g + h(eps)) * g
    acc_d = acc_d * h(rho)
    acc_d = acc_d + h(1.0 - rho) * delta * delta
    return w - (delta + h(wd) * w), [acc_g, acc_d]


def f16_ftrl(w, g, z, n, lr, wd, rescale, lamda1, beta):
    g = g * h(rescale)
    z = z + (g - (np.sqrt(n + g * g) - np.sqrt(n)) * w / h(lr))
    n = n + g * g
    w = ((np.sign(z) * h(lamda1) - z) / ((h(beta) + np.sqrt(n)) / h(lr) + h(wd))
         * (np.abs(z) > h(lamda1)).astype(H))
    return w, [z, n]


@pytest.mark.parametrize("name,kw,emulate", [
    ("adagrad", dict(learning_rate=0.1, wd=0.01, rescale_grad=0.5, eps=1e-4),
     lambda w, g, s, o: f16_adagrad(w, g, s, 0.1, 0.01, 0.5, 1e-4)),
    ("rmsprop", dict(learning_rate=0.01, wd=0.02, rescale_grad=2.0, gamma1=0.8, epsilon=1e-3),
     lambda w, g, s, o: f16_rmsprop(w, g, s[0], 0.01, 0.02, 2.0, 0.8, 1e-3)),
    ("adadelta", dict(wd=0.01, rescale_grad=0.5, rho=0.8, epsilon=1e-3),
     lambda w, g, s, o: f16_adadelta(w, g, s[0], s[1], 0.01, 0.5, 0.8, 1e-3)),
    ("ftrl", dict(learning_rate=0.2, wd=0.05, lamda1=0.02, beta=0.5),
     lambda w, g, s, o: f16_ftrl(w, g, s[0], s[1], 0.2, 0.05, 1.0, 0.02, 0.5)),
])
def test_float16_without_master_copy_rounds_every_operation(name, kw, emulate):
    rng = np.random.default_rng(0)
    opt = mx.optimizer.create(name, **kw)
    w = rng.standard_normal((6, 5)).astype(H)
    state = opt.create_state(0, w)
    flat = [state] if isinstance(state, np.ndarray) else list(state)
    assert all(s.dtype == H for s in flat)
    w_e, s_e = w.copy(), [s.copy() for s in flat]
    for _ in range(6):
        g = rng.standard_normal((6, 5)).astype(H)
        opt.update(0, w, g, state)
        w_e, s_e = emulate(w_e, g, s_e[0] if name == "adagrad" else s_e, opt)
        np.testing.assert_array_equal(w, w_e)
        for got, want in zip(flat, s_e):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adadelta", "ftrl", "groupadagrad"])
@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.float32])
def test_states_follow_the_weight_dtype(name, dtype):
    opt = mx.optimizer.create(name)
    state = opt.create_state(0, np.zeros((3, 2), dtype))
    flat = [state] if isinstance(state, np.ndarray) else list(state)
    assert all(s.dtype == dtype for s in flat)
    mp = mx.optimizer.create(name, multi_precision=True)
    master, inner = mp.create_state_multi_precision(0, np.zeros((3, 2), np.float16))
    flat = [inner] if isinstance(inner, np.ndarray) else list(inner)
    assert master.dtype == np.float32 and all(s.dtype == np.float32 for s in flat)


# ------------------------------------------------------------------- Test
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_test_optimizer_state_is_float32_copy_of_weight(dtype):
    opt = mx.optimizer.Test(rescale_grad=0.5, learning_rate=3.0, wd=1.0, clip_gradient=0.01)
    w = np.arange(6, dtype=dtype).reshape(2, 3)
    state = opt.create_state(0, w)
    assert state.dtype == np.float32
    opt.update(0, w, np.ones((2, 3), dtype), state)
    np.testing.assert_array_equal(w, (np.arange(6) + 0.5).reshape(2, 3).astype(dtype))
    np.testing.assert_array_equal(state, w.astype(np.float32))
    assert opt.num_update == 1
    g = RowSparse(np.full((1, 3), 2.0, dtype), [1], (2, 3))
    opt.update(0, w, g, state)
    np.testing.assert_array_equal(w[1], (np.arange(3, 6) + 1.5).astype(dtype))
    np.testing.assert_array_equal(state, w.astype(np.float32))


def test_test_optimizer_multi_precision():
    opt = mx.optimizer.Test(multi_precision=True)
    w = np.full(4, 1.0, H)
    master, state = opt.create_state_multi_precision(0, w)
    opt.update_multi_precision(0, w, np.full(4, 1e-4, H), (master, state))
    assert master[0] == np.float32(1.0) + np.float32(H(1e-4))
    np.testing.assert_array_equal(state, master)
    np.testing.assert_array_equal(w, master.astype(H))


# --------------------------------------------------------------- AdaGrad
def test_adagrad_epsilon_spellings():
    assert mx.optimizer.AdaGrad(epsilon=1e-3).float_stable_eps == 1e-3
    assert mx.optimizer.AdaGrad(1e-4).epsilon == 1e-4
    with pytest.raises(TypeError, match="eps.*epsilon"):
        mx.optimizer.AdaGrad(1e-4, epsilon=1e-3)
    with pytest.raises(ValueError, match="epsilon"):
        mx.optimizer.AdaGrad(epsilon=-1.0)


def test_adagrad_sparse_with_wd_is_lazy_and_matches_dense_rows():
    opt = mx.optimizer.AdaGrad(learning_rate=0.1, wd=0.1)
    w = np.ones((5, 3))
    state = opt.create_state(0, w)
    rows = [0, 3]
    data = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, -0.5]])
    opt.update(0, w, RowSparse(data, rows, (5, 3)), state)
    ref = ra.RefAdaGrad(learning_rate=0.1, wd=0.1)
    dense = np.zeros((5, 3))
    dense[rows] = data
    w_ref, s_ref = ref.update(0, np.ones((5, 3)), dense, ref.create_state(np.ones((5, 3))),
                              rows=rows, lazy=True)
    # the sparse kernel holds its scalars as float32 (as MXNet's does)
    np.testing.assert_allclose(w, w_ref, rtol=1e-7)
    np.testing.assert_allclose(state, s_ref[0], rtol=1e-7)
    assert np.all(w[[1, 2, 4]] == 1.0)


def test_adagrad_aggregated_mixed_dense_and_sparse_equals_one_at_a_time():
    rng = np.random.default_rng(3)
    shapes = [(4, 3), (6, 2), (5,), (3, 3)]
    ws = [rng.standard_normal(s) for s in shapes]
    ws2 = [w.copy() for w in ws]
    a, b = mx.optimizer.AdaGrad(learning_rate=0.1), mx.optimizer.AdaGrad(learning_rate=0.1)
    sa = [a.create_state(i, w) for i, w in enumerate(ws)]
    sb = [b.create_state(i, w) for i, w in enumerate(ws2)]
    for _ in range(3):
        grads = [rng.standard_normal(s) for s in shapes]
        grads[1] = RowSparse(grads[1][[0, 4]], [0, 4], shapes[1])
        grads[3] = scipy.sparse.csr_matrix(np.where(grads[3] > 0, grads[3], 0))
        a.update(list(range(4)), ws, grads, sa)
        for i in range(4):
            b.update(i, ws2[i], grads[i], sb[i])
    for x, y in zip(ws, ws2):
        np.testing.assert_array_equal(x, y)


# --------------------------------------------------------------- RMSProp
def test_rmsprop_state_layouts_and_wrong_structure():
    plain, centered = mx.optimizer.RMSProp(), mx.optimizer.RMSProp(centered=True)
    w = np.zeros((2, 2), np.float32)
    s1, s3 = plain.create_state(0, w), centered.create_state(0, w)
    assert isinstance(s1, tuple) and len(s1) == 1
    assert isinstance(s3, tuple) and len(s3) == 3
    with pytest.raises(TypeError, match=r"\(n, g, delta\)"):
        centered.update(0, w, np.ones_like(w), s1)
    with pytest.raises(TypeError, match=r"\(n,\)"):
        plain.update(0, w, np.ones_like(w), s3)
    assert np.all(w == 0) and centered.num_update == 0


def test_rmsprop_epsilon_inside_the_square_root_and_clip_weights():
    opt = mx.optimizer.RMSProp(learning_rate=1.0, gamma1=0.0, epsilon=3.0, clip_weights=0.3)
    w = np.zeros(2)
    opt.update(0, w, np.array([1.0, -1.0]), opt.create_state(0, w))
    np.testing.assert_allclose(w, [-0.3, 0.3])          # 1 / sqrt(1 + 3) = 0.5, clipped
    opt = mx.optimizer.RMSProp(learning_rate=1.0, gamma1=0.0, epsilon=3.0)
    w = np.zeros(2)
    opt.update(0, w, np.array([1.0, -1.0]), opt.create_state(0, w))
    np.testing.assert_allclose(w, [-0.5, 0.5])


def test_rmsprop_default_rate_overwrites_scheduler_base_lr():
    sched = mx.lr_scheduler.FactorScheduler(step=5, base_lr=0.5)
    opt = mx.optimizer.RMSProp(lr_scheduler=sched)
    assert sched.base_lr == 0.001 and opt._get_lr(0) == pytest.approx(0.001)


# -------------------------------------------------------------- AdaDelta
def test_adadelta_ignores_learning_rate_and_applies_wd_without_it():
    rng = np.random.default_rng(4)
    w0 = rng.standard_normal((4, 4))
    g = rng.standard_normal((4, 4))
    out = []
    for lr in (0.001, 10.0):
        opt = mx.optimizer.AdaDelta(learning_rate=lr, wd=0.1, rho=0.5)
        opt.set_lr_mult({0: 7.0})
        w = w0.copy()
        opt.update(0, w, g, opt.create_state(0, w))
        out.append(w)
    np.testing.assert_array_equal(out[0], out[1])
    # zero gradient: only the weight decay moves the weight, by wd * w
    opt = mx.optimizer.AdaDelta(wd=0.1)
    w = w0.copy()
    opt.update(0, w, np.zeros_like(w), opt.create_state(0, w))
    np.testing.assert_allclose(w, w0 - 0.1 * w0)


def test_adadelta_never_modifies_the_callers_gradient():
    opt = mx.optimizer.AdaDelta(rescale_grad=0.25, clip_gradient=0.1)
    w = np.ones((3, 3), np.float32)
    g = np.full((3, 3), 4.0, np.float32)
    opt.update(0, w, g, opt.create_state(0, w))
    assert np.all(g == 4.0)


# ---------------------------------------------------------- GroupAdaGrad
def test_groupadagrad_is_registered_and_reachable():
    assert mx.optimizer.contrib.GroupAdaGrad is GroupAdaGrad
    assert type(mx.optimizer.create("GroupAdaGrad")) is GroupAdaGrad


def test_groupadagrad_refuses_wd_before_touching_anything():
    opt = GroupAdaGrad(wd=0.01)
    ws = [np.ones((3, 2), np.float32), np.ones((2, 2), np.float32)]
    states = [opt.create_state(i, w) for i, w in enumerate(ws)]
    with pytest.raises(ValueError, match="weight decay.*wd=0.01"):
        opt.update([0, 1], ws, [np.ones((3, 2), np.float32), np.ones((2, 2), np.float32)],
                   states)
    assert all(np.all(w == 1) for w in ws) and all(np.all(s == 0) for s in states)
    assert opt.num_update == 0 and opt._index_update_count == {}
    # a zero multiplier (here: a name not ending in _weight) makes it legal
    named = GroupAdaGrad(wd=0.01, param_idx2name={0: "fc_bias"})
    named.update(0, ws[0], np.ones((3, 2), np.float32), states[0])
    assert np.all(ws[0] < 1)


@pytest.mark.parametrize("shape", [(5, 2, 3), (7,), (4, 1)])
def test_groupadagrad_rows_along_axis_0(shape):
    rng = np.random.default_rng(5)
    opt = GroupAdaGrad(learning_rate=0.1)
    ref = ra.RefGroupAdaGrad(learning_rate=0.1)
    w = rng.standard_normal(shape)
    state = opt.create_state(0, w)
    assert state.shape == (shape[0], 1)
    w_ref, s_ref = w.copy(), ref.create_state(w)
    for _ in range(3):
        g = rng.standard_normal(shape)
        opt.update(0, w, g, state)
        w_ref, s_ref = ref.update(0, w_ref, g, s_ref)
        np.testing.assert_allclose(w, w_ref, rtol=1e-12)
        np.testing.assert_allclose(state, s_ref[0], rtol=1e-12)


def test_groupadagrad_bad_history_and_0d_weight():
    opt = GroupAdaGrad()
    w = np.ones((3, 2), np.float32)
    with pytest.raises(mx.MXNetError, match="history"):
        opt.update(0, w, np.ones_like(w), np.zeros((3, 2), np.float32))
    with pytest.raises(mx.MXNetError, match="history"):
        opt.update(0, w, np.ones_like(w), np.zeros((3, 1), np.float64))
    with pytest.raises(mx.MXNetError, match="dimension"):
        opt.create_state(0, np.float32(1.0).reshape(()))
    assert np.all(w == 1) and opt.num_update == 0


def test_groupadagrad_csr_is_lazy():
    opt = GroupAdaGrad(learning_rate=0.1)
    w = np.ones((4, 3))
    state = opt.create_state(0, w)
    dense = np.zeros((4, 3))
    dense[2] = [1.0, 0.0, -2.0]
    opt.update(0, w, scipy.sparse.csr_matrix(dense), state)
    assert np.all(w[[0, 1, 3]] == 1) and np.all(state[[0, 1, 3]] == 0)
    np.testing.assert_allclose(state[2, 0], 5.0 / 3.0)


# ----------------------------------------------------------------- threads
@pytest.mark.parametrize("name,kw", [("groupadagrad", {}), ("adagrad", {}),
                                     ("ftrl", dict(learning_rate_power=-0.4)), ("test", {})])
def test_threads_give_the_same_numbers(name, kw):
    if not _kernels.HAVE_OPENMP:
        pytest.skip("serial build")
    old_threads, old_threshold = _kernels.get_num_threads(), _kernels.get_parallel_threshold()
    rng = np.random.default_rng(6)
    w0 = rng.standard_normal((300, 50)).astype(np.float32)
    g = rng.standard_normal((300, 50)).astype(np.float32)
    rows = np.arange(0, 300, 3)
    results = []
    try:
        _kernels.set_parallel_threshold(64)
        for threads in (1, 3):
            _kernels.set_num_threads(threads)
            opt = mx.optimizer.create(name, **kw)
            w = w0.copy()
            state = opt.create_state(0, w)
            opt.update(0, w, g, state)
            opt.update(0, w, RowSparse(g[rows], rows, w.shape), state)
            results.append(w)
    finally:
        _kernels.set_num_threads(old_threads)
        _kernels.set_parallel_threshold(old_threshold)
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows,rowlen", [(7, 64), (8, 3), (5, 300), (2, 1), (1, 5)])
@pytest.mark.parametrize("clip", [None, 0.3])
def test_groupadagrad_rows_taken_in_pairs_give_each_rows_numbers(dtype, rows, rowlen, clip):
    # the kernel takes rows two at a time (their sums interleaved); every row
    # must get exactly what it gets updated alone, as a one-row tensor
    rng = np.random.default_rng(rows * 1000 + rowlen)
    kw = dict(learning_rate=0.1, rescale_grad=0.5, clip_gradient=clip)
    opt, alone = GroupAdaGrad(**kw), GroupAdaGrad(**kw)
    w = rng.standard_normal((rows, rowlen)).astype(dtype)
    w_rows = [w[i:i + 1].copy() for i in range(rows)]
    state = opt.create_state(0, w)
    states = [alone.create_state(i, w_rows[i]) for i in range(rows)]
    for step in range(3):
        g = rng.standard_normal((rows, rowlen)).astype(dtype)
        sparse = step == 2  # rows 0, 2, 3, 5, ... (gaps, odd counts)
        keep = [i for i in range(rows) if i % 3 != 1] if sparse else range(rows)
        if sparse:  # (float32 scalars, as in MXNet's sparse kernel, for both)
            dense = np.zeros_like(g)
            dense[keep] = g[keep]
            opt.update(0, w, scipy.sparse.csr_matrix(dense), state)
        else:
            opt.update(0, w, g, state)
        for i in keep:
            gi = scipy.sparse.csr_matrix(g[i:i + 1]) if sparse else g[i:i + 1]
            alone.update(i, w_rows[i], gi, states[i])
        for i in range(rows):
            assert np.array_equal(w[i:i + 1], w_rows[i]), (step, i)
            assert np.array_equal(state[i:i + 1], states[i]), (step, i)


def test_groupadagrad_few_long_rows_on_threads_give_the_paired_numbers():
    # with fewer pairs than threads each row goes to a thread of its own
    # (unpaired); one thread takes the same rows in pairs: equal bits
    if not _kernels.HAVE_OPENMP:
        pytest.skip("serial build")
    old_threads, old_threshold = _kernels.get_num_threads(), _kernels.get_parallel_threshold()
    rng = np.random.default_rng(8)
    w0 = rng.standard_normal((3, 5000))
    g = rng.standard_normal((3, 5000))
    results = []
    try:
        _kernels.set_parallel_threshold(64)
        for threads in (1, 2):
            _kernels.set_num_threads(threads)
            opt = GroupAdaGrad(learning_rate=0.1)
            w = w0.copy()
            state = opt.create_state(0, w)
            opt.update(0, w, g, state)
            results.append((w, state))
    finally:
        _kernels.set_num_threads(old_threads)
        _kernels.set_parallel_threshold(old_threshold)
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])

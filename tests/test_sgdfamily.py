"""SGD-family behaviour beyond the generic table: LARS's trust ratio, LBSGD's
warmup and gradient accumulation, SGLD's noise, DCASGD with momentum, NAG's
and Signum's MXNet quirks, ccSGD as SGD."""
import json
import math
import warnings

import numpy as np
import pytest

import mxopt as mx
from mxopt import _kernels
from mxopt.lr_scheduler import FactorScheduler
from reference_sgdfamily import RefDCASGD, RefLARS, RefNAG

RNG = np.random.default_rng


class RowSparse(object):
    stype = "row_sparse"

    def __init__(self, data, indices, shape):
        self.data, self.indices, self.shape = data, np.asarray(indices, np.int64), shape


# ---------------------------------------------------------------------------
# sums of squares kernel
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("threads", [1, 2])
def test_multi_sum_squares_accumulates_in_double(dtype, threads):
    old = mx.get_num_threads()
    mx.set_num_threads(threads)
    try:
        rng = RNG(0)
        arrays = [rng.standard_normal(n).astype(dtype) for n in (0, 1, 37, 300001)]
        arrays.append(rng.standard_normal((30, 20)).astype(dtype))
        out = np.empty(len(arrays))
        _kernels.multi_sum_squares(arrays, out)
        want = [float(np.sum(a.astype(np.float64) ** 2)) for a in arrays]
        np.testing.assert_allclose(out, want, rtol=1e-12)
    finally:
        mx.set_num_threads(old)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 3, 4, 7, 257, 1003])
def test_multi_sum_squares_order_is_four_interleaved_sums(dtype, n):
    # one thread's order, bit for bit: acc[i % 4] += x[i]^2 over whole groups
    # of four, the last n % 4 squares into acc[0], then (a0 + a1) + (a2 + a3)
    x = RNG(n).standard_normal(n).astype(dtype)
    acc = [0.0, 0.0, 0.0, 0.0]
    n4 = n - n % 4
    for i, v in enumerate(x.astype(np.float64).tolist()):
        acc[i % 4 if i < n4 else 0] += v * v
    out = np.empty(1)
    _kernels.multi_sum_squares([x], out)
    assert out[0] == (acc[0] + acc[1]) + (acc[2] + acc[3])


def test_multi_sum_squares_refuses_bad_arrays():
    out = np.empty(2)
    with pytest.raises(ValueError, match="contiguous"):
        _kernels.multi_sum_squares([np.ones((4, 4)).T], out)
    with pytest.raises(TypeError, match="float16/32/64"):
        _kernels.multi_sum_squares([np.ones(3, np.int32)], out)
    with pytest.raises(ValueError, match="slots"):
        _kernels.multi_sum_squares([np.ones(3)] * 3, out)


# ---------------------------------------------------------------------------
# LARS
# ---------------------------------------------------------------------------
LARS_CONFIGS = [dict(learning_rate=0.1, eta=0.01),
                dict(learning_rate=0.5, eta=0.05, eps=0.5, wd=0.01),
                dict(learning_rate=0.5, momentum=0.9, eta=0.02, rescale_grad=0.25,
                     clip_gradient=0.3, wd=0.05)]


@pytest.mark.parametrize("config", LARS_CONFIGS)
@pytest.mark.parametrize("dtype,rtol", [(np.float32, 2e-5), (np.float64, 1e-6)])
def test_lars_trust_ratio_matches_reference(config, dtype, rtol):
    rng = RNG(1)
    opt = mx.optimizer.LARS(**config)
    ref = RefLARS(**config)
    w = rng.standard_normal((8, 5)).astype(dtype)
    w_ref = w.astype(np.float64)
    state = opt.create_state(0, w)
    s_ref = ref.create_state(w_ref)
    for _ in range(6):
        g = rng.standard_normal((8, 5)).astype(dtype)
        opt.update(0, w, g, state)
        w_ref, s_ref = ref.update(0, w_ref, g.astype(np.float64), s_ref)
        np.testing.assert_allclose(w, w_ref, rtol=rtol, atol=rtol * 1e-2)


def test_lars_rate_formula_eta_and_eps():
    w = np.full(4, 3.0)            # |w| = 6
    g = np.full(4, 0.5)            # |g| = 1
    for eta, eps, wd, rescale in [(0.01, 0.0, 0.0, 1.0), (0.1, 2.0, 0.5, 3.0)]:
        opt = mx.optimizer.LARS(learning_rate=0.2, eta=eta, eps=eps, wd=wd, rescale_grad=rescale)
        x = w.copy()
        opt.update(0, x, g, None)
        rate = float(np.float32(0.2 * eta * 6.0 / (1.0 * rescale + wd * 6.0 + eps)))
        np.testing.assert_allclose(x, w - rate * (wd * w + rescale * g), rtol=1e-6)


@pytest.mark.parametrize("name", ["fc_bias", "bn_gamma", "bn_beta", "convbias"])
def test_lars_names_without_trust_ratio(name):
    # names ending in gamma/beta/bias take the plain learning rate, and (not
    # ending in _weight) no weight decay
    opt = mx.optimizer.LARS(learning_rate=0.1, eta=0.01, wd=0.5, param_idx2name={0: name})
    w = np.full(3, 2.0)
    opt.update(0, w, np.ones(3), None)
    if name.endswith(("gamma", "beta", "bias")):
        np.testing.assert_allclose(w, 2.0 - 0.1 * 1.0)
    assert opt._get_wd(0) == 0.0


def test_lars_wd_mult_only_exempts_non_weights():
    opt = mx.optimizer.LARS(wd=0.1, param_idx2name={0: "a_weight", 1: "b_gamma", 2: "c_bias"})
    assert [opt._get_wd(i) for i in range(3)] == [0.1, 0.0, 0.0]
    sgd = mx.optimizer.SGD(wd=0.1, param_idx2name={0: "a_weight", 1: "b_gamma", 2: "c_bias"})
    assert [sgd._get_wd(i) for i in range(3)] == [0.1, 0.1, 0.0]


def test_lars_zero_weight_or_gradient_uses_plain_rate():
    opt = mx.optimizer.LARS(learning_rate=0.1, eta=0.001, wd=0.0)
    w = np.zeros(3)
    opt.update(0, w, np.ones(3), None)
    np.testing.assert_allclose(w, -0.1)          # |w| = 0: plain SGD
    w = np.ones(3)
    opt.update(1, w, np.zeros(3), None)
    np.testing.assert_allclose(w, 1.0)


def _lars_run(aggregate, sizes=(5, 7, 3, 9, 4, 6), steps=9):
    opt = mx.optimizer.LARS(momentum=0.9, eta=0.05, wd=0.01,
                            lr_scheduler=FactorScheduler(step=2, factor=0.5, base_lr=0.2))
    rng = RNG(2)
    ws = [rng.standard_normal(n).astype(np.float32) for n in sizes]
    ss = [opt.create_state(i, w) for i, w in enumerate(ws)]
    for _ in range(steps):
        gs = [rng.standard_normal(n).astype(np.float32) for n in sizes]
        if aggregate:
            opt.update(list(range(len(ws))), ws, gs, ss)
        else:
            for i in range(len(ws)):
                opt.update(i, ws[i], gs[i], ss[i])
    return ws, ss


def test_lars_momentum_correction_aggregated_equals_one_at_a_time():
    a, sa = _lars_run(True)
    b, sb = _lars_run(False)
    for x, y in zip(a + sa, b + sb):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("correction,factor", [(True, 0.45), (False, 0.9)])
def test_lars_momentum_correction_ratio(correction, factor):
    # the rate halves after the 2nd update: with the correction, the 3rd
    # update's momentum coefficient is 0.9 * 0.05 / 0.1
    opt = mx.optimizer.LARS(momentum=0.9, eta=1.0, param_idx2name={0: "x_bias"},
                            momentum_correction=correction,
                            lr_scheduler=FactorScheduler(step=2, factor=0.5, base_lr=0.1))
    w = np.zeros(2)
    mom = opt.create_state(0, w)
    for _ in range(2):
        opt.update(0, w, np.ones(2), mom)
    m2 = mom.copy()
    opt.update(0, w, np.ones(2), mom)
    np.testing.assert_allclose(mom, factor * m2 - 0.05, rtol=1e-6)


def test_lars_sparse_lazy_and_standard():
    rng = RNG(3)
    w0 = rng.standard_normal((6, 3))
    data = rng.standard_normal((2, 3))
    dense = np.zeros((6, 3))
    dense[[1, 4]] = data
    for lazy in (True, False):
        opt = mx.optimizer.LARS(learning_rate=0.5, momentum=0.9, eta=0.05, wd=0.1,
                                lazy_update=lazy)
        ref = RefLARS(learning_rate=0.5, momentum=0.9, eta=0.05, wd=0.1)
        w, s = w0.copy(), opt.create_state(0, w0)
        opt.update(0, w, RowSparse(data, [1, 4], (6, 3)), s)
        w_ref, s_ref = ref.update(0, w0.copy(), dense, ref.create_state(w0), rows=[1, 4],
                                  lazy=lazy)
        np.testing.assert_allclose(w, w_ref, rtol=1e-6)
        np.testing.assert_allclose(s, s_ref[0], rtol=1e-6, atol=1e-12)
        if lazy:
            np.testing.assert_array_equal(w[[0, 2, 3, 5]], w0[[0, 2, 3, 5]])


def test_lars_multi_precision_state_order_and_fp16_norms():
    opt = mx.optimizer.LARS(momentum=0.9, multi_precision=True, eta=0.05)
    w16 = RNG(4).standard_normal((4, 3)).astype(np.float16)
    state = opt.create_state_multi_precision(0, w16)
    assert state[0].dtype == np.float32 and state[1].dtype == np.float32
    np.testing.assert_array_equal(state[1], w16.astype(np.float32))   # (mom, master)
    opt.update_multi_precision(0, w16, np.ones((4, 3), np.float16), state)
    np.testing.assert_array_equal(w16, state[1].astype(np.float16))


# ---------------------------------------------------------------------------
# LBSGD
# ---------------------------------------------------------------------------
def _lbmult(**kw):
    return mx.optimizer.LBSGD(**kw)._get_lbmult


@pytest.mark.parametrize("strategy,expect", [
    ("linear", lambda n: 1 + 3 * n / 8),
    ("power2", lambda n: 1 + 3 * n * n / 64),
    ("sqrt", lambda n: 1 + 3 * math.sqrt(n / 8)),
])
def test_lbsgd_warmup_multiplier(strategy, expect):
    mult = _lbmult(warmup_strategy=strategy, warmup_epochs=2, updates_per_epoch=4,
                   batch_scale=4)
    for n in range(1, 8):
        assert mult(n) == pytest.approx(expect(n))
    assert mult(8) == mult(100) == 4.0          # after warmup: batch_scale


def test_lbsgd_warmup_degenerate_lengths():
    assert _lbmult(warmup_epochs=0, batch_scale=3)(1) == 3.0
    assert _lbmult(warmup_epochs=1, updates_per_epoch=1, batch_scale=3)(0) == 1.0


def test_lbsgd_lars_multiplier_clipped():
    lars = mx.optimizer.LBSGD._lars_mult
    assert lars(4.0, 1.0, 0.0) == pytest.approx(2.0)
    assert lars(1e6, 1e-6, 0.0) == 100.0
    assert lars(1e-6, 1e6, 0.0) == 0.01
    assert lars(4.0, 1.0, 0.25) == pytest.approx(math.sqrt(4.0 / 2.0))


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_lbsgd_accumulates_batch_scale_gradients(momentum):
    opt = mx.optimizer.LBSGD(learning_rate=0.1, momentum=momentum, batch_scale=3,
                             warmup_epochs=0)
    rng = RNG(5)
    w = rng.standard_normal(4).astype(np.float64)
    state = opt.create_state(0, w)
    sgd = mx.optimizer.SGD(learning_rate=0.3, momentum=momentum)   # lr * batch_scale
    w_ref = w.copy()
    s_ref = sgd.create_state(0, w_ref)
    for window in range(3):
        gs = [rng.standard_normal(4) for _ in range(3)]
        before = w.copy()
        for k, g in enumerate(gs):
            opt.update(0, w, g, state)
            if k < 2:
                np.testing.assert_array_equal(w, before)
        sgd.update(0, w_ref, sum(gs) / 3, s_ref)
        np.testing.assert_allclose(w, w_ref, rtol=1e-12)
    assert opt.cumgrads[0]["num_cums"] == 9
    assert opt.cumgrads[0]["cum_grad"] == 0


def test_lbsgd_begin_epoch_offsets_the_step_counter():
    # begin_epoch=1, updates_per_epoch=4: counting starts at 5, so with
    # batch_scale=3 the 1st call is step 5, the first update is at step 6
    opt = mx.optimizer.LBSGD(learning_rate=1.0, batch_scale=3, begin_epoch=1,
                             updates_per_epoch=4, warmup_epochs=10, num_epochs=3)
    w = np.zeros(2)
    opt.update(0, w, np.array([3.0, 3.0]), None)
    np.testing.assert_array_equal(w, 0.0)
    opt.update(0, w, np.array([3.0, 6.0]), None)
    # sum / batch_scale, rate 1 * linear warmup mult(6) = 1 + 2 * 6 / 40
    mult = 1 + 2 * 6 / 40
    np.testing.assert_allclose(w, -mult * np.array([6.0, 9.0]) / 3)
    assert opt.init_updates == 4


def test_lbsgd_learning_rate_looked_up_before_counting():
    sched = FactorScheduler(step=1, factor=0.5, base_lr=1.0)
    opt = mx.optimizer.LBSGD(lr_scheduler=sched, warmup_epochs=0)
    w = np.zeros(1)
    steps = []
    for _ in range(3):
        before = w.copy()
        opt.update(0, w, np.ones(1), None)
        steps.append(float((before - w)[0]))
    # rates for num_update 0, 1, 2 (one behind the count)
    assert steps == [1.0, 1.0, 0.5]


def test_lbsgd_aggregated_equals_one_at_a_time_with_scheduler():
    def run(aggregate):
        opt = mx.optimizer.LBSGD(momentum=0.5, batch_scale=2, warmup_epochs=1,
                                 updates_per_epoch=2,
                                 lr_scheduler=FactorScheduler(step=1, factor=0.7, base_lr=0.3))
        rng = RNG(6)
        ws = [rng.standard_normal(n) for n in (3, 4, 5)]
        ss = [opt.create_state(i, w) for i, w in enumerate(ws)]
        for _ in range(6):
            gs = [rng.standard_normal(w.shape) for w in ws]
            if aggregate:
                opt.update([0, 1, 2], ws, gs, ss)
            else:
                for i in range(3):
                    opt.update(i, ws[i], gs[i], ss[i])
        return ws + ss, opt
    (a, oa), (b, ob) = run(True), run(False)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert oa.num_update == ob.num_update


def test_lbsgd_owns_its_accumulator():
    # the caller's gradient buffer may be overwritten between calls
    opt = mx.optimizer.LBSGD(learning_rate=1.0, batch_scale=2, warmup_epochs=0)
    w = np.zeros(2)
    buf = np.array([1.0, 1.0])
    opt.update(0, w, buf, None)
    buf[...] = [3.0, 5.0]
    opt.update(0, w, buf, None)
    np.testing.assert_allclose(w, -2.0 * np.array([4.0, 6.0]) / 2)
    np.testing.assert_array_equal(buf, [3.0, 5.0])


def test_lbsgd_sparse_window_updates_union_of_rows():
    opt = mx.optimizer.LBSGD(learning_rate=0.5, momentum=0.9, batch_scale=2, warmup_epochs=0)
    w = np.ones((5, 2))
    mom = opt.create_state(0, w)
    opt.update(0, w, RowSparse(np.full((1, 2), 2.0), [1], (5, 2)), mom)
    opt.update(0, w, RowSparse(np.full((2, 2), 4.0), [1, 3], (5, 2)), mom)
    # mean gradient: row 1 (2+4)/2 = 3, row 3 4/2 = 2; lr * batch_scale = 1
    expected = np.ones((5, 2))
    expected[1] -= 3.0
    expected[3] -= 2.0
    np.testing.assert_allclose(w, expected)
    np.testing.assert_allclose(mom[[0, 2, 4]], 0.0)


def test_lbsgd_multi_precision_accumulates_in_float32():
    opt = mx.optimizer.LBSGD(learning_rate=0.1, batch_scale=2, warmup_epochs=0,
                             multi_precision=True, momentum=0.9)
    w16 = np.full(3, 1.0, np.float16)
    state = opt.create_state_multi_precision(0, w16)
    master, mom = state                                  # base order (master, mom)
    assert master.dtype == mom.dtype == np.float32
    g = np.array([1e-3, 2e-3, 3e-3], np.float16)
    opt.update_multi_precision(0, w16, g, state)
    assert opt.cumgrads[0]["cum_grad"].dtype == np.float32
    opt.update_multi_precision(0, w16, g, state)
    mean = g.astype(np.float32)
    np.testing.assert_allclose(master, 1.0 - 0.2 * mean, rtol=1e-6)
    np.testing.assert_array_equal(w16, master.astype(np.float16))


def test_lbsgd_round_trip_between_windows():
    def make():
        return mx.optimizer.LBSGD(learning_rate=0.1, momentum=0.5, batch_scale=2,
                                  warmup_epochs=1, updates_per_epoch=3)
    rng = RNG(12)
    gs = [[rng.standard_normal((3, 2)).astype(np.float32)] for _ in range(6)]
    w = [np.ones((3, 2), np.float32)]
    upd = mx.optimizer.Updater(make())
    for g in gs[:2]:                      # one full window
        upd([0], g, w)
    blob = upd.get_states(dump_optimizer=True)
    upd2 = mx.optimizer.Updater(make())
    upd2.set_states(blob)
    w2 = [w[0].copy()]
    assert upd2.optimizer.cumgrads == {0: {"cum_grad": 0, "num_cums": 2}}
    for g in gs[2:]:
        upd([0], g, w)
        upd2([0], g, w2)
    np.testing.assert_array_equal(w[0], w2[0])


def test_lbsgd_round_trip_mid_window():
    opt = mx.optimizer.LBSGD(learning_rate=0.1, batch_scale=2, warmup_epochs=0)
    upd = mx.optimizer.Updater(opt)
    w = [np.ones(3, np.float32)]
    upd([0], [np.ones(3, np.float32)], w)
    upd2 = mx.optimizer.Updater(mx.optimizer.LBSGD(learning_rate=0.1, batch_scale=2,
                                                   warmup_epochs=0))
    upd2.set_states(upd.get_states(dump_optimizer=True))
    np.testing.assert_array_equal(upd2.optimizer.cumgrads[0]["cum_grad"], np.ones(3))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(warmup_strategy="exp"), ValueError, "warmup_strategy.*'linear'"),
    (dict(batch_scale=0), ValueError, "batch_scale"),
    (dict(updates_per_epoch=-3), ValueError, "updates_per_epoch"),
    (dict(begin_epoch=0.5), TypeError, "begin_epoch"),
    (dict(num_epochs=-1), ValueError, "num_epochs"),
])
def test_lbsgd_validation(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        mx.optimizer.LBSGD(**kwargs)


# ---------------------------------------------------------------------------
# SGLD
# ---------------------------------------------------------------------------
def test_sgld_seeded_runs_are_reproducible():
    def run(seed):
        opt = mx.optimizer.SGLD(learning_rate=0.01, seed=seed)
        w = np.zeros((10, 10), np.float32)
        opt.update(0, w, np.ones_like(w), None)
        return w
    np.testing.assert_array_equal(run(3), run(3))
    assert not np.array_equal(run(3), run(4))


def test_sgld_noise_comes_from_the_given_generator():
    lr = 0.04
    shared = np.random.default_rng(11)
    opt = mx.optimizer.SGLD(learning_rate=lr, seed=shared)
    w = np.zeros(1000)
    opt.update(0, w, np.zeros(1000), None)
    replay = np.random.default_rng(11)
    key = replay.integers(2 ** 64, dtype=np.uint64)      # one key per step and dtype
    xi = mx.optimizer.SGLD.standard_normal(key, 1000, np.float64)
    np.testing.assert_allclose(w, math.sqrt(lr) * xi, rtol=1e-12)
    # the shared generator moved on by exactly that draw
    assert shared.integers(2 ** 64, dtype=np.uint64) == replay.integers(2 ** 64, dtype=np.uint64)
    json.dumps(opt.get_config())                         # a Generator is not config


def test_sgld_noise_of_several_tensors_and_dtypes_is_one_draw_per_dtype():
    lr = 0.01
    opt = mx.optimizer.SGLD(learning_rate=lr, seed=5)
    ws = [np.zeros(300, np.float32), np.zeros((20, 7), np.float64), np.zeros(50, np.float32),
          np.zeros(64, np.float16)]
    opt.update([0, 1, 2, 3], ws, [np.zeros_like(w) for w in ws], [None] * 4)
    replay = np.random.default_rng(5)
    keys = {}
    for dt in (np.float32, np.float64, np.float16):     # the order the tensors first need them
        keys[dt] = replay.integers(2 ** 64, dtype=np.uint64)
    xi32 = mx.optimizer.SGLD.standard_normal(keys[np.float32], 350, np.float32)
    xi64 = mx.optimizer.SGLD.standard_normal(keys[np.float64], 140, np.float64)
    xi16 = mx.optimizer.SGLD.standard_normal(keys[np.float16], 64, np.float16)
    root = math.sqrt(lr)
    np.testing.assert_array_equal(ws[0], xi32[:300] * np.float32(root))
    np.testing.assert_array_equal(ws[2], xi32[300:] * np.float32(root))
    np.testing.assert_allclose(ws[1].ravel(), xi64 * root, rtol=1e-15)
    np.testing.assert_allclose(ws[3], (xi16 * np.float16(root)).astype(np.float16), rtol=2e-3)


@pytest.mark.parametrize("dtype,mp", [(np.float32, False), (np.float64, False),
                                      (np.float16, False), (np.float16, True)])
def test_sgld_noise_statistics(dtype, mp):
    lr, wd = 0.01, 0.1
    opt = mx.optimizer.SGLD(learning_rate=lr, wd=wd, rescale_grad=0.5, seed=2,
                            multi_precision=mp)
    opt.set_lr_mult({1: 4.0})
    rng = RNG(8)
    ws = [rng.standard_normal(200000).astype(dtype) for _ in range(2)]
    gs = [rng.standard_normal(200000).astype(dtype) for _ in range(2)]
    w0 = [w.astype(np.float64) for w in ws]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        states = [opt.create_state_multi_precision(i, w) for i, w in enumerate(ws)]
    opt.update_multi_precision([0, 1], ws, gs, states)
    for i, mult in enumerate((1.0, 4.0)):
        lr_i = lr * mult
        drift = w0[i] - lr_i / 2 * (0.5 * gs[i].astype(np.float64) + wd * w0[i])
        noise = ws[i].astype(np.float64) - drift
        slack = 0.02 if dtype != np.float16 else 0.1
        assert abs(noise.std() / math.sqrt(lr_i) - 1) < slack
        assert abs(noise.mean()) < 5 * math.sqrt(lr_i) / math.sqrt(noise.size) + 2e-4


def test_sgld_sparse_gradient_moves_every_row():
    opt = mx.optimizer.SGLD(learning_rate=0.01, seed=0)
    w = np.zeros((4, 3))
    opt.update(0, w, RowSparse(np.ones((1, 3)), [2], (4, 3)), None)
    assert np.all(w != 0)


def _sgld_generic(mode, key, weights, grads, masters, hyper):
    """The steps of sgld_noisy_multi through the generic multi-tensor kernel,
    with the noise drawn into arrays first (the path of sparse gradients)."""
    noise_dtype = {"f32": np.float32, "f64": np.float64, "h16": np.float16, "mp": np.float32}
    total = sum(w.size for w in weights)
    xi = mx.optimizer.SGLD.standard_normal(key, total, noise_dtype[mode])
    states, start = [], 0
    for w in weights:
        states.append([xi[start:start + w.size].reshape(w.shape).copy()])
        start += w.size
    getattr(_kernels, "sgld_multi_" + mode)(weights, grads, states, masters, hyper)


@pytest.mark.parametrize("mode", ["f32", "f64", "h16", "mp"])
@pytest.mark.parametrize("threads", [1, 2])
def test_sgld_noise_drawn_while_stepping_equals_the_generic_kernel(mode, threads):
    # pieces of tensors across the 4096-number blocks, a block shared by
    # several tensors, an empty tensor; both thread counts
    dtype = {"f32": np.float32, "f64": np.float64, "h16": np.float16, "mp": np.float16}[mode]
    shapes = [(5000,), (3,), (0,), (41, 200), (7,), (70_001,)]
    rng = RNG(31)
    ws = [rng.standard_normal(s).astype(dtype) for s in shapes]
    gs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ms = [w.astype(np.float32) if mode == "mp" else None for w in ws]
    hyper = [(0.01 * (i + 1), 0.1, 0.5, 0.4 if i % 2 else -1.0) for i in range(len(shapes))]
    want_w = [w.copy() for w in ws]
    want_m = [m.copy() if m is not None else None for m in ms]
    old = (mx.get_num_threads(), _kernels.get_parallel_threshold())
    try:
        mx.set_num_threads(threads)
        _kernels.set_parallel_threshold(1000)
        _kernels.sgld_noisy_multi(99, [mode] * len(ws), ws, gs, ms, hyper)
        _sgld_generic(mode, 99, want_w, gs, want_m, hyper)
    finally:
        mx.set_num_threads(old[0])
        _kernels.set_parallel_threshold(old[1])
    for got, want in zip(ws + [m for m in ms if m is not None],
                         want_w + [m for m in want_m if m is not None]):
        np.testing.assert_array_equal(got, want)


def test_sgld_dense_and_sparse_gradients_share_one_noise_sequence():
    # a sparse gradient sends its dtype's tensors through the generic kernels
    # (noise drawn first): the dense tensor still gets the same numbers
    def run(sparse):
        opt = mx.optimizer.SGLD(learning_rate=0.01, seed=7)
        ws = [np.zeros(5000, np.float32), np.zeros((4, 3), np.float32)]
        g1 = RowSparse(np.zeros((1, 3), np.float32), [2], (4, 3)) if sparse else np.zeros((4, 3),
                                                                                            np.float32)
        opt.update([0, 1], ws, [np.zeros(5000, np.float32), g1], [None, None])
        return ws
    fused, generic = run(False), run(True)
    for a, b in zip(fused, generic):
        np.testing.assert_array_equal(a, b)
    key = np.random.default_rng(7).integers(2 ** 64, dtype=np.uint64)
    xi = mx.optimizer.SGLD.standard_normal(key, 5012, np.float32)
    np.testing.assert_array_equal(fused[0], xi[:5000] * np.float32(0.1))


@pytest.mark.parametrize("call,exc,match", [
    (lambda w, g: _kernels.sgld_noisy_multi(1, ["f32"], [w], [g], [None], [(0.1, 0, 1, -1)] * 2),
     ValueError, "one entry per tensor"),
    (lambda w, g: _kernels.sgld_noisy_multi(1, ["f16"], [w], [g], [None], [(0.1, 0, 1, -1)]),
     ValueError, "modes"),
    (lambda w, g: _kernels.sgld_noisy_multi(1, ["f32", "f64"], [w, w.astype(np.float64)],
                                            [g, g.astype(np.float64)], [None, None],
                                            [(0.1, 0, 1, -1)] * 2),
     ValueError, "float64 tensors"),
    (lambda w, g: _kernels.sgld_noisy_multi(1, ["f32"], [w], [g[:5]], [None], [(0.1, 0, 1, -1)]),
     ValueError, "grads"),
    (lambda w, g: _kernels.sgld_noisy_multi(1, ["f64"], [w], [g], [None], [(0.1, 0, 1, -1)]),
     TypeError, "weights"),
    (lambda w, g: _kernels.sgld_noisy_multi(1, ["mp"], [w.astype(np.float16)],
                                            [g.astype(np.float16)], [None], [(0.1, 0, 1, -1)]),
     TypeError, "master copy"),
    (lambda w, g: _kernels.sgld_noisy_multi(1, ["f32"], [w], [g], [None], [(0.1, 0, 1)]),
     ValueError, "SGLD takes 4"),
    (lambda w, g: _kernels.sgld_noisy_multi(-1, ["f32"], [w], [g], [None], [(0.1, 0, 1, -1)]),
     ValueError, "key"),
])
def test_sgld_noisy_multi_refuses_bad_calls_before_writing(call, exc, match):
    w = np.ones(6, np.float32)
    g = np.ones(6, np.float32)
    with pytest.raises(exc, match=match):
        call(w, g)
    np.testing.assert_array_equal(w, np.ones(6, np.float32))


def test_sgld_state_and_errors():
    opt = mx.optimizer.SGLD()
    assert opt.create_state(0, np.zeros(3)) is None
    with pytest.raises(TypeError, match="no state"):
        opt.update(0, np.zeros(3), np.zeros(3), np.zeros(3))
    with pytest.raises(TypeError, match="seed"):
        mx.optimizer.SGLD(seed=1.5)


# ---------------------------------------------------------------------------
# DCASGD
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype,rtol", [(np.float32, 2e-5), (np.float64, 1e-12)])
def test_dcasgd_with_momentum_follows_its_formula(dtype, rtol):
    # MXNet 1.9.1 crashes here; mxopt computes mom = mu*mom - lr*d, w += mom
    config = dict(learning_rate=0.1, momentum=0.9, lamda=0.5, wd=0.01, clip_gradient=0.75,
                  rescale_grad=0.5)
    opt = mx.optimizer.DCASGD(**config)
    ref = RefDCASGD(**config)
    rng = RNG(9)
    w = rng.standard_normal((5, 4)).astype(dtype)
    state = opt.create_state(0, w)
    assert state[0] is not None and state[1] is not w
    w_ref = w.astype(np.float64)
    s_ref = ref.create_state(w_ref)
    for _ in range(6):
        g = rng.standard_normal((5, 4)).astype(dtype)
        opt.update(0, w, g, state)
        w_ref, s_ref = ref.update(0, w_ref, g.astype(np.float64), s_ref)
        np.testing.assert_allclose(w, w_ref, rtol=rtol)
        np.testing.assert_allclose(state[0], s_ref[0], rtol=rtol, atol=1e-9)
        np.testing.assert_allclose(state[1], s_ref[1], rtol=rtol)


def test_dcasgd_previous_weight_state():
    opt = mx.optimizer.DCASGD(learning_rate=0.1)
    w = np.arange(4, dtype=np.float32)
    mom, prev = opt.create_state(0, w)
    assert mom is None and prev is not w and prev.flags.c_contiguous
    old = w.copy()
    opt.update(0, w, np.ones(4, np.float32), (mom, prev))
    np.testing.assert_array_equal(prev, old)
    mp = mx.optimizer.DCASGD(momentum=0.5, multi_precision=True)
    master, (m, p) = mp.create_state_multi_precision(0, np.ones(3, np.float16))
    assert master.dtype == m.dtype == p.dtype == np.float32


# ---------------------------------------------------------------------------
# NAG, Signum, ccSGD
# ---------------------------------------------------------------------------
def test_nag_momentum_uses_updated_weight_for_weight_decay():
    opt = mx.optimizer.NAG(learning_rate=0.1, momentum=0.9, wd=0.5)
    w = np.array([2.0])
    mom = opt.create_state(0, w)
    opt.update(0, w, np.array([1.0]), mom)
    # g + wd*w = 2; w = 2 + 0.9*(0 - 0.2) - 0.2 = 1.62; mom = -0.1*(1 + 0.5*1.62)
    np.testing.assert_allclose(w, 1.62, rtol=1e-6)
    np.testing.assert_allclose(mom, -0.1 * (1 + 0.5 * 1.62), rtol=1e-6)
    ref = RefNAG(learning_rate=0.1, momentum=0.9, wd=0.5)
    w_ref, s_ref = ref.update(0, np.array([2.0]), np.array([1.0]), [np.zeros(1)])
    np.testing.assert_allclose(w, w_ref, rtol=1e-6)


def test_nag_multi_precision_state_order():
    opt = mx.optimizer.NAG(momentum=0.9, multi_precision=True)
    w16 = np.ones(3, np.float16)
    mom, master = opt.create_state_multi_precision(0, w16)
    assert mom.dtype == master.dtype == np.float32
    opt0 = mx.optimizer.NAG(multi_precision=True)
    assert opt0.create_state_multi_precision(0, w16)[0] is None


def test_nag_sparse_lazy_only_without_momentum():
    w0 = np.ones((4, 2))
    g = RowSparse(np.ones((1, 2)), [1], (4, 2))
    lazy = mx.optimizer.NAG(learning_rate=0.1, wd=0.1)
    w = w0.copy()
    lazy.update(0, w, g, None)
    np.testing.assert_array_equal(w[[0, 2, 3]], 1.0)
    dense = mx.optimizer.NAG(learning_rate=0.1, wd=0.1, momentum=0.5)
    w = w0.copy()
    dense.update(0, w, g, dense.create_state(0, w))
    assert np.all(w[[0, 2, 3]] < 1.0)


def test_signsgd_ignores_rescale_and_clip_and_wd_lh():
    w = np.array([1.0, 1.0, 1.0], np.float32)
    g = np.array([0.001, -5.0, 0.0], np.float32)
    opt = mx.optimizer.Signum(learning_rate=0.1, momentum=0.0, rescale_grad=-3.0,
                              clip_gradient=1e-6, wd_lh=0.5)
    assert opt.create_state(0, w) is None
    opt.update(0, w, g, None)
    np.testing.assert_allclose(w, [0.9, 1.1, 1.0])


def test_signum_decoupled_weight_decay():
    opt = mx.optimizer.Signum(learning_rate=0.1, momentum=0.5, wd_lh=0.2)
    w = np.array([2.0, 2.0])
    mom = opt.create_state(0, w)
    opt.update(0, w, np.array([1.0, -1.0]), mom)
    np.testing.assert_allclose(mom, [-0.5, 0.5])
    np.testing.assert_allclose(w, [(1 - 0.02) * 2 - 0.1, (1 - 0.02) * 2 + 0.1])


def test_ccsgd_is_sgd():
    rng = RNG(10)
    w = rng.standard_normal(20).astype(np.float32)
    a, b = w.copy(), w.copy()
    cc = mx.optimizer.create("ccSGD", learning_rate=0.1, momentum=0.9, wd=0.01)
    sgd = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.01)
    sa, sb = cc.create_state(0, a), sgd.create_state(0, b)
    for _ in range(3):
        g = rng.standard_normal(20).astype(np.float32)
        cc.update(0, a, g, sa)
        sgd.update(0, b, g, sb)
    np.testing.assert_array_equal(a, b)
    assert isinstance(cc, mx.optimizer.SGD) and cc.get_config()["name"] == "ccsgd"


@pytest.mark.parametrize("name,kwargs,match", [
    ("nag", dict(momentum=1.01), "momentum"),
    ("signum", dict(momentum=-0.1), "momentum"),
    ("signum", dict(wd_lh=-1.0), "wd_lh"),
    ("dcasgd", dict(lamda=-0.5), "lamda"),
    ("lars", dict(eta=-1.0), "eta"),
    ("lars", dict(eps=-1e-9), "eps"),
    ("lars", dict(momentum=2.0), "momentum"),
    ("lbsgd", dict(momentum=-1.0), "momentum"),
])
def test_constructor_validation_names_argument_and_value(name, kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        mx.optimizer.create(name, **kwargs)
    assert repr(list(kwargs.values())[0]) in str(info.value)


def test_lars_multipliers_from_param_dict_and_names():
    class Param(object):
        lr_mult, wd_mult = 0.5, 2.0
    opt = mx.optimizer.LARS(learning_rate=0.4, wd=0.1, param_dict={0: Param()},
                            param_idx2name={1: "fc_weight"})
    opt.set_lr_mult({"fc_weight": 3.0})
    assert opt._get_lrs([0, 1, 2]) == [0.2, pytest.approx(1.2), 0.4]
    assert opt._get_wds([0, 1, 2]) == [0.2, 0.1, 0.1]



@pytest.fixture
def row_modes(monkeypatch):
    """The ``lazy`` flag of every row-sparse kernel call, in order."""
    from mxopt.optimizer import _dispatch
    seen = []
    real_run_rows = _dispatch.run_rows

    def spy(kernel, mode, lazy, *args):
        seen.append(lazy)
        return real_run_rows(kernel, mode, lazy, *args)
    monkeypatch.setattr(_dispatch, "run_rows", spy)
    return seen

@pytest.mark.parametrize("wd,dtype,mp,row_local", [
    (0.0, np.float32, False, True), (0.0, np.float64, False, True),
    (0.0, np.float16, False, True), (0.01, np.float32, False, False),
    (0.0, np.float16, True, False)])
def test_sgd_standard_sparse_without_wd_touches_only_rows_present(row_modes, wd, dtype, mp,
                                                                  row_local):
    # lazy_update=False scales every row by 1 - lr*wd; with wd = 0 that is 1
    # and absent rows stay bit for bit, so the kernel may skip them
    seen = row_modes
    rng = np.random.default_rng(21)
    w0 = rng.standard_normal((30, 4)).astype(dtype)
    a = mx.optimizer.SGD(learning_rate=0.1, lazy_update=False, wd=wd, multi_precision=mp,
                         clip_gradient=0.3)
    b = mx.optimizer.SGD(learning_rate=0.1, lazy_update=False, wd=wd, multi_precision=mp,
                         clip_gradient=0.3)
    wa, wb = w0.copy(), w0.copy()
    sa, sb = a.create_state_multi_precision(0, wa), b.create_state_multi_precision(0, wb)
    for rows in ([2, 7], [0], [], [29, 3]):
        rows = np.sort(np.asarray(rows, np.int64))
        dense = np.zeros_like(w0)
        dense[rows] = rng.standard_normal((len(rows), 4)).astype(dtype)
        grad = mx.nd.sparse.row_sparse_array((dense[rows], rows), shape=w0.shape)
        a.update_multi_precision(0, wa, grad, sa)
        b.update_multi_precision(0, wb, dense, sb)
        if wd == 0:  # with wd, MXNet's standard sparse rounding differs from its dense one
            np.testing.assert_array_equal(wa, wb)
    assert len(seen) == 4 and all(flag == row_local for flag in seen)


@pytest.mark.parametrize("wd,dtype,row_local", [(0.0, np.float32, True), (0.0, np.float16, True),
                                                (0.0, np.float64, True),
                                                (0.01, np.float32, False)])
def test_signsgd_sparse_without_wd_touches_only_rows_present(row_modes, wd, dtype, row_local):
    seen = row_modes
    rng = np.random.default_rng(22)
    w0 = rng.standard_normal((25, 3)).astype(dtype)
    a = mx.optimizer.Signum(momentum=0.0, wd=wd, learning_rate=0.05)
    b = mx.optimizer.Signum(momentum=0.0, wd=wd, learning_rate=0.05)
    wa, wb = w0.copy(), w0.copy()
    for rows in ([3, 4], [], [0, 24]):
        rows = np.asarray(rows, np.int64)
        dense = np.zeros_like(w0)
        dense[rows] = rng.standard_normal((len(rows), 3)).astype(dtype)
        a.update(0, wa, mx.nd.sparse.row_sparse_array((dense[rows], rows), shape=w0.shape),
                 None)
        b.update(0, wb, dense, None)
        np.testing.assert_array_equal(wa, wb)  # MXNet densifies: the dense update's numbers
    assert len(seen) == 3 and all(flag == row_local for flag in seen)

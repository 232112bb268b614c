"""The SGD family (NAG, Signum, ccSGD, DCASGD, SGLD, LARS, LBSGD) against
MXNet 1.9.1: a grid of hyperparameters per optimizer, every dtype
(float32, float64, float16 with and without a float32 master copy), an
lr_scheduler, begin_num_update, lr/wd multipliers through param_idx2name,
one-at-a-time and aggregated (Updater) updates, row-sparse gradients, and
the places where MXNet crashes or where mxopt deliberately differs.

Tolerances (tests/parity/harness.py): float32 rtol 1e-5, float64 rtol 1e-7,
float16 without a master copy rtol 2e-3 + atol 2e-3 (two float16 ulps at
|w| ~ 1, 2 * 2**-10: both libraries round after every operation, so any
difference is whole ulps), float16 with a master copy: the float32 master at
rtol 1e-5 and the float16 weight at the same tolerance.

SGLD draws random noise, so it is compared statistically (moments of the
noise and the regression coefficients of the drift), not element by element.
"""
import math
import warnings

import numpy as np
import pytest

import harness
import mxopt
from conftest import record_error
from harness import CASES, case_dtype, compare, run_pair

SHAPES = [(7, 5), (13,), (2, 3, 4)]
FACTOR = ("FactorScheduler", dict(step=3, factor=0.7, base_lr=0.1))
FACTOR_LOW = ("FactorScheduler", dict(step=4, factor=0.5, base_lr=0.05))
MULTS = dict(idx2name={0: "fc_weight", 1: "fc_bias", 2: "conv_weight"},
             lr_mult={0: 0.5, "conv_weight": 2.0}, wd_mult={"fc_bias": 0.3})

GRID = {
    "nag": [
        dict(learning_rate=0.1),
        dict(learning_rate=0.1, wd=0.01),
        dict(learning_rate=0.05, momentum=0.9),
        dict(learning_rate=0.05, momentum=0.9, wd=0.01, rescale_grad=0.5),
        dict(learning_rate=0.1, momentum=0.5, clip_gradient=0.4),
        dict(learning_rate=0.1, clip_gradient=0.3, wd=0.05, rescale_grad=2.0),
        dict(learning_rate=0.02, momentum=0.95, wd=0.001, begin_num_update=4),
        dict(momentum=0.9, wd=0.001, _scheduler=FACTOR),
        dict(learning_rate=0.1, momentum=0.7, wd=0.01, _mults=True),
        dict(learning_rate=0.05, momentum=0.8, wd=0.02, clip_gradient=1.0, _mults=True,
             _scheduler=FACTOR),
    ],
    "signum": [
        dict(),
        dict(learning_rate=0.05, momentum=0.0),
        dict(learning_rate=0.05, momentum=0.0, wd=0.01, rescale_grad=3.0, clip_gradient=0.1),
        dict(learning_rate=0.02, momentum=0.8, wd=0.01),
        dict(learning_rate=0.02, momentum=0.8, wd_lh=0.05),
        dict(learning_rate=0.02, momentum=0.9, wd=0.01, wd_lh=0.05, clip_gradient=0.3,
             rescale_grad=0.5),
        dict(learning_rate=0.01, momentum=0.5, begin_num_update=3),
        dict(learning_rate=0.03, momentum=0.9, wd=0.001, _scheduler=FACTOR),
        dict(learning_rate=0.02, momentum=0.9, wd=0.01, _mults=True),
        dict(learning_rate=0.02, momentum=0.0, wd=0.01, _mults=True, _scheduler=FACTOR),
    ],
    "ccsgd": [
        dict(learning_rate=0.1),
        dict(learning_rate=0.1, wd=0.01),
        dict(learning_rate=0.05, momentum=0.9, wd=0.01, rescale_grad=0.5),
        dict(learning_rate=0.1, momentum=0.5, clip_gradient=0.4),
        dict(learning_rate=0.02, momentum=0.95, begin_num_update=4),
        dict(momentum=0.9, wd=0.001, _scheduler=FACTOR),
        dict(learning_rate=0.1, wd=0.01, _mults=True),
        dict(learning_rate=0.05, momentum=0.8, wd=0.02, _mults=True, _scheduler=FACTOR),
    ],
    # momentum > 0 crashes in MXNet 1.9.1: see test_dcasgd_momentum_*
    "dcasgd": [
        dict(learning_rate=0.1),
        dict(learning_rate=0.1, lamda=0.5),
        dict(learning_rate=0.05, wd=0.01, lamda=0.1),
        dict(learning_rate=0.1, clip_gradient=0.4, rescale_grad=0.5),
        dict(learning_rate=0.1, clip_gradient=0.3, wd=0.05, rescale_grad=2.0, lamda=0.2),
        dict(learning_rate=0.02, begin_num_update=4),
        dict(wd=0.001, _scheduler=FACTOR),
        dict(learning_rate=0.1, wd=0.01, _mults=True),
        dict(learning_rate=0.05, wd=0.02, lamda=1.0, _mults=True, _scheduler=FACTOR),
    ],
    # _corr: momentum correction across a rate change (see test_lars_momentum_correction_*)
    "lars": [
        dict(learning_rate=0.1),
        dict(learning_rate=0.1, eta=0.01, wd=0.01),
        dict(learning_rate=0.5, momentum=0.9, eta=0.02),
        dict(learning_rate=0.5, momentum=0.9, eta=0.02, wd=0.01, rescale_grad=0.5, eps=1e-3),
        dict(learning_rate=1.0, momentum=0.5, clip_gradient=0.4, eta=0.05),
        dict(learning_rate=1.0, clip_gradient=0.3, wd=0.05, rescale_grad=2.0, eta=0.1),
        dict(learning_rate=0.2, momentum=0.95, eta=0.01, begin_num_update=4),
        dict(momentum=0.9, wd=0.001, eta=0.05, _scheduler=FACTOR, _corr=True),
        dict(momentum=0.9, wd=0.001, eta=0.05, momentum_correction=False, _scheduler=FACTOR),
        dict(learning_rate=0.5, wd=0.01, eta=0.05, _mults=True),
        dict(learning_rate=0.5, momentum=0.8, wd=0.02, eta=0.05, _mults=True,
             _scheduler=FACTOR, _corr=True),
    ],
    "lbsgd": [
        dict(learning_rate=0.1),
        dict(learning_rate=0.1, momentum=0.9, wd=0.01),
        dict(learning_rate=0.1, batch_scale=2, warmup_epochs=1, updates_per_epoch=4),
        dict(learning_rate=0.05, momentum=0.9, batch_scale=3, warmup_strategy="power2",
             warmup_epochs=2, updates_per_epoch=3),
        dict(learning_rate=0.05, batch_scale=2, warmup_strategy="sqrt", warmup_epochs=2,
             updates_per_epoch=4, clip_gradient=0.5, rescale_grad=0.5),
        dict(learning_rate=0.05, momentum=0.5, wd=0.01, warmup_strategy="lars",
             clip_gradient=0.3),
        dict(learning_rate=0.05, momentum=0.5, wd=0.01, warmup_strategy="lars", batch_scale=2),
        dict(learning_rate=0.1, batch_scale=3, begin_epoch=1, updates_per_epoch=4,
             warmup_epochs=3, begin_num_update=2),
        dict(momentum=0.9, wd=0.001, _scheduler=FACTOR),
        dict(learning_rate=0.1, momentum=0.5, wd=0.01, batch_scale=2, warmup_epochs=1,
             updates_per_epoch=3, _mults=True, _scheduler=FACTOR),
    ],
}
PARAMS = [(name, i) for name, grid in GRID.items() for i in range(len(grid))]
IDS = ["%s-%d" % p for p in PARAMS]
# configurations actually run per optimizer, for the summary table
CONFIGS_RUN = {}


# LARS's trust ratio is a float32 number in MXNet, computed from float32 sums
# of squares (of float16 squares for float16 weights); mxopt sums in double.
# The rates then differ by a few float32 ulps for float64 weights and by up to
# ~1e-4 relative for float16 weights, so the weights differ by that much
# (one float16 ulp, <= 2**-10 relative, on the rounded float16 weight).
# test_lars_with_mxnet_sums_is_exact shows that everything else is exact.
LARS_TOLERANCE = {"float64": (1e-6, 1e-7), "float16-mp": (1e-3, 2e-5)}


def relax_for_lars(name, monkeypatch):
    if name == "lars":
        for case, tol in LARS_TOLERANCE.items():
            monkeypatch.setitem(harness.TOLERANCE, case, tol)


def split(config):
    config = dict(config)
    scheduler = config.pop("_scheduler", None)
    mults = config.pop("_mults", False)
    corr = config.pop("_corr", False)
    return config, scheduler, (dict(MULTS) if mults else {}), corr


def _note(name, ci):
    CONFIGS_RUN.setdefault(name, set()).add(ci)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name,ci", PARAMS, ids=IDS)
def test_single_updates_match_mxnet(mxnet, name, ci, case, monkeypatch):
    relax_for_lars(name, monkeypatch)
    config, scheduler, extra, corr = split(GRID[name][ci])
    shapes = SHAPES
    if corr:
        # MXNet corrects the momentum of the first tensor of each call only;
        # with one tensor per step both libraries do the same
        shapes = SHAPES[:1]
        extra.pop("idx2name", None)
    run_pair(mxnet, name, case, config, shapes, scheduler=scheduler, seed=ci, **extra)
    _note(name, ci)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name,ci", PARAMS, ids=IDS)
def test_aggregated_updater_matches_mxnet(mxnet, name, ci, case, monkeypatch):
    relax_for_lars(name, monkeypatch)
    config, scheduler, extra, corr = split(GRID[name][ci])
    shapes = SHAPES + [(3, 3), (6,), (1,)]   # more tensors than MXNet's chunk of 4
    if corr:
        # one MXNet call per step, so that MXNet corrects every tensor's momentum
        monkeypatch.setenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", "16")
    run_pair(mxnet, name, case, config, shapes, scheduler=scheduler, seed=100 + ci,
             aggregate=True, **extra)
    _note(name, ci)


def mxnet_sum_squares(arrays, out):
    """MXNet 1.9.1's CPU multi_sum_sq (found empirically): a float32
    accumulator, each square computed in the array's dtype and added in the
    wider of float32 and that dtype, one element after the other."""
    for i, a in enumerate(arrays):
        a = np.asarray(a).ravel()
        if a.dtype == np.float64:
            acc = np.float32(0)
            for v in a:
                acc = np.float32(np.float64(acc) + v * v)
            out[i] = acc
        else:
            sq = (a * a).astype(np.float32)
            out[i] = np.cumsum(sq, dtype=np.float32)[-1] if sq.size else 0.0


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("aggregate", [False, True], ids=["single", "aggregated"])
@pytest.mark.parametrize("ci", range(len(GRID["lars"])))
def test_lars_with_mxnet_sums_is_exact(mxnet, ci, aggregate, case, monkeypatch):
    """With MXNet's float32 sums of squares swapped in, LARS matches MXNet at
    the default tolerances: the rest of the pipeline (float32 trust ratio,
    SGD kernels, momentum, multipliers, scheduler) is MXNet's."""
    monkeypatch.setattr(mxopt.optimizer.LARS, "_sum_squares", staticmethod(mxnet_sum_squares))
    monkeypatch.setattr(harness, "record_error",
                        lambda name, c, err: record_error("lars(mx sums)", c, err))
    config, scheduler, extra, corr = split(GRID["lars"][ci])
    shapes = SHAPES + [(3, 3), (6,), (1,)] if aggregate else SHAPES
    if corr:
        if aggregate:
            monkeypatch.setenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", "16")
        else:
            shapes = SHAPES[:1]
            extra.pop("idx2name", None)
    run_pair(mxnet, "lars", case, config, shapes, scheduler=scheduler, seed=200 + ci,
             aggregate=aggregate, **extra)


def numpy_sum_squares(arrays, out, widen_half=False):
    """MXNet 1.9.1's LBSGD 'lars' norms: ``multiply(v, v).asnumpy().sum()``,
    squares and NumPy's sum in the array's dtype (float32 for the float16
    gradient of a multi-precision update, which MXNet casts first)."""
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        if widen_half and a.dtype == np.float16:
            a = a.astype(np.float32)
        out[i] = float((a * a).sum())


LBSGD_LARS = [i for i, c in enumerate(GRID["lbsgd"]) if c.get("warmup_strategy") == "lars"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("ci", LBSGD_LARS)
def test_lbsgd_lars_with_mxnet_sums_is_exact(mxnet, ci, case, monkeypatch):
    """LBSGD's 'lars' multiplier from MXNet's own sums of squares: exact."""
    widen = case == "float16-mp"
    monkeypatch.setattr(mxopt.optimizer.LBSGD, "_sum_squares",
                        staticmethod(lambda a, o: numpy_sum_squares(a, o, widen)))
    monkeypatch.setattr(harness, "record_error",
                        lambda name, c, err: record_error("lbsgd(np sums)", c, err))
    config, scheduler, extra, _ = split(GRID["lbsgd"][ci])
    run_pair(mxnet, "lbsgd", case, config, SHAPES, scheduler=scheduler, seed=300 + ci, **extra)


# ---------------------------------------------------------------------------
# row-sparse gradients
# ---------------------------------------------------------------------------
class RowSparse(object):
    """A row-sparse gradient for mxopt (any object with stype/data/indices/shape)."""
    stype = "row_sparse"

    def __init__(self, data, indices, shape):
        self.data, self.indices, self.shape = data, np.asarray(indices, np.int64), shape


SPARSE_GRID = {
    "nag": [dict(learning_rate=0.1, momentum=0.9, wd=0.01),
            dict(learning_rate=0.1, clip_gradient=0.3, rescale_grad=2.0, wd=0.02)],
    "signum": [dict(learning_rate=0.02, momentum=0.9, wd=0.01, wd_lh=0.01),
               dict(learning_rate=0.02, momentum=0.0, wd=0.01)],
    "ccsgd": [dict(learning_rate=0.1, momentum=0.9, wd=0.01),
              dict(learning_rate=0.1, momentum=0.9, wd=0.01, lazy_update=False),
              dict(learning_rate=0.1, wd=0.01, clip_gradient=0.3)],
    "dcasgd": [dict(learning_rate=0.1, lamda=0.5, wd=0.01)],
    "lars": [dict(learning_rate=0.5, momentum=0.9, eta=0.05, wd=0.01),
             dict(learning_rate=0.5, eta=0.05, wd=0.01, clip_gradient=0.3, rescale_grad=0.5)],
    "lbsgd": [dict(learning_rate=0.1, momentum=0.9, wd=0.01),
              dict(learning_rate=0.1, wd=0.01, batch_scale=2, warmup_epochs=1,
                   updates_per_epoch=2),
              dict(learning_rate=0.1, momentum=0.5, wd=0.01, warmup_strategy="lars")],
}
SPARSE_PARAMS = [(n, i) for n, g in SPARSE_GRID.items() for i in range(len(g))]
ROWS = [[1, 4, 8], [0], [2, 3, 4, 5], [4], [0, 1, 2, 3, 4, 5, 6, 7, 8], [7, 8]]


@pytest.mark.parametrize("case", ["float32", "float64", "float16-mp"])
@pytest.mark.parametrize("name,ci", SPARSE_PARAMS, ids=["%s-%d" % p for p in SPARSE_PARAMS])
def test_row_sparse_gradients_match_mxnet(mxnet, name, ci, case, monkeypatch):
    """MXNet's multi-precision operators densify row-sparse gradients (a
    storage fallback), so float16 + master copy follows the dense rule even
    where float32 is lazy (NAG without momentum, LARS)."""
    if name == "ccsgd" and case == "float16-mp":
        pytest.skip("SGD's multi-precision sparse semantics belong to the SGD suite")
    relax_for_lars(name, monkeypatch)
    dtype = case_dtype(case)
    mp = case == "float16-mp"
    config = SPARSE_GRID[name][ci]
    rng = np.random.default_rng(50 + ci)
    shape = (9, 4)
    w0 = rng.standard_normal(shape).astype(dtype)
    mx_opt = mxnet.optimizer.create(name, multi_precision=mp, **config)
    mo_opt = mxopt.optimizer.create(name, multi_precision=mp, **config)
    mx_w = mxnet.nd.array(w0, dtype=dtype)
    mo_w = w0.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mx_s = mx_opt.create_state_multi_precision(0, mx_w)
        mo_s = mo_opt.create_state_multi_precision(0, mo_w)
    for step, rows in enumerate(ROWS):
        data = rng.standard_normal((len(rows), shape[1])).astype(dtype)
        g_mx = mxnet.nd.sparse.row_sparse_array((data, np.array(rows, np.int64)), shape=shape,
                                                dtype=dtype)
        mx_opt.update_multi_precision(0, mx_w, g_mx, mx_s)
        mo_opt.update_multi_precision(0, mo_w, RowSparse(data, rows, shape), mo_s)
        what = "%s %s rows %s step %d" % (name, config, rows, step)
        compare(name + "-sparse", case, mo_w, mx_w.asnumpy(), "weight: " + what)
        mx_flat = [s for s in _flat(mx_s)]
        mo_flat = [s for s in _flat(mo_s)]
        assert len(mx_flat) == len(mo_flat)
        for a, b in zip(mo_flat, mx_flat):
            if b is None:
                assert a is None
            else:
                assert a.dtype == b.dtype
                compare(name + "-sparse", case, a, b.asnumpy(), "state: " + what)
    assert mo_opt.num_update == mx_opt.num_update


def _flat(state):
    if isinstance(state, (tuple, list)):
        out = []
        for s in state:
            out.extend(_flat(s))
        return out
    return [state]


# ---------------------------------------------------------------------------
# DCASGD with momentum: MXNet 1.9.1 crashes, mxopt computes the intended rule
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["float32", "float64", "float16"])
def test_dcasgd_momentum_crashes_in_mxnet_and_works_in_mxopt(mxnet, case):
    dtype = case_dtype(case)
    rng = np.random.default_rng(9)
    shape = (6, 5)
    config = dict(learning_rate=0.1, momentum=0.9, lamda=0.3, wd=0.01, rescale_grad=0.5,
                  clip_gradient=0.8)
    w0 = rng.standard_normal(shape).astype(dtype)
    mx_opt = mxnet.optimizer.DCASGD(**config)
    mx_w = mxnet.nd.array(w0, dtype=dtype)
    with pytest.raises(Exception):
        mx_opt.update(0, mx_w, mxnet.nd.array(rng.standard_normal(shape), dtype=dtype),
                      mx_opt.create_state(0, mx_w))
    # the rule MXNet's code spells out, evaluated with MXNet's own NDArray ops
    nd = mxnet.nd
    ref_w = nd.array(w0, dtype=dtype)
    ref_mom = nd.zeros(shape, dtype=dtype)
    ref_prev = ref_w.copy()
    mo_opt = mxopt.optimizer.DCASGD(**config)
    mo_w = w0.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mo_s = mo_opt.create_state_multi_precision(0, mo_w)
    for step in range(10):
        g = rng.standard_normal(shape).astype(dtype)
        grad = nd.array(g, dtype=dtype) * config["rescale_grad"]
        grad = nd.clip(grad, -config["clip_gradient"], config["clip_gradient"])
        lr, wd, lamda = config["learning_rate"], config["wd"], config["lamda"]
        ref_mom[:] *= config["momentum"]
        ref_mom[:] += -lr * (grad + wd * ref_w + lamda * grad * grad * (ref_w - ref_prev))
        ref_prev[:] = ref_w
        ref_w[:] += ref_mom
        mo_opt.update(0, mo_w, g, mo_s)
        what = "dcasgd momentum step %d" % step
        compare("dcasgd-momentum", case, mo_w, ref_w.asnumpy(), "weight: " + what)
        compare("dcasgd-momentum", case, mo_s[0], ref_mom.asnumpy(), "mom: " + what)
        compare("dcasgd-momentum", case, mo_s[1], ref_prev.asnumpy(), "prev: " + what)


# ---------------------------------------------------------------------------
# LARS momentum correction: per tensor in mxopt, per call in MXNet
# ---------------------------------------------------------------------------
def test_lars_momentum_correction_is_per_tensor(mxnet, monkeypatch):
    """With MXNet's default chunks of 4 tensors, only the first chunk's
    momentum is corrected at a rate change; mxopt corrects every tensor, which
    is what MXNet computes when all tensors go through one call."""
    config = dict(momentum=0.9, wd=0.001, eta=0.05)
    shapes = SHAPES + [(3, 3), (6,), (1,)]
    sched = dict(step=3, factor=0.5, base_lr=0.1)

    def run(mx_aggregation):
        monkeypatch.setenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", str(mx_aggregation))
        mx_opt = mxnet.optimizer.create("lars", lr_scheduler=mxnet.lr_scheduler.FactorScheduler(
            **sched), **config)
        monkeypatch.delenv("MXNET_OPTIMIZER_AGGREGATION_SIZE")
        mo_opt = mxopt.optimizer.create("lars", lr_scheduler=mxopt.lr_scheduler.FactorScheduler(
            **sched), **config)
        rng = np.random.default_rng(3)
        ws = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        mx_w = [mxnet.nd.array(w) for w in ws]
        mo_w = [w.copy() for w in ws]
        mx_upd = mxnet.optimizer.get_updater(mx_opt)
        mo_upd = mxopt.optimizer.get_updater(mo_opt)
        idx = list(range(len(shapes)))
        for _ in range(8):
            gs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
            mx_upd(idx, [mxnet.nd.array(g) for g in gs], mx_w)
            mo_upd(idx, gs, mo_w)
        return [w.asnumpy() for w in mx_w], mo_w

    mx_w, mo_w = run(16)
    for a, b in zip(mo_w, mx_w):
        compare("lars-correction", "float32", a, b, "one MXNet call per step")
    mx_w4, mo_w4 = run(4)
    for a, b in zip(mo_w4[:4], mx_w4[:4]):
        compare("lars-correction", "float32", a, b, "first chunk")
    # MXNet's tensors beyond its first chunk missed the correction
    assert any(np.abs(a - b).max() > 1e-4 for a, b in zip(mo_w4[4:], mx_w4[4:]))


# ---------------------------------------------------------------------------
# LBSGD: MXNet accumulates a reference to the caller's gradient buffer
# ---------------------------------------------------------------------------
def test_lbsgd_reused_gradient_buffer(mxnet):
    """A training loop that writes each gradient into the same buffer (gluon
    does): MXNet's first-gradient-of-the-window is the buffer itself, so its
    window sum is the last gradient counted twice.  mxopt sums the window's
    gradients; it equals MXNet fed with fresh gradient arrays."""
    config = dict(learning_rate=0.1, batch_scale=2, warmup_epochs=0)
    rng = np.random.default_rng(4)
    w0 = rng.standard_normal((5, 3)).astype(np.float32)
    gs = [rng.standard_normal((5, 3)).astype(np.float32) for _ in range(6)]

    def mxnet_run(reuse):
        opt = mxnet.optimizer.create("lbsgd", **config)
        w = mxnet.nd.array(w0)
        s = opt.create_state(0, w)
        buf = mxnet.nd.zeros((5, 3))
        for g in gs:
            if reuse:
                buf[:] = g
                opt.update(0, w, buf, s)
            else:
                opt.update(0, w, mxnet.nd.array(g), s)
        return w.asnumpy()

    opt = mxopt.optimizer.create("lbsgd", **config)
    w = w0.copy()
    s = opt.create_state(0, w)
    buf = np.zeros((5, 3), np.float32)
    for g in gs:
        buf[...] = g
        opt.update(0, w, buf, s)
    compare("lbsgd-buffer", "float32", w, mxnet_run(reuse=False), "fresh gradients")
    assert np.abs(mxnet_run(reuse=True) - w).max() > 1e-3   # MXNet's quirk


# ---------------------------------------------------------------------------
# SGLD: statistics of the noise and of the drift
# ---------------------------------------------------------------------------
SGLD_GRID = [
    dict(learning_rate=0.01),
    dict(learning_rate=0.001, wd=0.1),
    dict(learning_rate=0.004, rescale_grad=0.5, clip_gradient=0.8, wd=0.01),
    dict(learning_rate=0.01, _mults=True),
    dict(learning_rate=0.002, begin_num_update=3, wd=0.05),
    dict(learning_rate=0.01, _scheduler=("FactorScheduler", dict(step=1, factor=0.5,
                                                                  base_lr=0.01))),
    dict(learning_rate=0.02, rescale_grad=2.0),
    dict(learning_rate=0.005, clip_gradient=0.3),
]
SGLD_STATS = {}


def _sgld_fit(w_new, w, g_eff, lr):
    """Regress the step on the (rescaled, clipped) gradient and the weight:
    coefficients (of g, of w) and the residual's mean and std."""
    dw = (w_new - w).ravel()
    X = np.stack([g_eff.ravel(), w.ravel(), np.ones(dw.size)], axis=1)
    coef, *_ = np.linalg.lstsq(X, dw, rcond=None)
    resid = dw - X @ coef
    return coef, resid.mean(), resid.std()


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("ci", range(len(SGLD_GRID)))
def test_sgld_statistics_match_mxnet(mxnet, ci, case):
    config, scheduler, extra, _ = split(SGLD_GRID[ci])
    dtype = case_dtype(case)
    mp = case == "float16-mp"
    n = 200000
    shapes = [(n,), (400, 250)]
    mxnet.random.seed(123 + ci)
    rng = np.random.default_rng(ci)
    sched_mx = sched_mo = None
    if scheduler:
        sched_mx = getattr(mxnet.lr_scheduler, scheduler[0])(**scheduler[1])
        sched_mo = getattr(mxopt.lr_scheduler, scheduler[0])(**scheduler[1])
    kw = dict(config)
    if extra:
        kw["param_idx2name"] = {0: "fc_weight", 1: "fc_bias"}
    mx_opt = mxnet.optimizer.create("sgld", multi_precision=mp, lr_scheduler=sched_mx, **kw)
    # (a seed other than the test's own generator's: equal seeds would make
    # the noise equal the initial weights)
    mo_opt = mxopt.optimizer.create("sgld", multi_precision=mp, lr_scheduler=sched_mo,
                                    seed=1000 + ci, **kw)
    for opt in (mx_opt, mo_opt):
        if extra:
            opt.set_lr_mult({0: 0.5, "fc_bias": 2.0})
            opt.set_wd_mult({"fc_bias": 0.3})
    ws = [rng.standard_normal(s).astype(dtype) for s in shapes]
    mx_w = [mxnet.nd.array(w, dtype=dtype) for w in ws]
    mo_w = [w.copy() for w in ws]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mx_s = [mx_opt.create_state_multi_precision(i, w) for i, w in enumerate(mx_w)]
        mo_s = [mo_opt.create_state_multi_precision(i, w) for i, w in enumerate(mo_w)]
    clipg = config.get("clip_gradient")
    for step in range(3):
        gs = [rng.standard_normal(s).astype(dtype) for s in shapes]
        before = [w.astype(np.float64) for w in mo_w]
        mx_before = [w.asnumpy().astype(np.float64) for w in mx_w]
        for i in range(len(shapes)):
            mx_opt.update_multi_precision(i, mx_w[i], mxnet.nd.array(gs[i], dtype=dtype),
                                          mx_s[i])
        mo_opt.update_multi_precision([0, 1], mo_w, gs, mo_s)
        lrs = mo_opt._get_lrs([0, 1])   # the rates used at this step
        wds = mo_opt._get_wds([0, 1])
        assert lrs == mx_opt._get_lrs([0, 1]) and wds == mx_opt._get_wds([0, 1])
        for i in range(len(shapes)):
            g_eff = gs[i].astype(np.float64) * config.get("rescale_grad", 1.0)
            if clipg:
                g_eff = np.clip(g_eff, -clipg, clipg)
            sigma = math.sqrt(lrs[i])
            expected = np.array([-lrs[i] / 2, -lrs[i] / 2 * wds[i]])
            got = {}
            for lib, new, old in (("mxnet", mx_w[i].asnumpy(), mx_before[i]),
                                  ("mxopt", mo_w[i], before[i])):
                coef, mean, std = _sgld_fit(new.astype(np.float64), old, g_eff, lrs[i])
                got[lib] = (coef, mean, std)
                # float16 rounding of the weight adds noise of its own
                slack = 0.02 if dtype != np.float16 else 0.15
                assert abs(std / sigma - 1) < slack, (lib, std, sigma)
                assert abs(coef[2]) < 6 * sigma / math.sqrt(new.size) + 1e-3 * sigma, lib
                if dtype != np.float16 or mp:
                    # six standard errors of each regression coefficient
                    se = 6 * sigma / math.sqrt(new.size)
                    assert abs(coef[0] - expected[0]) < se / g_eff.std(), (lib, coef, expected)
                    assert abs(coef[1] - expected[1]) < se / old.std(), (lib, coef, expected)
            ratio = got["mxopt"][2] / got["mxnet"][2]
            key = ("sgld", case)
            SGLD_STATS[key] = max(SGLD_STATS.get(key, 0.0), abs(ratio - 1))
            record_error("sgld(std ratio-1)", case, abs(ratio - 1))
            assert abs(ratio - 1) < (0.02 if dtype != np.float16 else 0.1)
    _note("sgld", ci)


@pytest.mark.parametrize("case", ["float32", "float64"])
@pytest.mark.parametrize("ci", range(len(SGLD_GRID)))
def test_sgld_drift_matches_mxnet_elementwise(mxnet, ci, case):
    """The deterministic part of SGLD, element by element: MXNet's noise is
    replayed from its seed (``mx.random.seed`` + the same ``normal`` call),
    mxopt's from its seeded generator, and subtracted from the new weights."""
    config, scheduler, extra, _ = split(SGLD_GRID[ci])
    dtype = case_dtype(case)
    rng = np.random.default_rng(ci)
    shape = (40, 25)
    kw = dict(config)
    sched = {}
    if scheduler:
        sched = dict(mx=getattr(mxnet.lr_scheduler, scheduler[0])(**scheduler[1]),
                     mo=getattr(mxopt.lr_scheduler, scheduler[0])(**scheduler[1]))
    if extra:
        kw["param_idx2name"] = {0: "fc_bias"}
    mx_opt = mxnet.optimizer.create("sgld", lr_scheduler=sched.get("mx"), **kw)
    mo_opt = mxopt.optimizer.create("sgld", lr_scheduler=sched.get("mo"), seed=77, **kw)
    replay = np.random.default_rng(77)
    for opt in (mx_opt, mo_opt):
        if extra:
            opt.set_lr_mult({"fc_bias": 0.5})
            opt.set_wd_mult({"fc_bias": 0.3})
    w0 = rng.standard_normal(shape).astype(dtype)
    mx_w = mxnet.nd.array(w0, dtype=dtype)
    mo_w = w0.copy()
    for step in range(5):
        g = rng.standard_normal(shape).astype(dtype)
        mxnet.random.seed(1000 * ci + step)
        mx_opt.update(0, mx_w, mxnet.nd.array(g, dtype=dtype), None)
        lr = mx_opt._get_lr(0)
        mxnet.random.seed(1000 * ci + step)
        mx_noise = mxnet.nd.random.normal(0, math.sqrt(lr), shape=shape, dtype=dtype).asnumpy()
        mo_opt.update(0, mo_w, g, None)
        assert mo_opt._get_lr(0) == lr
        key = replay.integers(2 ** 64, dtype=np.uint64)
        xi = mxopt.optimizer.SGLD.standard_normal(key, mo_w.size, dtype).reshape(shape)
        mo_noise = xi * dtype(math.sqrt(lr))
        what = "sgld %s step %d" % (config, step)
        compare("sgld(drift)", case, mo_w - mo_noise, mx_w.asnumpy() - mx_noise, what)
        # continue both from the same weights, so that only one step's
        # drift is compared each time
        mo_w[...] = mx_w.asnumpy()


def test_sgld_seed_reproducible_and_mxnet_uses_global_seed(mxnet):
    w = np.zeros(1000, np.float32)
    runs = []
    for _ in range(2):
        opt = mxopt.optimizer.SGLD(learning_rate=0.01, seed=7)
        x = w.copy()
        opt.update(0, x, np.zeros_like(x), None)
        runs.append(x)
    np.testing.assert_array_equal(runs[0], runs[1])
    outs = []
    for _ in range(2):
        mxnet.random.seed(5)
        opt = mxnet.optimizer.SGLD(learning_rate=0.01)
        x = mxnet.nd.zeros(1000)
        opt.update(0, x, mxnet.nd.zeros(1000), None)
        outs.append(x.asnumpy())
    np.testing.assert_array_equal(outs[0], outs[1])


def test_zz_print_summary(capsys):
    """Configurations run per optimizer (the worst errors are in the
    terminal summary); run with -s to see this table."""
    with capsys.disabled():
        print("\nSGD family parity: configurations run per optimizer")
        for name in sorted(CONFIGS_RUN):
            print("  %-8s %d" % (name, len(CONFIGS_RUN[name])))

"""Ftrl in its two dialects, each against a NumPy reference written from that
library's published formulas:

* MXNet 1.9.1 (``ftrl_update`` docs): beta inside the denominator, ``wd``
  added to it as it is;
* TensorFlow's ``ApplyFtrlV2`` op docs: ``learning_rate_power``, ``l2`` and
  ``l2_shrinkage`` doubled, no beta, accumulator fed by the plain gradient;
* Keras 3's ``keras.optimizers.Ftrl.update_step``: as TensorFlow plus
  ``beta / (2 lr)`` added to ``l2`` and the clip form of the L1 step.
"""
import numpy as np
import pytest
import scipy.sparse

import mxopt as mx


class RowSparse(object):
    """A minimal row-sparse gradient (any object with stype/data/indices/shape)."""
    stype = "row_sparse"

    def __init__(self, data, indices, shape):
        self.data, self.indices, self.shape = data, np.asarray(indices, np.int64), shape


# ----------------------------------------------------------------- references
def mxnet_ftrl(w, g, z, n, lr, lamda1, beta, wd=0.0):
    z = z + g - (np.sqrt(n + g * g) - np.sqrt(n)) * w / lr
    n = n + g * g
    w = (np.sign(z) * lamda1 - z) / ((beta + np.sqrt(n)) / lr + wd) * (np.abs(z) > lamda1)
    return w, z, n


def tf_apply_ftrl_v2(var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power):
    grad_with_shrinkage = grad + 2 * l2_shrinkage * var
    accum_new = accum + grad * grad
    linear = linear + grad_with_shrinkage - (accum_new ** -lr_power - accum ** -lr_power) / lr * var
    quadratic = 1.0 / (accum_new ** lr_power * lr) + 2 * l2
    var = np.where(np.abs(linear) > l1, (np.sign(linear) * l1 - linear) / quadratic, 0.0)
    return var, accum_new, linear


def keras_ftrl(variable, accum, linear, gradient, lr, lr_power, l1, l2, shrinkage, beta):
    l2_reg = l2 + beta / (2.0 * lr)
    grad_to_use = gradient + 2 * shrinkage * variable
    new_accum = accum + gradient ** 2
    linear = linear + grad_to_use - (new_accum ** -lr_power - accum ** -lr_power) / lr * variable
    quadratic = new_accum ** -lr_power / lr + 2 * l2_reg
    linear_clipped = np.clip(linear, -l1, l1)
    variable = (linear_clipped - linear) / quadratic
    return variable, new_accum, linear


def run_mxopt(opt, w, grads):
    w = w.copy()
    state = opt.create_state(0, w)
    out = []
    for g in grads:
        opt.update(0, w, g, state)
        out.append((w.copy(), state[0].copy(), state[1].copy()))
    return out


def gradients(rng, shape, steps=8, dtype=np.float64):
    return [rng.standard_normal(shape).astype(dtype) for _ in range(steps)]


# ------------------------------------------------------------- MXNet dialect
@pytest.mark.parametrize("kw", [dict(), dict(lamda1=0.1, learning_rate=0.5, beta=0.5),
                                dict(lamda1=0.0, beta=2.0, wd=0.3),
                                dict(lamda1=0.05, initial_accumulator_value=0.4)])
@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-6), (np.float32, 2e-5)])
def test_mxnet_dialect_matches_mxnet_formula(kw, dtype, rtol):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((6, 4)).astype(dtype)
    grads = gradients(rng, (6, 4), dtype=dtype)
    opt = mx.optimizer.Ftrl(**kw)
    assert not opt._tf_dialect()
    lr, l1, beta, wd = (kw.get("learning_rate", 0.1), kw.get("lamda1", 0.01),
                        kw.get("beta", 1), kw.get("wd", 0.0))
    f = (lambda x: float(np.float32(x)))  # MXNet's C++ kernel holds float32 scalars
    w, z, n = w0.astype(np.float64), np.zeros(w0.shape), np.full(w0.shape,
                                                                  kw.get("initial_accumulator_value", 0.0))
    for g, (got_w, got_z, got_n) in zip(grads, run_mxopt(opt, w0, grads)):
        w, z, n = mxnet_ftrl(w, g.astype(np.float64), z, n, f(lr), f(l1), f(beta), f(wd))
        np.testing.assert_allclose(got_w, w, rtol=rtol, atol=rtol * 1e-3)
        np.testing.assert_allclose(got_z, z, rtol=rtol, atol=rtol * 1e-3)
        np.testing.assert_allclose(got_n, n, rtol=rtol, atol=rtol * 1e-3)


def test_mxnet_dialect_is_the_default_and_unseen_rows_become_zero():
    opt = mx.optimizer.Ftrl()
    w = np.full((4, 2), 3.0)
    state = opt.create_state(0, w)
    g = RowSparse(np.ones((1, 2)), [1], (4, 2))
    opt.update(0, w, g, state)
    # MXNet 1.9.1 densifies: rows 0, 2, 3 (z = 0) get the closed form of z = 0
    assert np.all(w[[0, 2, 3]] == 0.0)
    assert np.all(state[0][[0, 2, 3]] == 0.0) and np.all(state[1][[0, 2, 3]] == 0.0)
    assert np.all(w[1] != 0.0)


# ------------------------------------------------------ TensorFlow dialect
TF_CASES = [
    dict(learning_rate_power=-0.5, l2_regularization_strength=0.2),
    dict(learning_rate_power=-0.3, initial_accumulator_value=0.1),
    dict(learning_rate_power=0.0, l1_regularization_strength=0.05),
    dict(learning_rate_power=-1.0, initial_accumulator_value=0.5, l2_regularization_strength=0.1),
    dict(l2_shrinkage_regularization_strength=0.3, initial_accumulator_value=0.1),
    dict(learning_rate_power=-0.7, l1_regularization_strength=0.02,
         l2_regularization_strength=0.05, l2_shrinkage_regularization_strength=0.1,
         initial_accumulator_value=0.2),
]


def _tf_args(kw):
    return dict(lr=kw.get("learning_rate", 0.1), l1=kw.get("l1_regularization_strength", 0.0),
                l2=kw.get("l2_regularization_strength", 0.0),
                l2_shrinkage=kw.get("l2_shrinkage_regularization_strength", 0.0),
                lr_power=kw.get("learning_rate_power", -0.5))


@pytest.mark.parametrize("kw", TF_CASES)
@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_tf_dialect_matches_apply_ftrl_v2(kw, dtype, rtol):
    kw = dict(kw, beta=0.0, learning_rate=0.2)
    if "l1_regularization_strength" not in kw:
        kw["lamda1"] = 0.0
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((5, 3)).astype(dtype)
    grads = gradients(rng, (5, 3), dtype=dtype)
    a = _tf_args(kw)
    var = w0.astype(np.float64)
    accum = np.full(w0.shape, kw.get("initial_accumulator_value", 0.0))
    linear = np.zeros(w0.shape)
    for g, (got_w, got_z, got_n) in zip(grads, run_mxopt(mx.optimizer.Ftrl(**kw), w0, grads)):
        var, accum, linear = tf_apply_ftrl_v2(var, accum, linear, g.astype(np.float64), **a)
        np.testing.assert_allclose(got_w, var, rtol=rtol, atol=rtol * 1e-2)
        np.testing.assert_allclose(got_z, linear, rtol=rtol, atol=rtol * 1e-2)
        np.testing.assert_allclose(got_n, accum, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("kw", TF_CASES)
@pytest.mark.parametrize("beta", [0.0, 0.7])
def test_tf_dialect_matches_keras_with_beta(kw, beta):
    kw = dict(kw, beta=beta, learning_rate=0.15)
    if "l1_regularization_strength" not in kw:
        kw["lamda1"] = 0.03
    l1 = kw.get("l1_regularization_strength", kw.get("lamda1"))
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((4, 4))
    grads = gradients(rng, (4, 4))
    var, linear = w0.copy(), np.zeros(w0.shape)
    accum = np.full(w0.shape, kw.get("initial_accumulator_value", 0.0))
    for g, (got_w, got_z, got_n) in zip(grads, run_mxopt(mx.optimizer.Ftrl(**kw), w0, grads)):
        var, accum, linear = keras_ftrl(var, accum, linear, g, 0.15,
                                        kw.get("learning_rate_power", -0.5), l1,
                                        kw.get("l2_regularization_strength", 0.0),
                                        kw.get("l2_shrinkage_regularization_strength", 0.0), beta)
        np.testing.assert_allclose(got_w, var, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(got_z, linear, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(got_n, accum, rtol=1e-10, atol=1e-13)


def test_mxnet_wd_equals_twice_the_tf_l2():
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((3, 3))
    grads = gradients(rng, (3, 3))
    a = run_mxopt(mx.optimizer.Ftrl(beta=0.0, wd=0.4), w0, grads)
    b = run_mxopt(mx.optimizer.Ftrl(beta=0.0, l2_regularization_strength=0.2), w0, grads)
    for (wa, za, na), (wb, zb, nb) in zip(a, b):
        # different kernels (MXNet's float32 scalars vs double), same formula
        np.testing.assert_allclose(wa, wb, rtol=1e-6)
        np.testing.assert_allclose(za, zb, rtol=1e-6)


def test_initial_accumulator_sets_n_and_keeps_mxnet_kernel():
    opt = mx.optimizer.Ftrl(initial_accumulator_value=0.25)
    w = np.ones((2, 3), np.float32)
    z, n = opt.create_state(0, w)
    assert z.dtype == n.dtype == np.float32
    assert np.all(z == 0) and np.all(n == np.float32(0.25))
    assert opt._kernel_plan((z, n))[0] == "ftrl"
    assert mx.optimizer.Ftrl(learning_rate_power=-0.4)._kernel_plan((z, n))[0] == "ftrl_v2"


@pytest.mark.parametrize("kw", [dict(), TF_CASES[4], TF_CASES[5]])
@pytest.mark.parametrize("kind", ["row_sparse", "csr"])
def test_sparse_gradient_equals_dense_semantics(kw, kind):
    rng = np.random.default_rng(4)
    w0 = rng.standard_normal((7, 3))
    a = mx.optimizer.Ftrl(**kw)
    b = mx.optimizer.Ftrl(**kw)
    wa, wb = w0.copy(), w0.copy()
    sa, sb = a.create_state(0, wa), b.create_state(0, wb)
    for rows in ([1, 5], [0, 1, 2], [], [6]):
        dense = np.zeros_like(w0)
        dense[rows] = rng.standard_normal((len(rows), 3))
        if kind == "row_sparse":
            g = RowSparse(dense[rows], rows, w0.shape)
        else:
            g = scipy.sparse.csr_matrix(dense)
        a.update(0, wa, g, sa)
        b.update(0, wb, dense, sb)
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(sa[0], sb[0])
        np.testing.assert_array_equal(sa[1], sb[1])
    if kw.get("l2_shrinkage_regularization_strength"):
        # shrinkage moves z even on rows without a gradient (dense semantics)
        assert np.all(sa[0][[3, 4]] != 0)


def _sparse_and_dense_twins(kw, dtype, mp):
    """Two optimizers on one start: ``a`` steps with row-sparse gradients,
    ``b`` with the same gradients densified (MXNet's semantics)."""
    rng = np.random.default_rng(11)
    w0 = rng.standard_normal((40, 5)).astype(dtype)
    a, b = mx.optimizer.Ftrl(multi_precision=mp, **kw), mx.optimizer.Ftrl(multi_precision=mp, **kw)
    wa, wb = w0.copy(), w0.copy()
    sa = a.create_state_multi_precision(0, wa)
    sb = b.create_state_multi_precision(0, wb)
    return rng, (a, wa, sa), (b, wb, sb)


def _flat_states(state):
    out = []
    for s in (state if isinstance(state, (tuple, list)) else [state]):
        out.extend(_flat_states(s) if isinstance(s, (tuple, list)) else [s])
    return out


@pytest.mark.parametrize("kw", [dict(lamda1=0.05, wd=0.01),
                                dict(lamda1=0.05, learning_rate_power=-0.4, beta=0.5),
                                dict(lamda1=0.05, l2_shrinkage_regularization_strength=0.2)],
                         ids=["mxnet", "tf", "tf-shrinkage"])
@pytest.mark.filterwarnings("ignore:Accumulating with float16")
@pytest.mark.parametrize("dtype,mp", [(np.float32, False), (np.float64, False),
                                      (np.float16, True), (np.float16, False)])
def test_sparse_steps_equal_dense_steps_through_rate_and_weight_changes(kw, dtype, mp):
    # the sparse path skips settled rows; every row must still equal the
    # dense (MXNet) computation, across rate changes and outside writes
    rng, (a, wa, sa), (b, wb, sb) = _sparse_and_dense_twins(kw, dtype, mp)
    for step in range(12):
        rows = np.sort(rng.choice(40, size=int(rng.integers(0, 6)), replace=False))
        dense = np.zeros_like(wa)
        dense[rows] = rng.standard_normal((len(rows), 5)).astype(dtype)
        if step == 4:
            a.set_learning_rate(0.05)
            b.set_learning_rate(0.05)
        if step == 7:
            a.rescale_grad = b.rescale_grad = 0.5
        if step == 9:  # a write from outside, announced
            wa[3] = wb[3] = 7.0
            a.mark_dirty(0)
        a.update_multi_precision(0, wa, RowSparse(dense[rows], rows, wa.shape), sa)
        b.update_multi_precision(0, wb, dense, sb)
        np.testing.assert_array_equal(wa, wb)
        for x, y in zip(_flat_states(sa), _flat_states(sb)):
            np.testing.assert_array_equal(x, y)


def test_settled_rows_are_not_touched_and_full_pass_comes_back():
    rng = np.random.default_rng(12)
    opt = mx.optimizer.Ftrl(lamda1=0.0)
    w = rng.standard_normal((50, 4)).astype(np.float32)
    state = opt.create_state(0, w)

    def step(rows):
        g = rng.standard_normal((len(rows), 4)).astype(np.float32)
        opt.update(0, w, RowSparse(g, rows, w.shape), state)

    step([1, 2])          # first step: every row recomputed (row 10 -> 0, never seen)
    assert np.all(w[10] == 0)
    w[10] = 3.0           # an unannounced outside write to an absent row ...
    step([1, 5])
    assert np.all(w[10] == 3.0)  # ... stays: the step touched only rows 1 and 5
    opt.mark_dirty()
    step([1, 5])
    assert np.all(w[10] == 0)    # announced: the full pass recomputes it
    w[10] = 3.0
    opt.set_learning_rate(0.05)  # a new rate: full pass
    step([2])
    assert np.all(w[10] == 0)
    w[10] = 3.0
    opt.update(0, w, np.zeros_like(w), state)  # a dense step recomputes every row ...
    w[10] = 3.0
    step([2])                                  # ... and the next sparse step too
    assert np.all(w[10] == 0)
    w[10] = 3.0
    fresh = (state[0].copy(), state[1].copy())  # new state arrays: full pass
    step_state = fresh
    opt.update(0, w, RowSparse(np.ones((1, 4), np.float32), [2], w.shape), step_state)
    assert np.all(w[10] == 0)


def test_gluon_set_data_and_updater_set_states_bring_back_the_full_pass():
    from mxopt import gluon
    rng = np.random.default_rng(13)
    p = gluon.Parameter("emb", shape=(30, 4), grad_stype="row_sparse")
    p.initialize(init=mx.init.Normal(1.0))
    trainer = gluon.Trainer([p], "ftrl", {"lamda1": 0.0})

    def step(rows):
        g = np.zeros((30, 4), np.float32)
        g[rows] = rng.standard_normal((len(rows), 4))
        p._grad[0][:] = mx.nd.array(g).tostype("row_sparse")
        p._data[0]._fresh_grad = True
        trainer.step(1)

    step([0, 1])
    assert np.all(p.data().asnumpy()[20] == 0)
    p.set_data(np.full((30, 4), 2.0, np.float32))
    step([0])
    assert np.all(p.data().asnumpy()[20] == 0)
    updater = trainer._updaters[0]
    p.data()[20] = 2.0
    updater.set_states(updater.get_states())
    step([0])
    assert np.all(p.data().asnumpy()[20] == 0)


def test_ftrl_pickles_and_saves_after_sparse_steps():
    import pickle
    opt = mx.optimizer.Ftrl()
    w = np.ones((6, 2), np.float32)
    state = opt.create_state(0, w)
    opt.update(0, w, RowSparse(np.ones((1, 2), np.float32), [1], w.shape), state)
    clone = pickle.loads(pickle.dumps(opt))
    assert clone._settled == {} and clone.lamda1 == opt.lamda1
    updater = mx.optimizer.get_updater(opt)
    updater(0, mx.nd.array(np.ones((6, 2), np.float32)).tostype("row_sparse"), w)
    blob = updater.get_states(dump_optimizer=True)
    again = mx.optimizer.get_updater(mx.optimizer.Ftrl())
    again.set_states(blob)
    assert isinstance(again.optimizer, mx.optimizer.Ftrl) and again.optimizer._settled == {}


def test_float16_multi_precision_and_float32_both_dialects():
    rng = np.random.default_rng(5)
    for kw in (dict(), TF_CASES[5]):
        opt = mx.optimizer.Ftrl(multi_precision=True, **kw)
        w16 = rng.standard_normal((4, 3)).astype(np.float16)
        state = opt.create_state_multi_precision(0, w16)
        master, (z, n) = state
        assert master.dtype == z.dtype == n.dtype == np.float32
        ref = mx.optimizer.Ftrl(**kw)
        w32 = w16.astype(np.float32)
        s32 = ref.create_state(0, w32)
        for _ in range(4):
            g = rng.standard_normal((4, 3)).astype(np.float16)
            opt.update_multi_precision(0, w16, g, state)
            ref.update(0, w32, g.astype(np.float32), s32)
            np.testing.assert_array_equal(master, w32)
            np.testing.assert_array_equal(w16, w32.astype(np.float16))


# ---------------------------------------------------------------- arguments
@pytest.mark.parametrize("kw,regex", [
    (dict(learning_rate_power=0.1), r"`learning_rate_power` must be negative or zero"
                                    r".*Received: learning_rate_power=0\.1"),
    (dict(initial_accumulator_value=-1.0), r"`initial_accumulator_value` must be positive or "
                                           r"zero.*Received: initial_accumulator_value=-1\.0"),
    (dict(l1_regularization_strength=-0.5), r"l1_regularization_strength=-0\.5"),
    (dict(l2_regularization_strength=-0.5), r"`l2_regularization_strength`.*=-0\.5"),
    (dict(l2_shrinkage_regularization_strength=-2.0),
     r"`l2_shrinkage_regularization_strength`.*=-2\.0"),
])
def test_keras_style_validation_messages(kw, regex):
    with pytest.raises(ValueError, match=regex):
        mx.optimizer.Ftrl(**kw)


def test_lamda1_and_l1_are_one_argument():
    assert mx.optimizer.Ftrl(l1_regularization_strength=0.3).lamda1 == 0.3
    assert mx.optimizer.Ftrl(lamda1=0.2).l1_regularization_strength == 0.2
    with pytest.raises(TypeError, match="lamda1"):
        mx.optimizer.Ftrl(0.1, l1_regularization_strength=0.1)
    with pytest.raises(TypeError, match="lamda1"):
        mx.optimizer.Ftrl(lamda1=0.01, l1_regularization_strength=0.1)
    with pytest.raises(TypeError, match="learning_rate_power"):
        mx.optimizer.Ftrl(learning_rate_power="x")


def test_config_round_trip_keeps_dialect():
    opt = mx.optimizer.Ftrl(learning_rate=0.3, l1_regularization_strength=0.02,
                            learning_rate_power=-0.6, l2_regularization_strength=0.1,
                            initial_accumulator_value=0.1)
    again = mx.optimizer.create(opt.get_config())
    for attr in ("lamda1", "lr", "beta", "learning_rate_power", "initial_accumulator_value",
                 "l2_regularization_strength", "l2_shrinkage_regularization_strength"):
        assert getattr(again, attr) == getattr(opt, attr)


def test_scheduler_rate_is_used_and_not_overwritten():
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=0.4)
    opt = mx.optimizer.Ftrl(lr_scheduler=sched)
    assert sched.base_lr == 0.4          # MXNet's Ftrl keeps the scheduler's base rate
    assert opt.lr == 0.1
    assert opt._get_lr(0) == pytest.approx(0.4)

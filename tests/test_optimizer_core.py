"""The Optimizer base class: registry, counting, lr/wd lookup, schedulers,
multi-precision states, configs, threads."""
import json
import warnings

import numpy as np
import pytest

import mxopt as mx
from mxopt.optimizer import Optimizer, register


class Mult(object):
    def __init__(self, lr_mult=1.0, wd_mult=1.0):
        self.lr_mult, self.wd_mult = lr_mult, wd_mult


def test_create_is_case_insensitive_and_unknown_names_list_known_ones():
    assert isinstance(mx.optimizer.create("SGD"), mx.optimizer.SGD)
    assert isinstance(Optimizer.create_optimizer("AdAm"), mx.optimizer.Adam)
    with pytest.raises(ValueError, match="Cannot find optimizer nosuch.*adam.*sgd"):
        mx.optimizer.create("nosuch")
    with pytest.raises(TypeError):
        mx.optimizer.create(3)


def test_register_decorator_and_override_warning():
    @register
    class MyOpt(Optimizer):
        def update(self, index, weight, grad, state):
            weight -= self._get_lr(index) * grad

    try:
        assert isinstance(mx.optimizer.create("myopt", learning_rate=0.5), MyOpt)
        with pytest.warns(UserWarning, match="overriding"):
            register(type("MyOpt", (Optimizer,), {}))
        with pytest.raises(TypeError):
            register("not a class")
    finally:
        Optimizer.opt_registry.pop("myopt", None)


def test_user_defined_optimizer_multi_precision_path():
    class Plain(Optimizer):
        def update(self, index, weight, grad, state):
            self._update_count(index)
            weight -= self._get_lr(index) * grad

    opt = Plain(learning_rate=0.5, multi_precision=True)
    w = np.ones(3, np.float16)
    state = opt.create_state_multi_precision(0, w)
    assert state[0].dtype == np.float32 and state[1] is None
    opt.update_multi_precision(0, w, np.ones(3, np.float16), state)
    np.testing.assert_array_equal(state[0], np.full(3, 0.5, np.float32))
    np.testing.assert_array_equal(w, np.full(3, 0.5, np.float16))
    with pytest.raises(NotImplementedError):
        Optimizer().update(0, w, w, None)


def test_counts_are_per_index_and_num_update_is_the_max():
    opt = mx.optimizer.SGD(begin_num_update=3)
    w = np.zeros(2, np.float32)
    for _ in range(2):
        opt.update(0, w, np.ones(2, np.float32), None)
    opt.update(1, w, np.ones(2, np.float32), None)
    assert opt._index_update_count == {0: 5, 1: 4}
    assert opt.num_update == 5


def test_lr_and_wd_lookup_order():
    opt = mx.optimizer.SGD(learning_rate=1.0, wd=1.0,
                           param_idx2name={0: "a_weight", 1: "a_bias", 2: "b_gamma", 3: "c_beta"})
    assert opt.wd_mult == {"a_bias": 0.0, "c_beta": 0.0}
    opt.set_lr_mult({"a_weight": 0.5, 2: 3.0})
    opt.set_wd_mult({"a_bias": 2.0})
    assert opt._get_lrs([0, 1, 2, 3]) == [0.5, 1.0, 3.0, 1.0]
    assert opt._get_wds([0, 1, 2, 3]) == [1.0, 2.0, 1.0, 0.0]
    # param_dict wins over index and name
    opt.param_dict = {0: Mult(lr_mult=7.0, wd_mult=0.25)}
    assert opt._get_lr(0) == 7.0 and opt._get_wd(0) == 0.25
    with pytest.raises(TypeError):
        opt.set_lr_mult([1])


def test_lr_mult_changes_the_update():
    opt = mx.optimizer.SGD(learning_rate=0.5)
    opt.set_lr_mult({0: 0.0})
    w = np.ones(3, np.float32)
    opt.update(0, w, np.ones(3, np.float32), None)
    np.testing.assert_array_equal(w, np.ones(3, np.float32))
    opt.update(1, w, np.ones(3, np.float32), None)
    np.testing.assert_array_equal(w, np.full(3, 0.5, np.float32))


def test_scheduler_drives_learning_rate_and_set_learning_rate_refuses():
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    opt = mx.optimizer.SGD(lr_scheduler=sched)
    w = np.zeros(1, np.float64)
    seen = []
    for _ in range(6):
        before = w.copy()
        opt.update(0, w, np.ones(1), None)
        seen.append(float(before[0] - w[0]))
    # FactorScheduler lowers the rate once num_update > count + step
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    assert opt.learning_rate == sched(opt.num_update)
    with pytest.raises(UserWarning, match="LRScheduler"):
        opt.set_learning_rate(0.1)


def test_learning_rate_overrides_scheduler_base_lr():
    sched = mx.lr_scheduler.FactorScheduler(step=2, base_lr=1.0)
    mx.optimizer.Adam(lr_scheduler=sched)
    assert sched.base_lr == 0.001  # Adam's default learning rate wins, as in MXNet


def test_set_learning_rate_and_validation():
    opt = mx.optimizer.SGD(learning_rate=0.1)
    opt.set_learning_rate(0.2)
    assert opt.learning_rate == 0.2
    opt.learning_rate = 0.3
    assert opt.lr == 0.3
    with pytest.raises(ValueError, match="learning_rate"):
        opt.set_learning_rate(-1.0)
    with pytest.raises(DeprecationWarning):
        opt.set_lr_scale({})
    with pytest.raises(TypeError, match="param_idx2name"):
        mx.optimizer.SGD(param_idx2name=[1, 2])


def test_multi_precision_state_layouts_follow_mxnet():
    w = np.ones((2, 2), np.float16)
    sgd_state = mx.optimizer.SGD(momentum=0.9, multi_precision=True).create_state_multi_precision(0, w)
    assert sgd_state[0].dtype == np.float32 and sgd_state[1].dtype == np.float32
    assert isinstance(sgd_state, tuple) and sgd_state[0].shape == (2, 2)
    sgd_plain = mx.optimizer.SGD(multi_precision=True).create_state_multi_precision(0, w)
    assert sgd_plain[0] is None and sgd_plain[1].dtype == np.float32     # (mom, weight32)
    adam_state = mx.optimizer.Adam(multi_precision=True).create_state_multi_precision(0, w)
    assert adam_state[0].dtype == np.float32                             # (weight32, (m, v))
    assert isinstance(adam_state[1], tuple) and len(adam_state[1]) == 2
    # float32 weights ignore multi_precision
    assert mx.optimizer.Adam(multi_precision=True).create_state_multi_precision(
        0, np.ones(2, np.float32))[0].dtype == np.float32


def test_config_round_trip_is_json_serialisable():
    sched = mx.lr_scheduler.MultiFactorScheduler(step=[2, 5], factor=0.5, base_lr=0.1)
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=1e-4, lr_scheduler=sched)
    config = opt.get_config()
    text = json.dumps(config)
    again = mx.optimizer.create(json.loads(text))
    assert type(again) is mx.optimizer.SGD
    assert again.momentum == 0.9 and again.wd == 1e-4
    assert type(again.lr_scheduler) is type(sched)
    assert again.get_config() == config


def test_step_and_fused_step_give_the_same_numbers():
    rng = np.random.default_rng(0)
    ws = [rng.standard_normal(5).astype(np.float32) for _ in range(3)]
    ws2 = [w.copy() for w in ws]
    a, b = mx.optimizer.Adam(use_fused_step=False), mx.optimizer.Adam()
    sa = [a.create_state(i, w) for i, w in enumerate(ws)]
    sb = [b.create_state(i, w) for i, w in enumerate(ws2)]
    gs = [rng.standard_normal(5).astype(np.float32) for _ in range(3)]
    a.step([0, 1, 2], ws, gs, sa)
    b.fused_step([0, 1, 2], ws2, gs, sb)
    for x, y in zip(ws, ws2):
        np.testing.assert_array_equal(x, y)


def test_list_length_mismatch_is_refused():
    opt = mx.optimizer.SGD()
    w = np.ones(2, np.float32)
    with pytest.raises(ValueError, match="same length"):
        opt.update([0, 1], [w], [w, w], [None, None])


def test_threads_give_identical_results_and_are_configurable():
    from mxopt import _kernels
    n = 300000
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(n).astype(np.float32)
    g = rng.standard_normal(n).astype(np.float32)
    results = []
    old = mx.get_num_threads()
    try:
        for threads in (1, 2):
            mx.set_num_threads(threads)
            assert mx.get_num_threads() == (threads if _kernels.HAVE_OPENMP else 1)
            w = w0.copy()
            opt = mx.optimizer.Adam(learning_rate=0.01, wd=0.01)
            state = opt.create_state(0, w)
            for _ in range(3):
                opt.update(0, w, g, state)
            results.append(w)
    finally:
        mx.set_num_threads(old)
    np.testing.assert_array_equal(results[0], results[1])
    with pytest.raises(ValueError):
        mx.set_num_threads(0)


def test_float16_conversion_matches_numpy_for_every_value():
    from mxopt import _kernels
    bits = np.arange(65536, dtype=np.uint16)
    halves = bits.view(np.float16)
    finite = np.isfinite(halves) & (bits != 0x8000)   # -0 + 0 is +0 by IEEE rules
    w = bits.copy()
    # lr = 0 and wd = 0: the weight is read, converted and written back
    hyper = [(0.0, 0.0, 1.0, -1.0)]
    _kernels.sgd_multi_h16([w], [np.zeros_like(w)], [()], [None], hyper)
    np.testing.assert_array_equal(w[finite], bits[finite])
    # float32 -> float16 rounding of the multi-precision path equals numpy's
    rng = np.random.default_rng(1)
    master = np.concatenate([rng.standard_normal(100000).astype(np.float32) * s
                             for s in (1e-7, 1e-4, 1.0, 1e3, 6e4)])
    out = np.zeros(master.size, np.uint16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = master.astype(np.float16)
    _kernels.sgd_multi_mp([out], [np.zeros_like(out)], [()], [master.copy()], hyper)
    np.testing.assert_array_equal(out, expected.view(np.uint16))


def _bad_inputs():
    """(label, weight, grad, state_fn, error) for the single-tensor dense
    path: each must take the Python checks and raise before any change."""
    w = np.ones((4, 5), np.float32)
    g = np.full((4, 5), 0.5, np.float32)
    readonly = w.copy()
    readonly.setflags(write=False)
    swapped = w.astype(">f4")
    ro_state = np.zeros((4, 5), np.float32)
    ro_state.setflags(write=False)
    return [
        ("reshaped grad", w, g.reshape(20), None, mx.base.ShapeError),
        ("grad of another dtype", w, g.astype(np.float64), None, mx.base.DTypeError),
        ("read-only weight", readonly, g, None, ValueError),
        ("byte-swapped weight", swapped, g.astype(">f4"), None, mx.base.DTypeError),
        ("state of another dtype", w, g, lambda s: (s[0].astype(np.float64), s[1]),
         mx.base.DTypeError),
        ("state of another shape", w, g, lambda s: (s[0].reshape(5, 4), s[1]),
         mx.base.ShapeError),
        ("read-only state", w, g, lambda s: (ro_state, s[1]), ValueError),
        ("state not contiguous", w, g,
         lambda s: (np.zeros((5, 4), np.float32).T, s[1]), ValueError),
        ("state not an array", w, g, lambda s: ([0.0] * 20, s[1]), TypeError),
    ]


@pytest.mark.parametrize("case", _bad_inputs(), ids=lambda c: c[0])
def test_dense_path_refuses_unusual_arrays_before_any_change(case):
    _, w, g, state_fn, error = case
    opt = mx.optimizer.Adam()
    w_before = w.copy()
    state = opt.create_state(0, w.astype(np.float32) if w.dtype.byteorder == ">" else w)
    if state_fn is not None:
        state = state_fn(state)
    before = [np.array(s, copy=True) for s in state]
    with pytest.raises(error):
        opt.update(0, w, g, state)
    np.testing.assert_array_equal(w, w_before)
    for s, b in zip(state, before):
        np.testing.assert_array_equal(np.asarray(s), b)
    assert 0 not in opt._index_update_count


def test_dense_fast_check_recognises_only_the_common_case():
    from mxopt import _kernels
    w = np.zeros((3, 4), np.float32)
    assert _kernels.dense_pair_mode(w, np.zeros((3, 4), np.float32)) == "f32"
    assert _kernels.dense_pair_mode(w.astype(np.float64), np.zeros((3, 4))) == "f64"
    assert _kernels.dense_pair_mode(w.astype(np.float16),
                                    np.zeros((3, 4), np.float16)) == "h16"
    assert _kernels.dense_pair_mode(w, np.zeros((4, 3), np.float32)) is None
    assert _kernels.dense_pair_mode(w, np.zeros((3, 4), np.float64)) is None
    assert _kernels.dense_pair_mode(w, np.zeros((4, 3), np.float32).T) is None
    assert _kernels.dense_pair_mode(w.astype(np.int32), np.zeros((3, 4), np.int32)) is None
    assert _kernels.dense_pair_mode(w, [[0.0] * 4] * 3) is None
    assert _kernels.dense_pair_mode(w.astype(">f4"), np.zeros((3, 4), ">f4")) is None
    assert _kernels.states_match(w, [np.zeros((3, 4), np.float32)] * 2)
    assert not _kernels.states_match(w, [np.zeros((3, 4), np.float64)])
    assert not _kernels.states_match(w, [np.zeros(12, np.float32)])
    assert not _kernels.states_match(w, [None])

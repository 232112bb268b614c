"""Stochastic gradient Langevin dynamics (MXNet 1.9.1's ``SGLD``)."""
import numbers

import numpy as np

from mxopt import _kernels
from mxopt.optimizer import _sgdfamily
from mxopt.optimizer.optimizer import Optimizer, _default_aggregate_num, register

__all__ = ["SGLD"]

_NOISE_DTYPE = {"f32": np.dtype(np.float32), "f64": np.dtype(np.float64),
                "h16": np.dtype(np.float16), "mp": np.dtype(np.float32)}


def _fill_standard_normal(out, key, scratch=None):
    """Fill the 1-D array ``out`` with the standard normal numbers of ``key``
    (float16: the float32 numbers, drawn into ``scratch`` or a new array,
    rounded)."""
    if out.dtype == np.float16:
        if scratch is None:
            scratch = np.empty(out.size, dtype=np.float32)
        _kernels.standard_normal_fill(scratch, key)
        np.copyto(out, scratch, casting="same_kind")
    else:
        _kernels.standard_normal_fill(out, key)


@register
class SGLD(Optimizer):
    r"""Stochastic gradient Langevin dynamics: half a gradient step plus
    Gaussian noise whose variance is the learning rate.

    .. math::

        g &= \mathrm{clip}(\mathrm{rescale\_grad} \cdot \nabla, c) \\
        w &\leftarrow w - \frac{\eta}{2}\,(g + \lambda w) \\
        w &\leftarrow w + \sqrt{\eta}\;\xi, \qquad \xi \sim \mathcal{N}(0, 1)

    one independent :math:`\xi` per element and step, :math:`\eta` the
    learning rate (per parameter, multipliers included), :math:`\lambda` the
    weight decay and :math:`c` ``clip_gradient``.  There is no state
    (``create_state`` returns ``None``).

    Runs are reproducible: pass ``seed`` (an int, or a
    :class:`numpy.random.Generator` to share one).  Each update takes one
    64-bit key from that generator per noise dtype, and
    :meth:`standard_normal` turns the key into the normal numbers, in
    parallel (xoshiro256++ streams, ziggurat method; the numbers depend on
    neither the thread count nor the CPU's instruction set).  Dense steps
    draw the numbers block by block as they go, without a noise array.
    MXNet draws from its global ``mx.random`` generator instead, so mxopt
    and MXNet agree in distribution, not in individual draws.  Noise is
    drawn in the weight's precision (float32 for float16 weights, which
    receive it rounded to float16, and for float16 weights with a master
    copy).

    Row-sparse and CSR gradients follow the dense rule (MXNet densifies them):
    every row takes the weight decay and the noise, rows absent from the
    gradient with a zero gradient.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None, keyword only
        Seed of the noise generator (``None``: fresh entropy from the OS).
        An mxopt extension; MXNet's SGLD takes only the base arguments.
    **kwargs
        The :class:`Optimizer` arguments.

    Notes
    -----
    As in MXNet, whose SGLD clips whenever ``clip_gradient is not None``,
    ``clip_gradient=0`` clips every gradient to zero (the C++ optimizers
    treat 0 as "no clipping").  The clip bound is a float32 number, as
    NDArray ``clip`` holds it, also for float64 weights.

    Examples
    --------
    >>> import numpy as np, mxopt as mx
    >>> opt = mx.optimizer.SGLD(learning_rate=1e-4, seed=0)
    >>> w = np.zeros(10000)
    >>> opt.update(0, w, np.zeros(10000), opt.create_state(0, w))
    >>> round(float(w.std()) / 1e-2, 1)       # std = sqrt(lr)
    1.0

    References
    ----------
    Welling & Teh, "Bayesian Learning via Stochastic Gradient Langevin
    Dynamics", ICML 2011.
    """

    def __init__(self, *, seed=None, **kwargs):
        super(SGLD, self).__init__(**kwargs)
        if isinstance(seed, np.random.Generator):
            self._rng = seed
        elif seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)
                              and seed >= 0):
            self._rng = np.random.default_rng(seed)
        else:
            raise TypeError("`seed` must be None, a non-negative integer or a "
                            "numpy.random.Generator, received %r" % (seed,))
        self.seed = seed if not isinstance(seed, np.random.Generator) else None
        self._noise = {}
        self.aggregate_num = _default_aggregate_num()

    def _clip_bound(self):
        # MXNet's Python code clips when clip_gradient is not None (0 included)
        if self.clip_gradient is None or self.clip_gradient < 0:
            return -1.0
        return float(self.clip_gradient)

    def create_state(self, index, weight):
        return None

    def _kernel_plan(self, state):
        if state is not None:
            raise TypeError("SGLD has no state (None), received %s" % type(state).__name__)
        return "sgld", []

    def _noise_buffer(self, dtype, size, slot=None):
        """A reusable scratch array of at least ``size`` elements (one per
        dtype, or per ``slot`` for a second array of the same dtype)."""
        slot = dtype if slot is None else slot
        buf = self._noise.get(slot)
        if buf is None or buf.size < size:
            buf = self._noise[slot] = np.empty(max(size, 1), dtype=dtype)
        return buf

    @staticmethod
    def standard_normal(key, size, dtype=np.float32):
        """The standard normal numbers an update draws from ``key``.

        An update takes ``key = generator.integers(2**64, dtype=np.uint64)``
        once per noise dtype (float32, float64, float16, in the order the
        tensors first need them) and lays the numbers of
        ``standard_normal(key, total, dtype)`` over its tensors of that dtype
        in order, flattened in C order.  float16 noise is the float32 numbers
        rounded to float16; float32 and float64 numbers come from different
        draws (32 and 64 random bits per number).

        Parameters
        ----------
        key : int
            In ``[0, 2**64)``.
        size : int
            How many numbers.
        dtype : float32, float64 or float16
        """
        dtype = np.dtype(dtype)
        if dtype not in (np.float16, np.float32, np.float64):
            raise TypeError("dtype must be float16, float32 or float64, received %s" % dtype)
        out = np.empty(size, dtype=dtype)
        _fill_standard_normal(out, key)
        return out

    def _prefill(self, plans, key, dtype):
        """Draw the noise of ``plans`` (one dtype, at least one sparse
        gradient) into one array and give each plan its slice, for the
        generic kernels."""
        total = sum(plan.weight.size for plan in plans)
        buf = self._noise_buffer(dtype, total)[:total]
        scratch = None
        if dtype == np.float16:
            scratch = self._noise_buffer(np.dtype(np.float32), total, "f16 scratch")[:total]
        _fill_standard_normal(buf, key, scratch)
        start = 0
        for plan in plans:
            n = plan.weight.size
            plan.arrays = [buf[start:start + n].reshape(plan.weight.shape)]
            start += n

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        indices, weights, grads, states = _sgdfamily.as_lists(indices, weights, grads, states)
        plans = _sgdfamily.plan_tensors(self, weights, grads, states, multi_precision)
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        clip = self._clip_bound()
        rescale = float(self.rescale_grad)
        scalars = [(float(lr), float(wd), rescale, clip) for lr, wd in zip(lrs, wds)]
        # one key per noise dtype, in the order the tensors first need them
        groups = {}
        for pos, plan in enumerate(plans):
            groups.setdefault(_NOISE_DTYPE[plan.mode], []).append(pos)
        generic = []
        for dtype, members in groups.items():
            key = int(self._rng.integers(2 ** 64, dtype=np.uint64))
            if any(_sgdfamily.is_sparse(plans[p].grad) for p in members):
                self._prefill([plans[p] for p in members], key, dtype)
                generic.extend(members)
                continue
            # dense: the kernel draws the noise block by block as it steps
            if self._watch_dense:
                for p in members:
                    self._dense_stepped(indices[p])
            _kernels.sgld_noisy_multi(key, [plans[p].mode for p in members],
                                      [plans[p].weight for p in members],
                                      [plans[p].grad for p in members],
                                      [plans[p].master for p in members],
                                      [scalars[p] for p in members])
        if generic:
            generic.sort()
            _sgdfamily.apply_plans(self, [indices[p] for p in generic],
                                   [plans[p] for p in generic], [scalars[p] for p in generic])

    def __getstate__(self):
        state = super(SGLD, self).__getstate__()
        state["_noise"] = {}   # scratch space, not state
        return state

    def get_config(self):
        config = super(SGLD, self).get_config()
        if isinstance(config["args"].get("seed"), np.random.Generator):
            config["args"]["seed"] = None
        return config

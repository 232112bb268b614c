"""Layer-wise adaptive rate scaling (MXNet 1.9.1's ``LARS``)."""
import numpy as np

from mxopt import _kernels
from mxopt.optimizer import _sgdfamily
from mxopt.optimizer.optimizer import Optimizer, _default_aggregate_num, register

__all__ = ["LARS"]

_NO_LARS_SUFFIXES = ("gamma", "beta", "bias")


@register
class LARS(Optimizer):
    r"""LARS: SGD with momentum whose learning rate is rescaled per layer by
    the ratio of the weight's norm to the gradient's norm.

    For each tensor whose name (``param_idx2name``, else the index) does not
    end in ``gamma``, ``beta`` or ``bias``:

    .. math::

        \eta_\ell = \begin{cases}
            \eta\, \dfrac{\mathrm{eta}\, \|w\|}
                {\mathrm{rescale\_grad}\, \|\nabla\| + \lambda \|w\| + \epsilon}
                & \|w\| > 0 \text{ and } \|\nabla\| > 0 \\
            \eta & \text{otherwise}
        \end{cases}

    (:math:`\eta` the learning rate with its multiplier, :math:`\lambda` the
    weight decay, :math:`\epsilon` ``eps``); the other tensors keep
    :math:`\eta_\ell = \eta`.  The step is then SGD's, with
    :math:`g = \mathrm{clip}(\mathrm{rescale\_grad} \cdot \nabla, c)`:

    .. math::

        m &\leftarrow \mu_t m - \eta_\ell\,(\lambda w + g), \qquad w \leftarrow w + m \\
        \mu_t &= \mu\, \frac{\eta_t}{\eta_{t-1}} \quad
                   \text{(``momentum_correction``; } \eta_t
                   \text{ the scheduler's rate at this update)}

    or :math:`w \leftarrow w - \eta_\ell(\lambda w + g)` without momentum.

    The norms are of the weight as given (the float16 weight in
    multi-precision mode, as in MXNet) and of the raw gradient; they are
    computed by a kernel that accumulates in double (MXNet's ``multi_sum_sq``
    accumulates in float32, which loses about 5e-4 relative on a million
    elements).  The rate itself is computed in float32, as MXNet's
    ``multi_lars`` does.

    Row-sparse and CSR gradients: with ``lazy_update=True`` (default) only the
    rows present change (weight decay and momentum included); the gradient
    norm is the norm of the rows present (= the dense norm), the weight norm
    is over the whole weight::

        for row in grad.indices:
            m[row] = mu_t * m[row] - lr_l * (wd * w[row] + clip(rescale * grad[row]))
            w[row] += m[row]

    ``lazy_update=False`` updates every row as the dense rule does, and so
    do float16 weights with a float32 master copy (MXNet's multi-precision
    operators densify the gradient).

    **Deliberate difference from MXNet**: MXNet keeps the previous scheduler
    rate of the momentum correction per *call* of ``update``, so within one
    training step only the first call (the first 4 tensors of an ``Updater``
    step, or only tensor 0 when tensors are updated one at a time) sees the
    ratio :math:`\eta_t / \eta_{t-1}`; the others get :math:`\mu`.  mxopt keeps
    it per *tensor*, so every tensor gets the correction that Goyal et al.
    describe, and an aggregated call equals one-at-a-time calls.  The numbers
    are MXNet's whenever the scheduler's rate does not change, or when all
    tensors of a step go through one MXNet call.

    Parameters
    ----------
    momentum : float, default 0.0
        The momentum value, in [0, 1].
    lazy_update : bool, default True
        Lazy row-sparse updates (see above).
    eta : float, default 0.001
        LARS coefficient, >= 0.
    eps : float, default 0
        Added to the denominator of the trust ratio, >= 0.
    momentum_correction : bool, default True
        Scale the momentum by the scheduler's rate change (see above).
    **kwargs
        The :class:`Optimizer` arguments.

    Notes
    -----
    Multi-precision states are ``(momentum, weight32)`` as in MXNet.
    ``param_idx2name`` names that do not end in ``_weight`` get a weight-decay
    multiplier of 0 (MXNet's LARS does not exempt ``_gamma``).

    Examples
    --------
    >>> import numpy as np, mxopt as mx
    >>> opt = mx.optimizer.LARS(learning_rate=0.1, eta=0.01)
    >>> w = np.full(4, 3.0, dtype=np.float32)           # |w| = 6
    >>> g = np.full(4, 0.5, dtype=np.float32)           # |g| = 1
    >>> opt.update(0, w, g, opt.create_state(0, w))     # lr_l = 0.1 * 0.01 * 6
    >>> w
    array([2.997, 2.997, 2.997, 2.997], dtype=float32)

    References
    ----------
    You, Gitman & Ginsburg, "Large Batch Training of Convolutional Networks",
    arXiv:1708.03888; Goyal et al., "Accurate, Large Minibatch SGD: Training
    ImageNet in 1 Hour", arXiv:1706.02677.
    """

    _constraints = {"momentum": dict(low=0.0, high=1.0),
                    "eta": dict(low=0.0),
                    "eps": dict(low=0.0)}
    _mp_master_first = False
    # with a float16 master copy MXNet densifies sparse gradients
    _lazy_multi_precision = False
    #: ``fn(arrays, out)``: sums of squares of many arrays (double accumulation)
    _sum_squares = staticmethod(_kernels.multi_sum_squares)

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0,
                 momentum_correction=True, **kwargs):
        super(LARS, self).__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = bool(momentum_correction)
        self.lazy_update = bool(lazy_update)
        self.eta = eta
        self.eps = eps
        self.skip = 0
        self.last_lr = None
        self.cur_lr = None
        # scheduler rate at each index's previous update (momentum correction)
        self._prev_rate = {}
        self.aggregate_num = _default_aggregate_num()
        self._check_constraints()

    @staticmethod
    def _decays(name):
        return name.endswith("_weight")

    def create_state(self, index, weight):
        if self.momentum != 0.0:
            return np.zeros(weight.shape, dtype=weight.dtype)
        return None

    def _kernel_plan(self, state):
        # dense gradients: MXNet's preloaded multi-SGD kernels
        if state is None:
            return "lars_sgd", []
        if not isinstance(state, np.ndarray):
            raise TypeError("LARS's state must be None or the momentum array, received %s"
                            % type(state).__name__)
        return "lars_sgd_mom", [(state, "mom")]

    def _get_lrs(self, indices):
        # as MXNet: one scheduler query per call, remembered with the last one
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr
        return [lr * self._lr_multiplier(index) for index in indices]

    def _lazy_rows(self):
        return self.lazy_update

    def _uses_lars(self, index):
        name = self.idx2name[index] if index in self.idx2name else str(index)
        return not name.endswith(_NO_LARS_SUFFIXES)

    def _layer_rates(self, indices, plans, lrs, wds):
        """LARS's learning rate of every tensor (norms in one kernel call)."""
        rates = np.array(lrs, dtype=np.float64)
        chosen = [k for k, index in enumerate(indices) if self._uses_lars(index)]
        if not chosen:
            return rates
        arrays = [plans[k].weight for k in chosen]
        for k in chosen:
            grad = plans[k].grad
            arrays.append(grad.data if _sgdfamily.is_sparse(grad) else grad)
        sums = np.empty(len(arrays), dtype=np.float64)
        self._sum_squares(arrays, sums)
        n = len(chosen)
        out = np.empty(n, dtype=np.float64)
        _kernels.lars_rates(rates[chosen], sums[:n], sums[n:],
                            np.array([wds[k] for k in chosen], dtype=np.float64),
                            float(self.eta), float(self.eps), float(self.rescale_grad), out)
        rates[chosen] = out
        return rates

    def _momentum_of(self, index):
        rate = self.cur_lr
        prev = self._prev_rate.get(index, rate)
        self._prev_rate[index] = rate
        if self.momentum_correction and prev != 0:
            return self.momentum * (rate / prev)
        return self.momentum

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        indices, weights, grads, states = _sgdfamily.as_lists(indices, weights, grads, states)
        plans = _sgdfamily.plan_tensors(self, weights, grads, states, multi_precision)
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        rates = self._layer_rates(indices, plans, lrs, wds)
        clip = self._clip_bound()
        rescale = float(self.rescale_grad)
        scalars = []
        for index, plan, rate, wd in zip(indices, plans, rates, wds):
            sc = (float(rate), float(wd), rescale, clip)
            sparse = _sgdfamily.is_sparse(plan.grad)
            if plan.kernel == "lars_sgd_mom":
                sc += (float(self._momentum_of(index)),)
                if sparse:
                    # MXNet's sparse path: the single-tensor operators
                    plan.kernel = "sgd_mom"
            else:
                self._prev_rate[index] = self.cur_lr
                if sparse:
                    plan.kernel = "sgd_plain"
            scalars.append(sc)
        # MXNet's multi-precision operators densify row-sparse gradients
        _sgdfamily.apply_plans(self, indices, plans, scalars)

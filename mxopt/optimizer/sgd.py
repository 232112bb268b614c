"""Stochastic gradient descent with momentum (MXNet 1.9.1's ``SGD``)."""
import numpy as np

from mxopt.optimizer._dispatch import GradRows
from mxopt.optimizer import _dispatch
from mxopt.optimizer.optimizer import Optimizer, _default_aggregate_num, register

__all__ = ["SGD"]


@register
class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum.

    With ``momentum = 0``:

    .. math::

        g &= \mathrm{clip}(\mathrm{rescale\_grad} \cdot \nabla, c) \\
        w &\leftarrow w - \eta\,(\lambda w + g)

    With momentum :math:`\mu` the state ``mom`` holds the signed step:

    .. math::

        m &\leftarrow \mu m - \eta\,(\lambda w + g) \\
        w &\leftarrow w + m

    where :math:`\eta` is the learning rate, :math:`\lambda` the weight decay
    and :math:`c` ``clip_gradient``.  The weight-decay term is not clipped.

    Row-sparse or CSR gradients with ``lazy_update=True`` (the default) update
    only the rows present (weight decay and momentum included)::

        for row in grad.indices:
            m[row] = momentum * m[row] - lr * (wd * w[row] + clip(rescale * grad[row]))
            w[row] += m[row]

    With ``lazy_update=False`` every row is updated as in the dense rule, the
    absent rows with a zero gradient.  So is every row of a float16 weight
    with ``multi_precision=True``: MXNet 1.9.1 has no sparse multi-precision
    SGD kernel and silently runs the dense one (mxopt keeps its numbers).

    Parameters
    ----------
    momentum : float, default 0.0
        The momentum value, in [0, 1].
    lazy_update : bool, default True
        Lazy row-sparse updates (see above).
    **kwargs
        The :class:`Optimizer` arguments.

    Notes
    -----
    Multi-precision states are ``(momentum, weight32)`` as in MXNet (the
    reverse of the base-class order).

    Examples
    --------
    >>> import numpy as np, mxopt as mx
    >>> opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    >>> w = np.ones(3, dtype=np.float32)
    >>> state = opt.create_state(0, w)
    >>> opt.update(0, w, np.full(3, 0.5, dtype=np.float32), state)
    >>> w
    array([0.95, 0.95, 0.95], dtype=float32)

    References
    ----------
    Robbins & Monro (1951); Sutskever et al., "On the importance of
    initialization and momentum in deep learning", ICML 2013.
    """

    _constraints = {"momentum": dict(low=0.0, high=1.0)}
    _mp_master_first = False
    # MXNet's mp_sgd[_mom]_update have no row-sparse kernel: MXNet densifies
    _lazy_multi_precision = False

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super(SGD, self).__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = _default_aggregate_num()
        self._check_constraints()

    def create_state(self, index, weight):
        return _dispatch.momentum_state(weight, self.momentum)

    def _kernel_plan(self, state):
        return _dispatch.momentum_plan("SGD", state, "sgd", "sgd_mom")

    def _hyper(self, kernel):
        return (self.momentum,) if kernel == "sgd_mom" else ()

    def _plan(self, weight, grad, state, multi_precision):
        plan = Optimizer._plan(self, weight, grad, state, multi_precision)
        if plan[0] == "sgd" and isinstance(plan[3], GradRows) and (
                not self.lazy_update or plan[1] == "mp"):
            # MXNet scales every row by a float32 (1 - lr*wd) first
            plan = ("sgd_std",) + plan[1:]
        return plan

    def _scalars(self, index, kernel, lr, wd, rescale, clip):
        if kernel == "sgd_std":
            decay = float(np.float32(1) - np.float32(lr) * np.float32(wd))
            return (lr, wd, rescale, clip, decay)
        return Optimizer._scalars(self, index, kernel, lr, wd, rescale, clip)

    def _lazy_rows(self):
        return bool(self.lazy_update)

    def _absent_rows_fixed(self, kernel, row):
        # standard update without weight decay: an absent row becomes w * 1 - lr * 0
        return kernel == "sgd_std" and row[4] == 1.0

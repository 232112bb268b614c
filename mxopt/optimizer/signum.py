"""Signum and signSGD (MXNet 1.9.1's ``Signum``)."""
import math

from mxopt.optimizer import _dispatch
from mxopt.optimizer.optimizer import Optimizer, _default_aggregate_num, register

__all__ = ["Signum"]


@register
class Signum(Optimizer):
    r"""Signum: the sign of a momentum average of the gradient (signSGD when
    ``momentum = 0``), as MXNet 1.9.1's ``signum_update`` /
    ``signsgd_update`` compute it.

    With momentum :math:`\mu > 0` (state ``mom``):

    .. math::

        m &\leftarrow \mu m - (1 - \mu)\,\lambda w
              - (1 - \mu)\,\mathrm{clip}(\mathrm{rescale\_grad} \cdot \nabla, c) \\
        w &\leftarrow (1 - \eta\,\lambda_{lh})\, w + \eta\, \mathrm{sign}(m)

    With ``momentum = 0`` (no state, MXNet's ``signsgd_update``):

    .. math::

        w \leftarrow (1 - \eta\lambda)\, w - \eta\, \mathrm{sign}(\nabla)

    where :math:`\eta` is the learning rate, :math:`\lambda` the weight decay
    (it enters the momentum, i.e. the sign), :math:`\lambda_{lh}` ``wd_lh``
    (decoupled weight decay, applied to the weight directly) and :math:`c`
    ``clip_gradient``; :math:`\mathrm{sign}(0) = 0`.

    MXNet quirks kept for parity: signSGD takes the sign of the *raw*
    gradient, so ``rescale_grad`` and ``clip_gradient`` have no effect on it,
    and it ignores ``wd_lh``.  The hyperparameters reach the kernels as float32
    values; float16 weights without a master copy are computed in float16 in
    MXNet's operation order.

    Row-sparse and CSR gradients follow the dense rule (MXNet densifies them):
    rows absent from the gradient are updated with a zero gradient.

    Parameters
    ----------
    learning_rate : float, default 0.01
        Always set, so it overrides an ``lr_scheduler``'s ``base_lr`` (as in
        MXNet).
    momentum : float, default 0.9
        The momentum value, in [0, 1].
    wd_lh : float, default 0.0
        Decoupled weight decay (Loshchilov & Hutter), >= 0.
    **kwargs
        The :class:`Optimizer` arguments.

    Examples
    --------
    >>> import numpy as np, mxopt as mx
    >>> opt = mx.optimizer.Signum(learning_rate=0.1, momentum=0.9)
    >>> w = np.zeros(3, dtype=np.float32)
    >>> state = opt.create_state(0, w)
    >>> opt.update(0, w, np.array([2.0, -0.5, 0.0], dtype=np.float32), state)
    >>> w
    array([-0.1,  0.1,  0. ], dtype=float32)

    References
    ----------
    Bernstein, Wang, Azizzadenesheli & Anandkumar, "signSGD: Compressed
    Optimisation for Non-Convex Problems", ICML 2018.
    """

    _constraints = {"momentum": dict(low=0.0, high=1.0),
                    "wd_lh": dict(low=0.0)}

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super(Signum, self).__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh
        self.aggregate_num = _default_aggregate_num()
        self._check_constraints()

    def create_state(self, index, weight):
        return _dispatch.momentum_state(weight, self.momentum)

    def _kernel_plan(self, state):
        return _dispatch.momentum_plan("Signum", state, "signsgd", "signum")

    def _hyper(self, kernel):
        return (self.momentum, self.wd_lh) if kernel == "signum" else ()

    def _absent_rows_fixed(self, kernel, row):
        # signSGD without weight decay: an absent row becomes 1 * w - lr * sign(0)
        return kernel == "signsgd" and row[1] == 0.0 and math.isfinite(row[0])

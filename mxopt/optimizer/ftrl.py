"""FTRL-Proximal (MXNet 1.9.1's ``Ftrl``, with TensorFlow/Keras's options)."""
import math
import weakref

import numpy as np

from mxopt.base import check_number
from mxopt.optimizer import _dispatch
from mxopt.optimizer.optimizer import Optimizer, _default_aggregate_num, register

__all__ = ["Ftrl"]


def _check_keras(name, value, want):
    """Keras-style validation: the message names the argument and the value."""
    check_number(name, value)
    if want == "<= 0" and value > 0:
        raise ValueError("`%s` must be negative or zero (<= 0). Received: %s=%r"
                         % (name, name, value))
    if want == ">= 0" and value < 0:
        raise ValueError("`%s` must be positive or zero (>= 0). Received: %s=%r"
                         % (name, name, value))
    return value


@register
class Ftrl(Optimizer):
    r"""FTRL-Proximal (McMahan et al., 2013) in two dialects.

    The state is ``(z, n)`` (TensorFlow's ``linear`` and ``accumulator``).
    In both dialects :math:`g = \mathrm{clip}(\mathrm{rescale\_grad} \cdot
    \nabla, c)`, :math:`\eta` is the learning rate, :math:`\lambda_1` =
    ``lamda1`` and :math:`\lambda` the (MXNet) weight decay.

    **MXNet 1.9.1** (the defaults; exactly MXNet's ``ftrl_update``):

    .. math::

        z &\leftarrow z + g - \frac{\sqrt{n + g^2} - \sqrt{n}}{\eta}\, w \\
        n &\leftarrow n + g^2 \\
        w &\leftarrow \begin{cases}
            \dfrac{\mathrm{sign}(z)\,\lambda_1 - z}{(\beta + \sqrt{n})/\eta + \lambda}
                & |z| > \lambda_1 \\
            0 & \text{otherwise}
        \end{cases}

    **TensorFlow / Keras** (any of ``learning_rate_power`` :math:`p \ne
    -\tfrac12`, ``l2_regularization_strength`` :math:`\ell_2 > 0`,
    ``l2_shrinkage_regularization_strength`` :math:`s > 0`), TensorFlow's
    ``ApplyFtrlV2`` and ``keras.optimizers.Ftrl``:

    .. math::

        \tilde g &= g + 2 s\, w \\
        n' &= n + g^2 \\
        z &\leftarrow z + \tilde g - \frac{n'^{-p} - n^{-p}}{\eta}\, w \\
        n &\leftarrow n' \\
        w &\leftarrow \begin{cases}
            \dfrac{\mathrm{sign}(z)\,\lambda_1 - z}
                  {(\beta + n'^{-p})/\eta + \lambda + 2\ell_2}
                & |z| > \lambda_1 \\
            0 & \text{otherwise}
        \end{cases}

    The accumulator grows with the plain gradient :math:`g`; only the
    linear term sees the shrinkage gradient :math:`\tilde g` (TensorFlow's
    kernel and docs since 2018, Keras 3).  Where the libraries put things:

    * **beta**: MXNet adds :math:`\beta` to :math:`\sqrt{n}` in the
      denominator; Keras 3 adds :math:`\beta / (2\eta)` to :math:`\ell_2`,
      which after the factor 2 is the same :math:`\beta/\eta`; TensorFlow's
      ``ApplyFtrlV2`` has no beta.  mxopt keeps MXNet's default ``beta=1``:
      pass ``beta=0`` for TensorFlow's or Keras's default numbers.
    * **the factor 2**: TensorFlow and Keras double both L2 strengths
      (``2 * l2`` in the denominator, ``2 * l2_shrinkage * w`` in the
      gradient); MXNet's ``wd`` enters the denominator as it is, so
      ``wd = 2 * l2`` gives the same weight (``wd`` and ``l2`` add up when
      both are given).
    * **the accumulator**: ``initial_accumulator_value`` is where ``n``
      starts (TensorFlow default 0.1, Keras 3 0.1, mxopt 0.0 = MXNet).

    Row-sparse and CSR gradients follow the dense rule on every row, which
    is what MXNet 1.9.1 computes (it densifies the gradient) and what Keras 3
    computes: an absent row keeps its ``z`` and ``n`` (MXNet dialect; with
    shrinkage ``z`` moves by :math:`2 s w`) and its weight is recomputed from
    them in closed form, so a row never seen (``z = 0``) gets weight 0.
    The gradient itself is never densified.

    After such a full pass every absent row is a fixed point of the update:
    with a zero gradient ``z`` and ``n`` stay as they are and the closed form
    gives back the same weight, bit for bit.  So as long as the scalars
    (learning rate, ``wd``, ``rescale_grad``, clipping, ``lamda1``, ``beta``)
    stay the same and nothing else writes to the weight or the states,
    the next sparse steps touch only the rows present -- same numbers as
    MXNet's full pass at a cost proportional to those rows.  A change of a
    scalar (a scheduler step, say), new state arrays (``Updater.set_states``),
    a dense step, a Keras option, TensorFlow's shrinkage (which moves ``z``
    on every row) or Gluon's ``set_data``/``initialize``/``load_parameters``
    bring back one full pass.  If you write to a weight or a state yourself
    between steps, call :meth:`mark_dirty`.

    Parameters
    ----------
    lamda1 : float, default 0.01
        L1 strength :math:`\lambda_1` (>= 0).
    learning_rate : float, default 0.1
        Unlike most optimizers, Ftrl does not write it into an
        ``lr_scheduler``: with a scheduler, the scheduler's rate is used.
    beta : float, default 1
        Per-coordinate learning-rate offset (>= 0).
    learning_rate_power : float, default -0.5
        TensorFlow/Keras: the power of the accumulator (<= 0; 0 gives a
        fixed learning rate).
    initial_accumulator_value : float, default 0.0
        TensorFlow/Keras: the starting value of ``n`` (>= 0).
    l2_regularization_strength : float, default 0.0
        TensorFlow/Keras: stabilising L2 :math:`\ell_2` (>= 0).
    l2_shrinkage_regularization_strength : float, default 0.0
        TensorFlow/Keras: magnitude (shrinkage) L2 :math:`s` (>= 0).
    l1_regularization_strength : float, optional
        Keras's name for ``lamda1`` (give one of the two).
    **kwargs
        The :class:`Optimizer` arguments.

    Notes
    -----
    The MXNet dialect passes its scalars to the kernel as float32, as
    MXNet's C++ kernel does; the TensorFlow dialect uses the weight's own
    precision for them (as TensorFlow casts hyperparameters to the variable's
    dtype).  MXNet 1.9.1 creates float32 states and then refuses float64
    weights (and float16 without ``multi_precision``); mxopt keeps the states
    in the weight's dtype.

    Examples
    --------
    >>> import numpy as np, mxopt as mx
    >>> opt = mx.optimizer.Ftrl(lamda1=0.01, learning_rate=0.1)
    >>> w = np.zeros(3, dtype=np.float32)
    >>> state = opt.create_state(0, w)
    >>> opt.update(0, w, np.array([0.5, 0.005, 0.0], dtype=np.float32), state)
    >>> np.round(w, 5)
    array([-0.03267,  0.     ,  0.     ], dtype=float32)
    >>> keras_like = mx.optimizer.Ftrl(learning_rate=0.1, beta=0.0,
    ...                                l1_regularization_strength=0.0,
    ...                                l2_regularization_strength=0.5,
    ...                                initial_accumulator_value=0.1)

    References
    ----------
    McMahan et al., "Ad Click Prediction: a View from the Trenches", KDD 2013.
    """

    _constraints = {}

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, learning_rate_power=-0.5,
                 initial_accumulator_value=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, l1_regularization_strength=None,
                 **kwargs):
        super(Ftrl, self).__init__(**kwargs)
        args, given = getattr(self, "_init_call", ((), {}))
        if l1_regularization_strength is not None:
            if "lamda1" in given or len(args) > 0:
                raise TypeError("Ftrl got both `lamda1` (%r) and `l1_regularization_strength` "
                                "(%r); they are the same argument (MXNet and Keras "
                                "spellings), give one" % (lamda1, l1_regularization_strength))
            lamda1 = _check_keras("l1_regularization_strength", l1_regularization_strength,
                                  ">= 0")
        else:
            check_number("lamda1", lamda1, low=0.0)
        learning_rate = self._adopt_learning_rate(learning_rate)
        check_number("beta", beta, low=0.0)
        _check_keras("learning_rate_power", learning_rate_power, "<= 0")
        _check_keras("initial_accumulator_value", initial_accumulator_value, ">= 0")
        _check_keras("l2_regularization_strength", l2_regularization_strength, ">= 0")
        _check_keras("l2_shrinkage_regularization_strength",
                     l2_shrinkage_regularization_strength, ">= 0")
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.aggregate_num = _default_aggregate_num()
        self._settled = {}

    @property
    def l1_regularization_strength(self):
        """Keras's name for ``lamda1``."""
        return self.lamda1

    def _tf_dialect(self):
        return (self.learning_rate_power != -0.5 or self.l2_regularization_strength != 0
                or self.l2_shrinkage_regularization_strength != 0)

    def create_state(self, index, weight):
        z = np.zeros(weight.shape, dtype=weight.dtype)
        n = np.full(weight.shape, self.initial_accumulator_value, dtype=weight.dtype)
        return (z, n)

    def _kernel_plan(self, state):
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise TypeError("Ftrl's state must be a tuple (z, n), received %r"
                            % (type(state).__name__,))
        kernel = "ftrl_v2" if self._tf_dialect() else "ftrl"
        return kernel, [(state[0], "z"), (state[1], "n")]

    def _hyper(self, kernel):
        if kernel == "ftrl_v2":
            return (self.lamda1, self.beta, -float(self.learning_rate_power),
                    2.0 * self.l2_regularization_strength,
                    2.0 * self.l2_shrinkage_regularization_strength)
        return (self.lamda1, self.beta)

    # -- sparse steps: skip the rows that provably stay ---------------------------
    _watch_dense = True

    def mark_dirty(self, index=None):
        """Forget that the rows of ``index`` (every index when None) are
        fixed points: the next sparse step recomputes every row, as MXNet
        does.  Call it after writing to a weight or its ``(z, n)`` outside
        the optimizer."""
        if index is None:
            self._settled.clear()
        else:
            self._settled.pop(index, None)

    def _dense_stepped(self, index):
        self._settled.pop(index, None)

    def _sparse_lazy(self, index, kernel, mode, weight, arrays, master, row):
        settled = self._settled
        if (self._keras_active() or (kernel == "ftrl_v2" and row[8] != 0.0)
                or not all([math.isfinite(x) for x in row])):
            settled.pop(index, None)
            return False
        key = (kernel, mode, row, _dispatch.write_epoch(),
               weight.__array_interface__["data"][0], weight.shape)
        held = [weight] + list(arrays) + ([master] if master is not None else [])
        prev = settled.get(index)
        if (prev is not None and prev[0] == key and len(prev[1]) == len(held)
                and all([ref() is arr for ref, arr in zip(prev[1], held)])):
            return True
        # this step runs the full pass; afterwards every row is settled
        settled[index] = (key, [weakref.ref(arr) for arr in held])
        return False

    def __getstate__(self):
        state = super(Ftrl, self).__getstate__()
        state.pop("_settled", None)
        return state

    def __setstate__(self, state):
        super(Ftrl, self).__setstate__(state)
        self._settled = {}
